"""What the monitoring service knows about one incident: the fold of its events, and the queries
the guards and the scheduler need.

Actions are kept as small mutable models (status, progress, suspensions, overdue flags) because
later events change them; records that never change (visits, escalations, appeals) are kept as
short summaries. The state is snapshotted, so it must survive ``model_dump(mode="json")`` ->
``model_validate`` unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.incident_status import IncidentStatus

from .enums import (
    ActionStatus,
    BlockReason,
    ChildCaseOutcome,
    ClosureReason,
    MonitoringMethod,
    OutcomeChannel,
    SafetyConcernKind,
    Severity,
    VictimFeedback,
)
from .events import AdoptedAction, Evidence


class ActionState(AdoptedAction):
    """An adopted action's terms (kept flat, so ``owner_org`` and ``due_date`` sit beside the
    status for overdue-by-owner views) and what happened to it.

    Suspensions stack: ``suspended_for`` lists the open safety concerns and
    ``suspended_by_plan`` a plan suspension; while any holds, ``status`` is ``suspended`` and
    ``resume_status`` remembers where the action returns. ``overdue_flagged_for`` lists the due
    dates ActionOverdue was recorded for (a revision that moves the date allows a new one).
    """

    model_config = ConfigDict(frozen=False, extra="forbid")

    revision: int
    status: ActionStatus = ActionStatus.PLANNED
    resume_status: ActionStatus | None = None
    suspended_for: list[UUID] = []
    suspended_by_plan: bool = False
    started_on: date | None = None
    percent: int | None = None
    block_reason: BlockReason | None = None
    evidence: list[Evidence] = []
    completed_on: date | None = None
    cancel_reason: str | None = None
    removed_in_revision: int | None = None
    overdue_flagged_for: list[date] = []

    @property
    def is_suspended(self) -> bool:
        return bool(self.suspended_for) or self.suspended_by_plan

    def is_overdue(self, today: date) -> bool:
        """Derived, never a status: live, not suspended, and the due date has passed."""
        return self.status.can_be_overdue and self.due_date < today

    def suspend(self) -> None:
        """Call after adding a suspension reason."""
        if self.status is not ActionStatus.SUSPENDED:
            self.resume_status = self.status
            self.status = ActionStatus.SUSPENDED

    def resume_if_free(self) -> bool:
        """Call after lifting a suspension reason: back to the previous status once none is
        left. True when the action resumed."""
        if self.status is not ActionStatus.SUSPENDED or self.is_suspended:
            return False
        self.status = self.resume_status or ActionStatus.PLANNED
        self.resume_status = None
        return True


class SafetyConcern(BaseModel):
    concern_id: UUID
    victim_id: UUID | None
    kind: SafetyConcernKind
    severity: Severity
    raised_at: datetime
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Visit(BaseModel):
    report_id: UUID
    method: MonitoringMethod
    visited_on: date
    final: bool


class Measurement(BaseModel):
    """The latest value of one indicator (per action, or of the case when ``action_id`` is
    None); the history is in the events."""

    action_id: UUID | None
    indicator: str
    unit: str
    baseline: Decimal | None
    target: Decimal
    value: Decimal
    measured_on: date


class ClosureProposal(BaseModel):
    reason: ClosureReason
    checklist: dict[str, bool]
    residual_risks: list[str]
    proposed_by: str

    @property
    def checklist_complete(self) -> bool:
        return bool(self.checklist) and all(self.checklist.values())


class OutcomeCommunication(BaseModel):
    how: OutcomeChannel
    feedback: VictimFeedback


class ImplementationState(BaseModel):
    # The incident as monitoring sees it: None until a plan is adopted.
    status: IncidentStatus | None = None
    revision: int = 0
    child_involved: bool = False
    victim_ids: list[UUID] = []
    community_ids: list[UUID] = []

    # The plan's actions, in adoption order (removed ones stay, cancelled or completed)
    actions: dict[UUID, ActionState] = {}
    plan_suspended: bool = False
    plan_suspension_reason: str | None = None

    # Monitoring
    visits: list[Visit] = []
    final_report_id: UUID | None = None
    measurements: list[Measurement] = []
    escalation_count: int = 0

    # Safety
    priority: bool = False
    concerns: dict[UUID, SafetyConcern] = {}
    retaliation_report_ids: list[UUID] = []

    # The current closure round (cleared when the case goes back to work)
    proposal: ClosureProposal | None = None
    outcome: OutcomeCommunication | None = None
    child_outcomes: dict[UUID, ChildCaseOutcome] = {}

    # Closure and after
    closed_at: datetime | None = None
    closure_reason: ClosureReason | None = None
    approved_by: str | None = None
    appeal_ids: list[UUID] = []
    pending_appeal_ids: list[UUID] = []
    reopen_count: int = 0

    # --- Queries ------------------------------------------------------------------------------

    @property
    def adopted(self) -> bool:
        return self.status is not None

    @property
    def live_actions(self) -> list[ActionState]:
        return [a for a in self.actions.values() if not a.status.is_final]

    @property
    def all_actions_finished(self) -> bool:
        """Every action completed, or cancelled with a reason (domain.md 2.4)."""
        return all(
            a.status is ActionStatus.COMPLETED
            or (a.status is ActionStatus.CANCELLED and bool(a.cancel_reason))
            for a in self.actions.values()
        )

    @property
    def open_concerns(self) -> list[SafetyConcern]:
        return [c for c in self.concerns.values() if c.is_open]

    @property
    def children_without_outcome(self) -> list[UUID]:
        """Monitoring knows victims only by id, not their age: in a case where intake reported a
        child (``child_involved``), every victim of the plan is treated as a child, which is also
        UNICEF's presumption of age. In other cases none is."""
        if not self.child_involved:
            return []
        return [v for v in self.victim_ids if v not in self.child_outcomes]

    def overdue(self, today: date) -> list[tuple[UUID, date]]:
        """(action, due date) for overdue actions not yet flagged for that due date."""
        return [
            (a.action_id, a.due_date)
            for a in self.actions.values()
            if a.is_overdue(today) and a.due_date not in a.overdue_flagged_for
        ]

    def overdue_by_owner(self, today: date) -> dict[str, list[UUID]]:
        """Every overdue action (flagged or not), grouped by the owner organisation."""
        grouped: dict[str, list[UUID]] = {}
        for a in self.actions.values():
            if a.is_overdue(today):
                grouped.setdefault(a.owner_org, []).append(a.action_id)
        return grouped
