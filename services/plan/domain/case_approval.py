"""RemediationCase, review: submit, reject, approve (PLANNING -> PLAN_APPROVED), suspend and
revise.

Approval is the four-eyes step: an approver who neither authored nor submitted the revision, and
every precondition of domain.md 2.4 (the table ``guards.TO_PLAN_APPROVED``) judged at ``ctx.now``,
because consents expire.
"""

from __future__ import annotations

from shared.domain import CommandContext, require
from shared.errors import Forbidden

from . import guards
from .case_base import CaseBase, Status
from .commands import ApprovePlan, RejectPlan, RevisePlan, SubmitPlan, SuspendPlan
from .enums import PlanStatus
from .events import (
    PlanApproved,
    PlanRejected,
    PlanRevised,
    PlanSubmittedForApproval,
    PlanSuspended,
)
from .state import Plan


class ApprovalSteps(CaseBase):
    def submit_plan(self, cmd: SubmitPlan, ctx: CommandContext) -> None:
        plan = self._editable_plan("Submitting the plan")
        require(bool(plan.actions), "plan-has-no-actions", "The plan needs at least one action.")
        self.record(
            PlanSubmittedForApproval(
                **self._header(ctx), revision=plan.revision, submitted_by=ctx.actor.subject
            )
        )

    def reject_plan(self, cmd: RejectPlan, ctx: CommandContext) -> None:
        """Returns the revision to its authors (plan status ``rejected``): they may edit and
        resubmit it, or open a new revision."""
        self._require_approver(ctx, "reject")
        plan = self._plan_in_review("Rejecting the plan")
        self.record(
            PlanRejected(
                **self._header(ctx),
                revision=plan.revision,
                rejected_by=ctx.actor.subject,
                reason=cmd.reason,
            )
        )

    def approve_plan(self, cmd: ApprovePlan, ctx: CommandContext) -> None:
        self._require_approver(ctx, "approve")
        plan = self._plan_in_review("Approving the plan")
        subject = ctx.actor.subject
        require(
            subject not in plan.authors and subject != plan.submitted_by,
            "approver-is-author",
            "Four eyes: the plan must be approved by someone who neither drafted nor submitted it.",
        )
        guards.check(guards.TO_PLAN_APPROVED, self.state, ctx.now)
        s = self.state
        self.record(
            PlanApproved(
                **self._header(ctx),
                plan_id=plan.plan_id,
                revision=plan.revision,
                approved_by=subject,
                note=cmd.note,
                objectives=plan.objectives,
                budget=plan.budget,
                exit_strategy=plan.exit_strategy,
                actions=s.actions,
                funding=s.funding,
                victim_ids=s.plan_victim_ids,
                community_ids=s.plan_community_ids,
                child_victim_ids=[v for v in s.plan_victim_ids if s.victims[v].is_child],
                status=Status.PLAN_APPROVED,
            )
        )

    def suspend_plan(self, cmd: SuspendPlan, ctx: CommandContext) -> None:
        """Stops the approved revision (Step 4: e.g. the victim's safety or a state process).
        The incident's status stays; monitoring suspends the live actions."""
        plan = self._plan()
        require(
            plan.status is PlanStatus.APPROVED,
            "plan-not-approved",
            f"Only an approved revision can be suspended; revision {plan.revision} is "
            f"{plan.status}.",
        )
        self.record(
            PlanSuspended(
                **self._header(ctx),
                revision=plan.revision,
                reason=cmd.reason,
                suspended_by=ctx.actor.subject,
            )
        )

    def revise_plan(self, cmd: RevisePlan, ctx: CommandContext) -> None:
        """Opens the next revision as a draft with the current content; the reviser becomes one of
        its authors. The incident goes back to PLANNING."""
        plan = self._plan()
        require(
            plan.status in (PlanStatus.APPROVED, PlanStatus.REJECTED, PlanStatus.SUSPENDED),
            "plan-not-revisable",
            f"Only an approved, suspended or rejected revision can be revised; revision "
            f"{plan.revision} is {plan.status}.",
        )
        self.record(
            PlanRevised(
                **self._header(ctx),
                revision=plan.revision + 1,
                reason=cmd.reason,
                revised_by=ctx.actor.subject,
                status=Status.PLANNING,
            )
        )

    # --- Helpers ------------------------------------------------------------------------------

    @staticmethod
    def _require_approver(ctx: CommandContext, doing: str) -> None:
        if not ctx.actor.has_any("approver"):
            raise Forbidden(
                f"Only an approver can {doing} a remediation plan.", code="approver-role-required"
            )

    def _plan_in_review(self, doing: str) -> Plan:
        plan = self._plan()
        require(
            plan.status is PlanStatus.IN_REVIEW,
            "plan-not-in-review",
            f"{doing} needs the revision to be submitted for approval; revision {plan.revision} "
            f"is {plan.status}.",
        )
        return plan

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_PlanSubmittedForApproval(self, e: PlanSubmittedForApproval) -> None:
        plan = self._applied_plan()
        plan.status = PlanStatus.IN_REVIEW
        plan.submitted_by = e.submitted_by
        plan.rejection_reason = None

    def when_PlanRejected(self, e: PlanRejected) -> None:
        plan = self._applied_plan()
        plan.status = PlanStatus.REJECTED
        plan.rejection_reason = e.reason

    def when_PlanApproved(self, e: PlanApproved) -> None:
        plan = self._applied_plan()
        plan.status = PlanStatus.APPROVED
        plan.approved_by = e.approved_by
        self.state.status = e.status

    def when_PlanSuspended(self, e: PlanSuspended) -> None:
        self._applied_plan().status = PlanStatus.SUSPENDED

    def when_PlanRevised(self, e: PlanRevised) -> None:
        plan = self._applied_plan()
        plan.revision = e.revision
        plan.status = PlanStatus.DRAFT
        plan.submitted_by = None
        plan.rejection_reason = None
        plan.approved_by = None
        if e.revised_by not in plan.authors:
            plan.authors.append(e.revised_by)
        self.state.status = e.status

    def _applied_plan(self) -> Plan:
        assert self.state.plan is not None  # these events follow RemediationPlanDrafted
        return self.state.plan
