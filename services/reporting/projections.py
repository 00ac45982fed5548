"""Reporting's projection of every service's topic: each event goes into the timeline (the
audit trail) and is folded into its incident's register entry, in the projector's transaction."""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, insert, select

from services.reporting.register import RegisterEntry, fold, new_entry
from services.reporting.tables import register, smelter_incidents, timeline
from shared.envelope import EventEnvelope
from shared.kafka import topic_for

SERVICES = ("intake", "plan", "monitoring", "reporting")


class IncidentRegister:
    name = "incident-register"
    topics = [topic_for(service) for service in SERVICES]
    tables: list[Table] = [register, timeline, smelter_incidents]

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        conn.execute(
            insert(timeline).values(
                event_id=event.id,
                incident_id=event.subject,
                tenant=event.tenant,
                service=event.source.rsplit("/", 1)[-1],
                type=event.type,
                time=event.time,
                stream_version=event.streamversion,
                document=event.to_structured(),
            )
        )
        entry = load_entry(conn, event.subject) or new_entry(event)
        before = set(entry.smelter_cids)
        fold(entry, event)
        save_entry(conn, entry, event)
        for cid in set(entry.smelter_cids) - before:
            conn.execute(
                insert(smelter_incidents).values(
                    smelter_cid=cid,
                    incident_id=entry.incident_id,
                    tenant=entry.tenant,
                    linked_at=event.time,
                )
            )


def load_entry(conn: Connection, incident_id: str) -> RegisterEntry | None:
    row = conn.execute(
        select(register.c.entry).where(register.c.incident_id == incident_id)
    ).first()
    return RegisterEntry.model_validate(row.entry) if row else None


def save_entry(conn: Connection, entry: RegisterEntry, event: EventEnvelope) -> None:
    conn.execute(delete(register).where(register.c.incident_id == entry.incident_id))
    conn.execute(
        insert(register).values(
            incident_id=entry.incident_id,
            tenant=entry.tenant,
            reference=entry.reference,
            status=str(entry.status),
            step=entry.step,
            country=entry.country,
            severity_scale=entry.severity_scale,
            overdue_actions=entry.overdue_actions,
            received_at=entry.received_at,
            closed_at=entry.closed_at,
            entry=entry.model_dump(mode="json"),
            updated_at=event.time,
        )
    )
