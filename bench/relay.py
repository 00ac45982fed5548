"""Relay to Kafka: how fast the outbox relay publishes a backlog of committed events to the broker
(``acks=all``, CloudEvents binary headers) and forgets what was acknowledged."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from bench.context import BenchContext
from services.intake.domain.events import CaseManagerAssigned, registry
from shared.database import make_engine
from shared.eventstore import AppendContext, EventStore
from shared.kafka import make_producer
from shared.migrations import service_migrations, upgrade
from shared.relay import OutboxRelay
from shared.settings import Settings

EVENTS_PER_STREAM = 50


def run(ctx: BenchContext) -> dict[str, float]:
    settings = Settings()
    with ctx.database("relay") as url:
        upgrade(service_migrations("intake"), url)
        engine = make_engine(url)
        store = EventStore(engine, registry, service="intake")
        relay = OutboxRelay(
            engine,
            service="intake",
            topic=f"bench.relay.{uuid.uuid4().hex[:8]}",
            bootstrap=ctx.broker.bootstrap,
            producer_factory=lambda: make_producer(ctx.broker.bootstrap),
            partitions=settings.kafka_partitions,
            batch_size=settings.relay_batch_size,
        )
        try:
            _fill(store, 1)
            relay.publish_all()  # topic created, producer connected: not part of the figure
            _fill(store, ctx.sizes.relay_events)
            began = time.perf_counter()
            published = relay.publish_all(timeout_s=600)
            elapsed = time.perf_counter() - began
        finally:
            relay.stop()
            engine.dispose()
    if published != ctx.sizes.relay_events:
        raise RuntimeError(f"published {published} of {ctx.sizes.relay_events} events")
    return {"relay.per_s": published / elapsed}


def _fill(store: EventStore, count: int) -> None:
    """``count`` committed events waiting in the outbox, a few streams' worth."""
    context = AppendContext(
        tenant="bench", actor="bench", now=datetime.now(UTC), correlation_id="bench"
    )
    remaining = count
    while remaining:
        incident_id = uuid.uuid4()
        batch = [
            CaseManagerAssigned(
                incident_id=incident_id, occurred_at=context.now, case_manager_id=f"cm-{i}"
            )
            for i in range(min(EVENTS_PER_STREAM, remaining))
        ]
        with store.transaction() as conn:
            store.append(conn, str(incident_id), 0, list(batch), context)
        remaining -= len(batch)
