"""Implementation, Step 5: proposing closure (-> CLOSURE_REVIEW), telling the victim the outcome,
the child's outcome, approval by another approver (-> CLOSED) or rejection (-> IMPLEMENTING),
appeals and reopening (CLOSED -> REOPENED).

A closure round is the proposal, the outcome communication and the approval. A rejection ends
the round; a reopening also drops the child outcomes and the final monitoring report, because a
reopened case must be re-assessed before it is closed again.
"""

from __future__ import annotations

from uuid import UUID

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand, NotFound

from . import guards
from .commands import (
    ApproveClosure,
    ProposeClosure,
    ReceiveAppeal,
    RecordChildCaseOutcome,
    RecordOutcomeCommunicated,
    RejectClosure,
    ReopenIncident,
)
from .enums import ReopenReason
from .events import (
    AppealReceived,
    ChildCaseOutcomeRecorded,
    ClosureApproved,
    ClosureProposed,
    ClosureRejected,
    IncidentClosed,
    IncidentReopened,
    VictimInformedOfOutcome,
)
from .implementation_base import ImplementationBase, Status
from .state import ClosureProposal, OutcomeCommunication


class ClosureSteps(ImplementationBase):
    def propose_closure(self, cmd: ProposeClosure, ctx: CommandContext) -> None:
        """From IMPLEMENTING or REOPENED, and from PLAN_APPROVED when every action was cancelled
        before any started (e.g. the victim declined all help): a case must never be stuck."""
        self._require_open("Proposing closure")
        require(
            self.state.status is not Status.CLOSURE_REVIEW,
            "closure-already-proposed",
            "Closure is already proposed: approve or reject the proposal first.",
        )
        guards.check(guards.TO_CLOSURE_REVIEW, self.state)
        self.record(
            ClosureProposed(
                **self._header(ctx),
                reason=cmd.reason,
                checklist=cmd.checklist,
                residual_risks=cmd.residual_risks,
                note=cmd.note,
                proposed_by=ctx.actor.subject,
                status=Status.CLOSURE_REVIEW,
            )
        )

    def record_outcome_communicated(
        self, cmd: RecordOutcomeCommunicated, ctx: CommandContext
    ) -> None:
        """The victim is told the outcome being proposed, so this follows the proposal. Recording
        it again replaces the earlier record."""
        self._require_in_review("Recording that the outcome was communicated")
        self.record(VictimInformedOfOutcome(**self._header(ctx), **cmd.model_dump()))

    def record_child_case_outcome(
        self, victim_id: UUID, cmd: RecordChildCaseOutcome, ctx: CommandContext
    ) -> None:
        """At any time before closure (a goal may be reached during implementation); recording
        it again replaces the earlier outcome."""
        self._require_open("Recording a child's outcome")
        require(
            self.state.child_involved,
            "child-not-involved",
            "Intake reported no child in this case, so no child outcome is needed.",
        )
        if victim_id not in self.state.victim_ids:
            raise NotFound("No such victim in the adopted plan.", code="victim-not-found")
        self.record(
            ChildCaseOutcomeRecorded(
                **self._header(ctx), victim_id=victim_id, outcome=cmd.outcome, note=cmd.note
            )
        )

    def approve_closure(self, cmd: ApproveClosure, ctx: CommandContext) -> None:
        """Four eyes: an approver who did not propose the closure, and every precondition of
        ``guards.TO_CLOSED``. Records ClosureApproved then IncidentClosed."""
        self._require_approver(ctx, "approve")
        proposal = self._require_in_review("Approving closure")
        subject = ctx.actor.subject
        require(
            subject != proposal.proposed_by,
            "approver-is-proposer",
            "Four eyes: closure must be approved by someone other than who proposed it.",
        )
        guards.check(guards.TO_CLOSED, self.state)
        header = self._header(ctx)
        self.record(ClosureApproved(**header, approved_by=subject, note=cmd.note))
        self.record(
            IncidentClosed(
                **header, reason=proposal.reason, closed_at=ctx.now, status=Status.CLOSED
            )
        )

    def reject_closure(self, cmd: RejectClosure, ctx: CommandContext) -> None:
        """Back to IMPLEMENTING; the team proposes again once the reason is addressed."""
        self._require_approver(ctx, "reject")
        self._require_in_review("Rejecting closure")
        self.record(
            ClosureRejected(
                **self._header(ctx),
                rejected_by=ctx.actor.subject,
                reason=cmd.reason,
                status=Status.IMPLEMENTING,
            )
        )

    def receive_appeal(self, cmd: ReceiveAppeal, ctx: CommandContext, *, appeal_id: UUID) -> None:
        self._require_closed("Receiving an appeal")
        require(
            appeal_id not in self.state.appeal_ids,
            "appeal-already-received",
            "This appeal is already recorded.",
        )
        self.record(
            AppealReceived(
                **self._header(ctx), appeal_id=appeal_id, grounds=cmd.grounds, note=cmd.note
            )
        )

    def reopen(self, cmd: ReopenIncident, ctx: CommandContext) -> None:
        """CLOSED -> REOPENED for new evidence, a recurrence (the command names the new
        incident), an appeal received since the closure (the latest is cited) or retaliation.
        Starting an action or adopting a new revision then moves it to IMPLEMENTING."""
        self._require_closed("Reopening")
        appeal_id = None
        if cmd.reason is ReopenReason.APPEAL:
            pending = self.state.pending_appeal_ids
            require(
                bool(pending),
                "appeal-not-received",
                "Reopening on appeal needs an appeal received since the incident was closed.",
            )
            appeal_id = pending[-1]
        if cmd.related_incident_id == UUID(self.stream_id):
            raise InvalidCommand(
                "related_incident_id names this incident itself.", code="related-incident-is-self"
            )
        self.record(
            IncidentReopened(
                **self._header(ctx),
                reason=cmd.reason,
                related_incident_id=cmd.related_incident_id,
                appeal_id=appeal_id,
                note=cmd.note,
                status=Status.REOPENED,
            )
        )

    # --- Helpers ------------------------------------------------------------------------------

    def _require_in_review(self, doing: str) -> ClosureProposal:
        self._require_open(doing)
        proposal = self.state.proposal
        require(
            self.state.status is Status.CLOSURE_REVIEW and proposal is not None,
            "closure-not-proposed",
            f"{doing} needs a closure proposal under review; the incident is {self.state.status}.",
        )
        assert proposal is not None
        return proposal

    def _require_closed(self, doing: str) -> None:
        self._require_adopted()
        require(
            self.state.status is Status.CLOSED,
            "incident-not-closed",
            f"{doing} is only possible on a closed incident; it is {self.state.status}.",
        )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_ClosureProposed(self, e: ClosureProposed) -> None:
        self.state.status = e.status
        self.state.proposal = ClosureProposal(
            reason=e.reason,
            checklist=dict(e.checklist),
            residual_risks=list(e.residual_risks),
            proposed_by=e.proposed_by,
        )

    def when_VictimInformedOfOutcome(self, e: VictimInformedOfOutcome) -> None:
        self.state.outcome = OutcomeCommunication(how=e.how, feedback=e.feedback)

    def when_ChildCaseOutcomeRecorded(self, e: ChildCaseOutcomeRecorded) -> None:
        self.state.child_outcomes[e.victim_id] = e.outcome

    def when_ClosureApproved(self, e: ClosureApproved) -> None:
        self.state.approved_by = e.approved_by

    def when_IncidentClosed(self, e: IncidentClosed) -> None:
        s = self.state
        s.status = e.status
        s.closed_at = e.closed_at
        s.closure_reason = e.reason
        s.priority = False  # a case leaves priority handling when it is closed

    def when_ClosureRejected(self, e: ClosureRejected) -> None:
        self.state.status = e.status
        self.state.proposal = None
        self.state.outcome = None

    def when_AppealReceived(self, e: AppealReceived) -> None:
        self.state.appeal_ids.append(e.appeal_id)
        self.state.pending_appeal_ids.append(e.appeal_id)

    def when_IncidentReopened(self, e: IncidentReopened) -> None:
        s = self.state
        s.status = e.status
        s.reopen_count += 1
        s.proposal = None
        s.outcome = None
        s.approved_by = None
        s.child_outcomes = {}
        s.final_report_id = None
        s.pending_appeal_ids = []
        if e.reason is ReopenReason.RETALIATION:
            s.priority = True
