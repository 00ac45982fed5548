"""The incident register projection applied a batch at a time gives the same read model as
applied one event at a time: entries touched twice in a batch, entries already stored, smelter
links found within a batch."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from services.reporting.projections import IncidentRegister
from services.reporting.tables import register, smelter_incidents, timeline
from shared.database import make_engine, read_transaction, write_transaction
from shared.envelope import EventEnvelope
from shared.migrations import service_migrations, upgrade

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def event(incident: str, version: int, name: str, **data: Any) -> EventEnvelope:
    return EventEnvelope(
        id=str(uuid.uuid4()),
        source="/remedium/intake",
        type=f"org.remedium.intake.{name}.v1",
        subject=incident,
        time=START + timedelta(minutes=version),
        tenant="acme",
        streamid=incident,
        streamversion=version,
        actor="case-team",
        correlationid="c",
        causationid="c",
        data=data,
    )


def two_incidents() -> list[EventEnvelope]:
    """Two incidents' events, interleaved as they arrive from one partition."""
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        event(first, 1, "AllegationReceived", status="received", country="CD", minerals=["tin"]),
        event(second, 1, "AllegationReceived", status="received", country="RW"),
        event(first, 2, "SupplyChainLinkRecorded", smelter_cid="CID000001"),
        event(second, 2, "SupplyChainLinkRecorded", smelter_cid="CID000001"),
        event(first, 3, "SupplyChainLinkRecorded", smelter_cid="CID000001"),
        event(first, 4, "SeverityAssessed", scale=4, people_affected=12),
        event(first, 5, "AllegationTriaged", status="triaged", additional_abuses=["debt_bondage"]),
        event(second, 3, "SupplyChainLinkRecorded", smelter_cid="CID000002"),
        event(first, 6, "SupplyChainLinkRecorded", smelter_cid="CID000003"),
        event(second, 4, "AllegationTriaged", status="triaged"),
    ]


def read_model(
    tmp_path: Path, name: str, feed: Callable[[IncidentRegister, Engine], None]
) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    upgrade(service_migrations("reporting"), url)
    engine = make_engine(url)
    feed(IncidentRegister(), engine)
    with read_transaction(engine) as conn:
        return {
            "register": rows(conn, register, register.c.incident_id),
            "smelters": rows(conn, smelter_incidents, smelter_incidents.c.smelter_cid),
            "timeline": [r.event_id for r in conn.execute(select(timeline.c.event_id))],
        }


def rows(conn: Connection, table: Any, *order: Any) -> list[dict[str, Any]]:
    query = select(table).order_by(*order, *table.primary_key.columns)
    return [dict(row._mapping) for row in conn.execute(query)]


def test_a_batch_builds_what_events_one_by_one_build(tmp_path: Path) -> None:
    events = two_incidents()

    def one_by_one(projection: IncidentRegister, engine: Engine) -> None:
        for each in events:
            with write_transaction(engine) as conn:
                projection.apply(conn, each)

    def in_two_batches(projection: IncidentRegister, engine: Engine) -> None:
        for batch in (events[:3], events[3:]):  # the second one updates stored entries
            with write_transaction(engine) as conn:
                projection.apply_batch(conn, batch)

    expected = read_model(tmp_path, "one-by-one", one_by_one)
    batched = read_model(tmp_path, "batched", in_two_batches)

    assert batched == expected
    assert len(expected["timeline"]) == len(events)
    assert [(r["smelter_cid"], r["linked_at"].minute) for r in expected["smelters"]] == sorted(
        [("CID000001", 2), ("CID000001", 2), ("CID000002", 3), ("CID000003", 6)]
    )
    first = next(r for r in expected["register"] if r["country"] == "CD")
    assert first["status"] == "triaged" and first["severity_scale"] == 4
    assert first["entry"]["smelter_cids"] == ["CID000001", "CID000003"]
    assert first["updated_at"].replace(tzinfo=UTC) == START + timedelta(minutes=6)
