"""Rebuild of reporting's projections: a broker holding N events of realistic incidents (the
intake domain's own events, copied to many incidents), replayed from offset 0 by a fresh
process running ``Projector.rebuild`` as ``remedium rebuild reporting`` does; its peak
memory (VmHWM) is read from /proc when it finishes."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaProducer

from bench.context import BenchContext
from bench.processes import run_json_worker
from bench.services import ALLEGATION
from services.intake.domain import (
    AssignCaseManager,
    Incident,
    RecordDuplicateCheck,
    SubmitAllegation,
    TakeImmediateProtectionAction,
    TriageAllegation,
)
from services.intake.domain.events import registry
from shared.broker import LocalBroker, free_port
from shared.domain import Actor, CommandContext
from shared.envelope import EventEnvelope
from shared.kafka import ensure_topics, topic_for


def run(ctx: BenchContext) -> dict[str, float]:
    """Its own broker, so the count is exact and the memory is given back afterwards."""
    count = ctx.sizes.rebuild_events
    directory = ctx.scratch_dir("rebuild")
    broker = LocalBroker(port=free_port(), log_path=directory / "tansu.log").start()
    try:
        began = time.perf_counter()
        publish_incidents(broker.bootstrap, count)
        publish_s = time.perf_counter() - began
        with ctx.database("rebuild") as url:
            arguments = ["--bootstrap", broker.bootstrap, "--database-url", url]
            if ctx.profile_dir is not None:
                arguments += ["--profile", str(ctx.profile_dir / f"rebuild-{ctx.backend}.html")]
            result = run_json_worker("bench.rebuild_worker", arguments, timeout_s=3600)
    finally:
        broker.stop()
    if result["applied"] != count:
        raise RuntimeError(f"rebuild applied {result['applied']} of {count} events")
    return {
        "rebuild.events": float(count),
        "rebuild.per_s": count / result["seconds"],
        "rebuild.peak_rss_mb": result["peak_rss_mb"],
        "rebuild.seconds": result["seconds"],
        "rebuild.publish_s": publish_s,
    }


def template_incident() -> list[EventEnvelope]:
    """One incident's events from intake's own domain: submission, case manager, duplicate
    check, triage, protection."""
    incident_id = uuid.uuid4()
    now = datetime.now(UTC)
    context = CommandContext(Actor("bench", "bench", frozenset({"case_manager"})), now)
    incident = Incident.submit(
        incident_id,
        SubmitAllegation.model_validate(ALLEGATION),
        context,
        reference="INC-2026-BENCH1",
        summary_ref="ref-summary",
        reporter_id=uuid.uuid4(),
        contact_ref="ref-contact",
        has_reply_token=False,
    )
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), context)
    incident.record_duplicate_check(RecordDuplicateCheck(duplicates_found=False), context)
    incident.triage(TriageAllegation(credibility="high"), context)
    incident.take_immediate_protection_action(
        TakeImmediateProtectionAction(measure="removal_from_work", provider_ref="IOM"), context
    )
    envelopes: list[EventEnvelope] = []
    prevhash = "0" * 64
    for version, event in enumerate(incident.changes, start=1):
        envelope = EventEnvelope(
            id=str(uuid.uuid4()),
            source="/remedium/intake",
            type=registry.type_of(event),
            subject=str(incident_id),
            time=now + timedelta(seconds=version),
            tenant="bench",
            streamid=str(incident_id),
            streamversion=version,
            actor="bench",
            correlationid="bench",
            causationid="bench",
            data=event.model_dump(mode="json"),
        ).sealed(prevhash)
        envelopes.append(envelope)
        prevhash = envelope.hash
    return envelopes


def publish_incidents(bootstrap: str, count: int) -> None:
    """``count`` events on intake's topic: copies of the template under new incident ids."""
    topic = topic_for("intake")
    ensure_topics(bootstrap, [topic], partitions=3)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=1024 * 1024
    )
    template = template_incident()
    sent = 0
    try:
        while sent < count:
            incident_id = str(uuid.uuid4())
            for envelope in template[: count - sent]:
                copy = _copy(envelope, incident_id)
                producer.send(
                    topic,
                    key=incident_id.encode(),
                    value=copy.kafka_value(),
                    headers=copy.kafka_headers(),
                )
                sent += 1
        producer.flush(timeout=600)
    finally:
        producer.close()


def _copy(envelope: EventEnvelope, incident_id: str) -> EventEnvelope:
    data: dict[str, Any] = {**envelope.data, "incident_id": incident_id}
    return replace(
        envelope, id=str(uuid.uuid4()), subject=incident_id, streamid=incident_id, data=data
    )
