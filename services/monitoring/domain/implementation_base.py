"""What every chapter of the Implementation aggregate shares: its state type, the event header,
and the look-ups and checks that refuse unknown ids, a missing plan or a closed incident."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from shared.domain import Aggregate, CommandContext, require
from shared.errors import Forbidden, InvalidCommand, NotFound
from shared.incident_status import IncidentStatus

from .enums import ActionStatus
from .state import ActionState, ImplementationState

Status = IncidentStatus


class ImplementationBase(Aggregate[ImplementationState]):
    state_type = ImplementationState

    def _header(self, ctx: CommandContext) -> dict[str, Any]:
        return {"incident_id": UUID(self.stream_id), "occurred_at": ctx.now}

    # --- The incident -------------------------------------------------------------------------

    def _require_adopted(self) -> None:
        require(
            self.state.adopted,
            "plan-not-adopted",
            "No approved remediation plan has reached monitoring for this incident yet (Step 3 "
            "ends with PlanApproved).",
        )

    def _require_open(self, doing: str) -> None:
        """A plan is adopted and the incident is not closed."""
        self._require_adopted()
        require(
            self.state.status is not Status.CLOSED,
            "incident-closed",
            f"{doing} is not possible on a closed incident: reopen it first.",
        )

    # --- Look-ups: unknown ids in the path are 404, in the body 422 ---------------------------

    def _action(self, action_id: UUID) -> ActionState:
        action = self.state.actions.get(action_id)
        if action is None:
            raise NotFound("No such action in the adopted plan.", code="action-not-found")
        return action

    def _require_known_actions(self, action_ids: Iterable[UUID | None], field: str) -> None:
        unknown = [a for a in action_ids if a is not None and a not in self.state.actions]
        if unknown:
            raise InvalidCommand(
                f"{field} names actions that are not in the adopted plan.",
                code="action-unknown",
                unknown=[str(a) for a in unknown],
            )

    # --- Actions ------------------------------------------------------------------------------

    @staticmethod
    def _require_live(action: ActionState) -> None:
        """Completed and cancelled are final."""
        require(
            action.status is not ActionStatus.COMPLETED,
            "action-completed",
            "The action is completed; a completed action is final.",
        )
        require(
            action.status is not ActionStatus.CANCELLED,
            "action-cancelled",
            "The action is cancelled; a cancelled action is final.",
        )

    @staticmethod
    def _require_not_suspended(action: ActionState) -> None:
        require(
            action.status is not ActionStatus.SUSPENDED,
            "action-suspended",
            "The action is suspended (for safety or with the plan): resolve the safety concern, "
            "or adopt a new plan revision, first.",
        )

    @classmethod
    def _require_workable(cls, action: ActionState) -> None:
        cls._require_live(action)
        cls._require_not_suspended(action)
        require(
            action.status is not ActionStatus.BLOCKED,
            "action-blocked",
            "The action is blocked: unblock it first.",
        )

    # --- Content ------------------------------------------------------------------------------

    @staticmethod
    def _not_in_future(day: date, ctx: CommandContext, field: str, code: str) -> None:
        if day > ctx.now.date():
            raise InvalidCommand(f"{field} lies in the future.", code=code)

    @staticmethod
    def _require_approver(ctx: CommandContext, doing: str) -> None:
        if not ctx.actor.has_any("approver"):
            raise Forbidden(
                f"Only an approver can {doing} the closure of an incident.",
                code="approver-role-required",
            )
