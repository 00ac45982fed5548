"""What monitoring learns from plan's events: approved plans (each revision) are adopted into
monitoring's own Implementation stream.

This projection is a process manager: it appends monitoring events in the projector's own
transaction, together with the checkpoint, so each approval is adopted exactly once even when
the broker redelivers it, and monitoring's audit trail says which revision it implements.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, Table

from services.monitoring.domain import AdoptedAction, Implementation
from shared.commands import CommandResult, Repository
from shared.domain import Actor, CommandContext
from shared.envelope import EventEnvelope
from shared.eventstore import AppendContext, EventStore
from shared.kafka import topic_for

if TYPE_CHECKING:
    from collections.abc import Callable

ADOPTER = "system:plan-adoption"


class PlanAdoption:
    name = "plan-adoption"
    topics = [topic_for("plan")]
    tables: list[Table] = []
    """Nothing to drop on a rebuild: what it produces are monitoring's own events."""

    def __init__(
        self, store: EventStore, refresh_board: Callable[[Connection, CommandResult], None]
    ) -> None:
        self.store = store
        self.repository = Repository(store, Implementation)
        self.refresh_board = refresh_board

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        if event.type.endswith(".PlanApproved.v1"):
            self._follow(conn, event, self._adopt)
        elif event.type.endswith(".PlanSuspended.v1"):
            self._follow(conn, event, self._suspend)

    @staticmethod
    def _adopt(
        implementation: Implementation, event: EventEnvelope, context: CommandContext
    ) -> None:
        implementation.adopt_plan(
            int(event.data["revision"]),
            [_adopted(action) for action in event.data["actions"]],
            [UUID(v) for v in event.data.get("victim_ids", [])],
            [UUID(c) for c in event.data.get("community_ids", [])],
            bool(event.data.get("child_victim_ids")),
            context,
        )

    @staticmethod
    def _suspend(
        implementation: Implementation, event: EventEnvelope, context: CommandContext
    ) -> None:
        if implementation.state.revision != int(event.data["revision"]):
            return  # a suspension of a revision monitoring has not adopted, or replaced since
        implementation.note_plan_suspended(str(event.data["reason"]), context)

    def _follow(
        self,
        conn: Connection,
        event: EventEnvelope,
        decide: Callable[[Implementation, EventEnvelope, CommandContext], None],
    ) -> None:
        """Loads the incident's implementation, lets ``decide`` record what plan's event means
        for it, and appends that in the projector's transaction."""
        implementation = self.repository.load_or_new(event.streamid, event.tenant, conn=conn)
        context = CommandContext(Actor(ADOPTER, event.tenant, frozenset()), event.time)
        decide(implementation, event, context)
        if not implementation.changes:
            return  # an older or repeated revision, or a repeated suspension: nothing new
        expected = implementation.version
        envelopes = self.store.append(
            conn,
            event.streamid,
            expected,
            implementation.changes,
            AppendContext(
                tenant=event.tenant,
                actor=ADOPTER,
                now=event.time,
                correlation_id=event.correlationid,
                causation_id=event.id,
            ),
            state_after=implementation.snapshot,
        )
        result = CommandResult(event.streamid, expected + len(envelopes), envelopes, implementation)
        self.refresh_board(conn, result)


def _adopted(action: dict[str, Any]) -> AdoptedAction:
    due = action.get("due_date")
    return AdoptedAction.model_validate(
        {**action, "due_date": date.fromisoformat(due) if isinstance(due, str) else due}
    )
