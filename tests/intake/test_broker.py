"""Intake's events on the real broker: CloudEvents headers, outages, readiness, no personal data."""

from __future__ import annotations

import time
from pathlib import Path

from kafka import TopicPartition
from sqlalchemy import select

from services.intake.app import create_app
from shared.broker import LocalBroker, free_port
from shared.database import make_engine, read_transaction
from shared.envelope import EventEnvelope, verify_chain
from shared.kafka import make_consumer, topic_for
from shared.tables import events, vault_records
from tests.intake.conftest import IntakeUnderTest, intake_settings, make_keys
from tests.intake.walkthrough import REPORTER_NAME, STEP2, ok, submit, to_verified
from tests.support.servers import RunningService

TOPIC = topic_for("intake")


def consume_all(
    bootstrap: str, want, timeout_s: float = 30, topic: str = TOPIC
) -> list[tuple[dict[str, bytes], bytes, bytes]]:
    """Every record on ``topic`` (intake's by default), as (headers, key, value), until
    ``want(records)``."""
    consumer = make_consumer(bootstrap, None)
    deadline = time.monotonic() + timeout_s
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
        time.sleep(0.2)
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records: list[tuple[dict[str, bytes], bytes, bytes]] = []
    while time.monotonic() < deadline and not want(records):
        for batch in consumer.poll(timeout_ms=300).values():
            records.extend((dict(r.headers), r.key, r.value) for r in batch)
    consumer.close()
    return records


def of_incident(incident: str):
    return lambda records: [r for r in records if r[1] == incident.encode()]


def test_every_event_reaches_the_topic_with_cloudevents_headers(
    intake: IntakeUnderTest, broker: LocalBroker
) -> None:
    cm, verifier, approver = intake.client(), intake.client("verifier"), intake.client("approver")
    incident = submit(cm)
    to_verified(cm, verifier, incident)
    for path, payload in STEP2:
        ok(cm.post(f"/v1/incidents/{incident}/{path}", json=payload))
    ok(approver.post(f"/v1/incidents/{incident}/response-approval", json={"note": "Approved."}))
    stored = ok(intake.client("auditor").get(f"/v1/incidents/{incident}/events"))

    records = consume_all(
        broker.bootstrap, lambda rs: len(of_incident(incident)(rs)) >= len(stored)
    )
    mine = of_incident(incident)(records)
    headers = mine[0][0]
    for attribute in (
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "tenant",
        "streamid",
        "streamversion",
        "actor",
        "correlationid",
        "causationid",
        "hash",
        "prevhash",
    ):
        assert f"ce_{attribute}" in headers
    assert headers["ce_source"] == b"/remedium/intake"
    assert headers["ce_type"] == b"org.remedium.intake.AllegationReceived.v1"
    published = [EventEnvelope.from_kafka(list(h.items()), v) for h, _, v in mine]
    published = list(
        {e.id: e for e in published}.values()
    )  # at-least-once: drop republished copies
    assert sorted(e.id for e in published) == sorted(e["id"] for e in stored)
    assert [e.streamversion for e in published] == list(range(1, len(stored) + 1))  # in order
    assert verify_chain(published) == []


def test_personal_data_is_only_in_the_vault(intake: IntakeUnderTest, broker: LocalBroker) -> None:
    cm = intake.client()
    incident = submit(cm)
    engine = make_engine(intake.settings.database_url("intake"))
    with read_transaction(engine) as conn:
        stored_events = [str(row) for row in conn.execute(select(events))]
        sealed = [row.ciphertext for row in conn.execute(select(vault_records))]
    assert stored_events and not any(REPORTER_NAME in row for row in stored_events)
    assert len(sealed) == 2 and not any(REPORTER_NAME.encode() in blob for blob in sealed)
    records = consume_all(broker.bootstrap, lambda rs: len(of_incident(incident)(rs)) >= 2)
    assert of_incident(incident)(records)
    assert not any(
        REPORTER_NAME.encode() in value + str(headers).encode() for headers, _, value in records
    )


def test_commands_succeed_while_the_broker_is_down_and_are_published_in_order_after(
    tmp_path: Path,
) -> None:
    port = free_port()
    broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
    settings = intake_settings(tmp_path, broker.bootstrap)
    service = RunningService(create_app(settings)).start()
    try:
        keys = make_keys(settings)
        cm = service.client(keys["case_manager"])
        first = submit(cm)
        _wait(lambda: cm.get("/readyz").status_code == 200)
        broker.kill()
        _wait(lambda: cm.get("/readyz").status_code == 503)
        degraded = cm.get("/readyz").json()
        assert degraded["status"] == "degraded" and degraded["checks"]["store"] == "ok"
        during = [submit(cm) for _ in range(3)]
        ok(cm.post(f"/v1/incidents/{first}/case-manager", json={"case_manager_id": "cm-9"}))
        assert cm.get("/readyz").json()["outbox_pending"] >= 7

        broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
        _wait(lambda: cm.get("/readyz").status_code == 200, timeout_s=60)
        assert cm.get("/readyz").json()["outbox_pending"] == 0
        expected = {incident: 2 for incident in during}
        records = consume_all(
            broker.bootstrap,
            lambda rs: all(
                len({h["ce_id"] for h, k, _ in rs if k == i.encode()}) >= n
                for i, n in expected.items()
            ),
        )
        for incident in during:
            versions = [int(h["ce_streamversion"]) for h, k, _ in records if k == incident.encode()]
            assert list(dict.fromkeys(versions)) == [1, 2]
        # the assignment made during the outage is on the restarted broker too
        assigned = [h for h, k, _ in records if k == first.encode()]
        assert any(h["ce_type"].endswith(b"CaseManagerAssigned.v1") for h in assigned)
    finally:
        service.stop()
        broker.stop()


def _wait(condition, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)
