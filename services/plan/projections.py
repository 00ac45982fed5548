"""What plan learns from intake's events: each incident's tenant, status and whether its
response determination was approved. Plan's guards read this, never intake's tables."""

from __future__ import annotations

from sqlalchemy import Connection, Table, insert, select, update

from services.plan.tables import known_incidents
from shared.envelope import EventEnvelope
from shared.kafka import topic_for

INTAKE = "intake"


class IntakeIncidents:
    name = "intake-incidents"
    topics = [topic_for(INTAKE)]
    tables: list[Table] = [known_incidents]

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        name = event.type.split(".")[3]
        status = event.data.get("status")
        if name == "AllegationReceived":
            conn.execute(
                insert(known_incidents).values(
                    incident_id=event.streamid,
                    tenant=event.tenant,
                    status=status or "received",
                    response_determined=False,
                    child_involved=bool(event.data.get("child_involved")),
                    updated_at=event.time,
                )
            )
            return
        if not self._known(conn, event.streamid):
            return  # events of an incident whose opening event this projection never saw
        values: dict[str, object] = {"updated_at": event.time}
        if status:
            values["status"] = status
        if name == "ResponseDeterminationApproved":
            values["response_determined"] = True
        conn.execute(
            update(known_incidents)
            .where(known_incidents.c.incident_id == event.streamid)
            .values(**values)
        )

    @staticmethod
    def _known(conn: Connection, incident_id: str) -> bool:
        query = select(known_incidents.c.incident_id).where(
            known_incidents.c.incident_id == incident_id
        )
        return conn.execute(query).first() is not None
