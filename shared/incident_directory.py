"""The incident directory: what a downstream service knows about each incident from intake's
events (tenant, status, child involvement, whether the response was determined).

Plan and monitoring each keep their own copy in their own database, fed by the projector, and
read it to enforce their guards; neither ever reads intake's tables or calls intake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)

from shared.envelope import EventEnvelope
from shared.errors import NotFound
from shared.incident_status import IncidentStatus
from shared.kafka import topic_for

metadata = MetaData()

known_incidents = Table(
    "known_incidents",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("response_determined", Boolean, nullable=False),
    Column("child_involved", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class KnownIncident:
    status: IncidentStatus | None
    response_determined: bool
    child_involved: bool


UNKNOWN = KnownIncident(status=None, response_determined=False, child_involved=False)


def lookup(conn: Connection, incident_id: str, tenant: str) -> KnownIncident:
    """What intake has reported; ``UNKNOWN`` when nothing yet, 404 for another tenant's."""
    row = conn.execute(
        select(known_incidents).where(known_incidents.c.incident_id == incident_id)
    ).first()
    if row is None:
        return UNKNOWN
    if row.tenant != tenant:
        raise NotFound("no such incident")
    return KnownIncident(IncidentStatus(row.status), row.response_determined, row.child_involved)


class IncidentDirectory:
    """Projection of intake's topic into ``known_incidents``."""

    name = "incident-directory"
    topics = [topic_for("intake")]
    tables: list[Table] = [known_incidents]

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        name = event.type.split(".")[3]
        status = event.data.get("status")
        if name == "AllegationReceived":
            conn.execute(
                insert(known_incidents).values(
                    incident_id=event.streamid,
                    tenant=event.tenant,
                    status=status or IncidentStatus.RECEIVED,
                    response_determined=False,
                    child_involved=bool(event.data.get("child_involved")),
                    updated_at=event.time,
                )
            )
            return
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
