"""Monitoring's use cases (Steps 4-5): action lifecycle, deadlines, visits and indicators,
safety, closure and reopening. The action board is refreshed in every command's transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select

from services.monitoring.domain import ActionStatus, Implementation, closure_guards_unmet
from services.monitoring.tables import action_board
from shared.aggregate_handlers import AggregateHandlers
from shared.commands import CommandResult
from shared.database import read_transaction
from shared.domain import Actor
from shared.errors import InvalidCommand, NotFound, PreconditionFailed
from shared.http import RequestContext
from shared.incident_directory import UNKNOWN, lookup
from shared.incident_status import IncidentStatus

OVERDUE_CAN_BE = tuple(str(status) for status in ActionStatus if status.can_be_overdue)
"""Statuses in which a passed due date counts: a suspended action (for safety or with the plan)
must not nag its owner, and a finished one has nothing left to do."""
SCHEDULER = "system:deadline-scheduler"


class MonitoringHandlers(AggregateHandlers[Implementation]):
    aggregate_type = Implementation

    # --- guards that need intake's view ----------------------------------------------------
    def require_not_on_hold(self, incident_id: uuid.UUID, tenant: str) -> None:
        """Implementation pauses while intake has the incident on hold (e.g. a state
        investigation asked the company to pause)."""
        with read_transaction(self.runtime.engine) as conn:
            known = lookup(conn, str(incident_id), tenant)
        if known.status is IncidentStatus.ON_HOLD:
            raise PreconditionFailed(
                "intake has put the incident on hold: resume it there first",
                code="incident-on-hold",
            )

    def require_known_incident(self, related_id: uuid.UUID | None, tenant: str) -> None:
        """A reopening that cites another incident (a recurrence) must cite one of this
        tenant's incidents that intake has reported; another tenant's is as unknown as none."""
        if related_id is None:
            return
        with read_transaction(self.runtime.engine) as conn:
            try:
                known = lookup(conn, str(related_id), tenant)
            except NotFound:
                known = UNKNOWN
        if known is UNKNOWN:
            raise InvalidCommand(
                "related_incident_id names no incident intake has reported (yet) for this "
                "company; submit the new allegation to intake first.",
                code="related-incident-unknown",
            )

    # --- deadlines -----------------------------------------------------------------------
    def flag_overdue(self, now: datetime | None = None) -> int:
        """Record ActionOverdue for every live action past its due date, once per deadline.

        Safe to run any number of times and after restarts: the aggregate remembers which
        deadlines it already flagged, so a second run records nothing."""
        now = now or datetime.now(UTC)
        flagged = 0
        for tenant, incident_id in self._due_incidents(now):
            context = RequestContext(Actor(SCHEDULER, tenant, frozenset()), now, str(uuid.uuid4()))
            response = self.execute(uuid.UUID(incident_id), _mark_all_overdue(context), context)
            flagged += response.body["events"].count("ActionOverdue")
        return flagged

    def _due_incidents(self, now: datetime) -> set[tuple[str, str]]:
        query = select(action_board).where(
            and_(
                action_board.c.status.in_(OVERDUE_CAN_BE),
                action_board.c.due_date < now.date(),
                action_board.c.overdue.is_(False),
            )
        )
        with read_transaction(self.runtime.engine) as conn:
            return {(row.tenant, row.incident_id) for row in conn.execute(query)}

    def overdue_by_owner(self, tenant: str, owner_org: str | None) -> list[dict[str, Any]]:
        query = select(action_board).where(
            action_board.c.tenant == tenant,
            action_board.c.overdue.is_(True),
            action_board.c.status.in_(OVERDUE_CAN_BE),
        )
        if owner_org:
            query = query.where(action_board.c.owner_org == owner_org)
        owners: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with read_transaction(self.runtime.engine) as conn:
            for row in conn.execute(query.order_by(action_board.c.due_date)):
                owners[row.owner_org or "unassigned"].append(_board_item(row))
        return [{"owner_org": owner, "actions": items} for owner, items in sorted(owners.items())]

    def actions(
        self, tenant: str, status: str | None, owner_org: str | None
    ) -> list[dict[str, Any]]:
        query = select(action_board).where(action_board.c.tenant == tenant)
        if status:
            query = query.where(action_board.c.status == status)
        if owner_org:
            query = query.where(action_board.c.owner_org == owner_org)
        with read_transaction(self.runtime.engine) as conn:
            return [_board_item(r) for r in conn.execute(query.order_by(action_board.c.due_date))]

    # --- queries -------------------------------------------------------------------------
    def implementation_view(
        self, incident_id: uuid.UUID, tenant: str
    ) -> tuple[dict[str, Any], int]:
        implementation = self.load(incident_id, tenant)
        view = implementation.state.model_dump(mode="json")
        view["incident_id"] = str(incident_id)
        view["version"] = implementation.version
        view["blocking_closure"] = closure_guards_unmet(implementation.state)
        return view, implementation.version

    # --- answers and the action board ---------------------------------------------------
    def accepted(self, result: CommandResult) -> dict[str, Any]:
        implementation: Implementation = result.aggregate  # type: ignore[assignment]
        return {**super().accepted(result), "status": str(implementation.state.status)}

    def update_read_model(self, conn: Connection, result: CommandResult) -> None:
        refresh_board(conn, result)


def _mark_all_overdue(context: RequestContext) -> Callable[[Implementation], None]:
    def decide(implementation: Implementation) -> None:
        for action_id, due_date in implementation.overdue_actions(context.now):
            implementation.mark_overdue(action_id, due_date, context.command)

    return decide


def refresh_board(conn: Connection, result: CommandResult) -> None:
    """Rewrite the incident's rows of the action board from the aggregate's state."""
    if not result.envelopes:
        return
    implementation: Implementation = result.aggregate  # type: ignore[assignment]
    last = result.envelopes[-1]
    conn.execute(delete(action_board).where(action_board.c.incident_id == result.stream_id))
    rows = [
        {
            "incident_id": result.stream_id,
            "action_id": str(action_id),
            "tenant": last.tenant,
            "category": str(action.category),
            "owner_org": action.owner_org,
            "due_date": action.due_date,
            "status": str(action.status),
            "overdue": action.due_date in action.overdue_flagged_for,
            "revision": implementation.state.revision,
            "updated_at": last.time,
        }
        for action_id, action in implementation.state.actions.items()
    ]
    if rows:
        conn.execute(insert(action_board), rows)


def _board_item(row: Any) -> dict[str, Any]:
    return {
        "incident_id": row.incident_id,
        "action_id": row.action_id,
        "category": row.category,
        "owner_org": row.owner_org,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "status": row.status,
        "overdue": row.overdue,
    }
