"""Implementation, the actions: start, progress, block and unblock, complete, cancel, and the
scheduler's overdue detection.

planned -> in_progress -> completed; planned / in_progress <-> blocked; any live status ->
suspended -> back (safety or plan suspension); any live status -> cancelled. Completed and
cancelled are final. The first start moves the incident PLAN_APPROVED (or REOPENED) ->
IMPLEMENTING.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand

from .commands import (
    BlockAction,
    CancelAction,
    CompleteAction,
    ReportProgress,
    StartAction,
    UnblockAction,
)
from .enums import ActionStatus, EvidenceType
from .events import (
    ActionBlocked,
    ActionCancelled,
    ActionCompleted,
    ActionOverdue,
    ActionProgressReported,
    ActionStarted,
    ActionUnblocked,
    Evidence,
)
from .implementation_base import ImplementationBase, Status
from .state import ActionState


class ActionSteps(ImplementationBase):
    def start_action(self, action_id: UUID, cmd: StartAction, ctx: CommandContext) -> None:
        action = self._open_action(action_id, "Starting an action")
        self._require_workable(action)
        require(
            action.status is ActionStatus.PLANNED,
            "action-already-started",
            "The action is already in progress.",
        )
        self._not_in_future(cmd.started_on, ctx, "started_on", "started-in-future")
        moves = self.state.status in (Status.PLAN_APPROVED, Status.REOPENED)
        self.record(
            ActionStarted(
                **self._header(ctx),
                action_id=action_id,
                started_on=cmd.started_on,
                note=cmd.note,
                status=Status.IMPLEMENTING if moves else None,
            )
        )

    def report_progress(self, action_id: UUID, cmd: ReportProgress, ctx: CommandContext) -> None:
        action = self._open_action(action_id, "Reporting progress")
        self._require_started(action)
        self.record(
            ActionProgressReported(
                **self._header(ctx),
                action_id=action_id,
                percent=cmd.percent,
                code=cmd.code,
                note=cmd.note,
            )
        )

    def block_action(self, action_id: UUID, cmd: BlockAction, ctx: CommandContext) -> None:
        action = self._open_action(action_id, "Blocking an action")
        self._require_live(action)
        self._require_not_suspended(action)
        require(
            action.status is not ActionStatus.BLOCKED,
            "action-already-blocked",
            "The action is already blocked.",
        )
        self.record(
            ActionBlocked(
                **self._header(ctx), action_id=action_id, reason=cmd.reason, note=cmd.note
            )
        )

    def unblock_action(self, action_id: UUID, cmd: UnblockAction, ctx: CommandContext) -> None:
        action = self._open_action(action_id, "Unblocking an action")
        self._require_live(action)
        self._require_not_suspended(action)
        require(
            action.status is ActionStatus.BLOCKED,
            "action-not-blocked",
            "Only a blocked action can be unblocked.",
        )
        self.record(ActionUnblocked(**self._header(ctx), action_id=action_id, note=cmd.note))

    def complete_action(self, action_id: UUID, cmd: CompleteAction, ctx: CommandContext) -> None:
        """Needs at least one evidence item (the command ensures it). In a child case no photo is
        accepted as evidence (domain.md 3.5: no photos or images of children)."""
        action = self._open_action(action_id, "Completing an action")
        self._require_started(action)
        self._not_in_future(cmd.completed_on, ctx, "completed_on", "completed-in-future")
        if action.started_on is not None and cmd.completed_on < action.started_on:
            raise InvalidCommand(
                "completed_on lies before the day the action started.",
                code="completed-before-start",
            )
        if self.state.child_involved and any(e.type is EvidenceType.PHOTO for e in cmd.evidence):
            raise InvalidCommand(
                "A child case takes no photos as evidence: attach a record or report instead.",
                code="photo-in-child-case",
            )
        self.record(
            ActionCompleted(
                **self._header(ctx),
                action_id=action_id,
                evidence=[Evidence.model_validate(e.model_dump()) for e in cmd.evidence],
                completed_on=cmd.completed_on,
                note=cmd.note,
            )
        )

    def cancel_action(self, action_id: UUID, cmd: CancelAction, ctx: CommandContext) -> None:
        """Any live action (also blocked or suspended) may be cancelled with a reason."""
        action = self._open_action(action_id, "Cancelling an action")
        self._require_live(action)
        self.record(ActionCancelled(**self._header(ctx), action_id=action_id, reason=cmd.reason))

    # --- Overdue (the scheduler) --------------------------------------------------------------

    def overdue_actions(self, now: datetime) -> list[tuple[UUID, date]]:
        """Pure query: (action, due date) for live, not suspended actions (planned, in progress,
        blocked) whose due date lies before ``now``'s date and for which ActionOverdue was not
        recorded for that due date yet."""
        return self.state.overdue(now.date()) if self.state.adopted else []

    def mark_overdue(self, action_id: UUID, due_date: date, ctx: CommandContext) -> None:
        """Records ActionOverdue once per (action, due date). Anything else is a silent no-op, so
        a restarted or late scheduler never emits twice: the pair already flagged, a due date a
        revision has since moved, an action finished or suspended meanwhile, or not due yet."""
        self._require_adopted()
        action = self._action(action_id)
        if (action_id, due_date) not in self.overdue_actions(ctx.now):
            return
        self.record(
            ActionOverdue(
                **self._header(ctx),
                action_id=action_id,
                due_date=due_date,
                owner_org=action.owner_org,
                detected_at=ctx.now,
            )
        )

    # --- Helpers ------------------------------------------------------------------------------

    def _open_action(self, action_id: UUID, doing: str) -> ActionState:
        self._require_open(doing)
        return self._action(action_id)

    def _require_started(self, action: ActionState) -> None:
        self._require_workable(action)
        require(
            action.status is ActionStatus.IN_PROGRESS,
            "action-not-started",
            "The action has not been started yet.",
        )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_ActionStarted(self, e: ActionStarted) -> None:
        action = self.state.actions[e.action_id]
        action.status = ActionStatus.IN_PROGRESS
        action.started_on = e.started_on
        if e.status is not None:
            self.state.status = e.status

    def when_ActionProgressReported(self, e: ActionProgressReported) -> None:
        self.state.actions[e.action_id].percent = e.percent

    def when_ActionBlocked(self, e: ActionBlocked) -> None:
        action = self.state.actions[e.action_id]
        action.status = ActionStatus.BLOCKED
        action.block_reason = e.reason

    def when_ActionUnblocked(self, e: ActionUnblocked) -> None:
        action = self.state.actions[e.action_id]
        action.status = ActionStatus.IN_PROGRESS if action.started_on else ActionStatus.PLANNED
        action.block_reason = None

    def when_ActionCompleted(self, e: ActionCompleted) -> None:
        action = self.state.actions[e.action_id]
        action.status = ActionStatus.COMPLETED
        action.evidence = list(e.evidence)
        action.completed_on = e.completed_on
        action.percent = 100

    def when_ActionCancelled(self, e: ActionCancelled) -> None:
        action = self.state.actions[e.action_id]
        action.status = ActionStatus.CANCELLED
        action.cancel_reason = e.reason
        action.resume_status = None
        action.suspended_for = []
        action.suspended_by_plan = False
        action.block_reason = None

    def when_ActionOverdue(self, e: ActionOverdue) -> None:
        self.state.actions[e.action_id].overdue_flagged_for.append(e.due_date)
