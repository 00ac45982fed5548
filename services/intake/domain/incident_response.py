"""Incident, Step 2: determine the type and level of response (UNGP 19 and 22), approved by an
accountable role. The sourcing decision is recorded apart and never moves the incident."""

from __future__ import annotations

from shared.domain import CommandContext
from shared.errors import Forbidden

from . import guards
from .commands import (
    ApproveResponseDetermination,
    AssessInvolvement,
    AssessLeverage,
    AssessSeverity,
    DetermineResponse,
    RecordSourcingDecision,
)
from .events import (
    InvolvementAssessed,
    LeverageAssessed,
    ResponseDeterminationApproved,
    ResponseLevelDetermined,
    SeverityAssessed,
    SourcingDecisionRecorded,
)
from .incident_base import IncidentBase, Status


class ResponseSteps(IncidentBase):
    def assess_involvement(self, cmd: AssessInvolvement, ctx: CommandContext) -> None:
        self._require_status(Status.VERIFIED, doing="Assessing involvement")
        self.record(InvolvementAssessed(**self._header(ctx), **cmd.model_dump()))

    def assess_leverage(self, cmd: AssessLeverage, ctx: CommandContext) -> None:
        self._require_status(Status.VERIFIED, doing="Assessing leverage")
        self.record(LeverageAssessed(**self._header(ctx), **cmd.model_dump()))

    def assess_severity(self, cmd: AssessSeverity, ctx: CommandContext) -> None:
        self._require_status(Status.VERIFIED, doing="Assessing severity")
        self.record(SeverityAssessed(**self._header(ctx), **cmd.model_dump()))

    def determine_response(self, cmd: DetermineResponse, ctx: CommandContext) -> None:
        self._require_status(Status.VERIFIED, doing="Determining the response")
        self.record(ResponseLevelDetermined(**self._header(ctx), **cmd.model_dump()))

    def record_sourcing_decision(self, cmd: RecordSourcingDecision, ctx: CommandContext) -> None:
        self._require_status(Status.VERIFIED, doing="Recording the sourcing decision")
        self.record(SourcingDecisionRecorded(**self._header(ctx), **cmd.model_dump()))

    def approve_response_determination(
        self, cmd: ApproveResponseDetermination, ctx: CommandContext
    ) -> None:
        """UNGP 19(a): the determination is owned at an accountable level, hence the role."""
        if not ctx.actor.has_any("approver"):
            raise Forbidden(
                "Only an approver can approve a response determination.",
                code="approver-role-required",
            )
        self._require_status(Status.VERIFIED, doing="Approving the response determination")
        guards.check(guards.TO_RESPONSE_DETERMINED, self.state)
        s = self.state
        assert s.involvement and s.leverage and s.severity and s.response and s.sourcing
        self.record(
            ResponseDeterminationApproved(
                **self._header(ctx),
                approved_by=ctx.actor.subject,
                note=cmd.note,
                involvement=s.involvement.involvement,
                leverage=s.leverage.leverage,
                severity_scale=s.severity.scale,
                response_types=s.response.response_types,
                response_level=s.response.response_level,
                state_process_referral=s.response.state_process_referral,
                sourcing_decision=s.sourcing.decision,
                status=Status.RESPONSE_DETERMINED,
            )
        )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_InvolvementAssessed(self, e: InvolvementAssessed) -> None:
        self.state.involvement = e

    def when_LeverageAssessed(self, e: LeverageAssessed) -> None:
        self.state.leverage = e

    def when_SeverityAssessed(self, e: SeverityAssessed) -> None:
        self.state.severity = e

    def when_ResponseLevelDetermined(self, e: ResponseLevelDetermined) -> None:
        self.state.response = e

    def when_SourcingDecisionRecorded(self, e: SourcingDecisionRecorded) -> None:
        self.state.sourcing = e

    def when_ResponseDeterminationApproved(self, e: ResponseDeterminationApproved) -> None:
        self.state.approval = e
        self.state.status = e.status
