"""Incident, Step 0: receive, classify and triage the allegation, and keep people safe from the
first moment (protection and referral never wait for verification, nor for a hold)."""

from __future__ import annotations

from typing import Self, TypeVar
from uuid import UUID, uuid5

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand

from . import guards
from .commands import (
    AssignCaseManager,
    FlagImmediateDanger,
    LinkDuplicate,
    RecordDuplicateCheck,
    ReferToAuthorities,
    SubmitAllegation,
    TakeImmediateProtectionAction,
    TriageAllegation,
)
from .enums import ConsentOverride
from .events import (
    AllegationReceived,
    AllegationTriaged,
    CaseManagerAssigned,
    DuplicateCheckCompleted,
    DuplicateLinked,
    ImmediateDangerFlagged,
    ImmediateProtectionActionTaken,
    ReferredToAuthorities,
    ReporterRegistered,
)
from .incident_base import IncidentBase, Status

T = TypeVar("T")


def _merged(known: list[T], added: list[T]) -> list[T]:
    return known + [item for item in added if item not in known]


class IntakeSteps(IncidentBase):
    @classmethod
    def submit(
        cls,
        incident_id: UUID,
        cmd: SubmitAllegation,
        ctx: CommandContext,
        *,
        reference: str,
        summary_ref: str,
        reporter_id: UUID,
        contact_ref: str | None,
        has_reply_token: bool,
    ) -> Self:
        """Open a new incident stream. The handler has already sealed the summary and contact in
        the vault and passes only their references, so no crypto happens here."""
        received_at = cmd.received_at or ctx.now
        if received_at > ctx.now:
            raise InvalidCommand("received_at lies in the future.", code="received-in-future")
        incident = cls(str(incident_id))
        # One allegation per incident today; derived from the incident so a retry cannot fork it.
        header = incident._header(ctx)
        incident.record(
            AllegationReceived(
                **header,
                reference=reference,
                allegation_id=uuid5(incident_id, "allegation"),
                channel=cmd.channel,
                alleged_abuses=cmd.alleged_abuses,
                ilo_indicators=cmd.ilo_indicators,
                minerals=cmd.minerals,
                country=cmd.country,
                site_type=cmd.site_type,
                site_ref=cmd.site_ref,
                alleged_actors=cmd.alleged_actors,
                child_involved=cmd.child_involved,
                immediate_danger=cmd.immediate_danger,
                summary_ref=summary_ref,
                reporter_id=reporter_id,
                received_at=received_at,
                status=Status.RECEIVED,
            )
        )
        reporter = cmd.reporter
        incident.record(
            ReporterRegistered(
                **header,
                reporter_id=reporter_id,
                relationship=reporter.relationship,
                anonymity=reporter.anonymity,
                consent_to_contact=reporter.consent_to_contact,
                retaliation_risk=reporter.retaliation_risk,
                contact_ref=contact_ref,
                has_reply_token=has_reply_token,
            )
        )
        return incident

    def assign_case_manager(self, cmd: AssignCaseManager, ctx: CommandContext) -> None:
        self._require_open()
        self.record(CaseManagerAssigned(**self._header(ctx), case_manager_id=cmd.case_manager_id))

    def record_duplicate_check(self, cmd: RecordDuplicateCheck, ctx: CommandContext) -> None:
        self._require_status(Status.RECEIVED, doing="Recording the duplicate check")
        self.record(
            DuplicateCheckCompleted(**self._header(ctx), duplicates_found=cmd.duplicates_found)
        )

    def link_duplicate(self, cmd: LinkDuplicate, ctx: CommandContext) -> None:
        self._require_open()
        if str(cmd.other_incident_id) == self.stream_id:
            raise InvalidCommand("An incident cannot duplicate itself.", code="duplicate-of-itself")
        require(
            cmd.other_incident_id not in self.state.duplicate_of,
            "duplicate-already-linked",
            "This incident is already linked to that duplicate.",
        )
        self.record(
            DuplicateLinked(
                **self._header(ctx), other_incident_id=cmd.other_incident_id, note=cmd.note
            )
        )

    def triage(self, cmd: TriageAllegation, ctx: CommandContext) -> None:
        self._require_status(Status.RECEIVED, doing="Triage")
        abuses = _merged(self.state.alleged_abuses, cmd.additional_abuses)
        indicators = _merged(self.state.ilo_indicators, cmd.additional_ilo_indicators)
        # Guards judge the allegation as it will stand after triage, with the abuses it adds.
        guards.check(guards.TO_TRIAGED, self.state.model_copy(update={"alleged_abuses": abuses}))
        self.record(
            AllegationTriaged(
                **self._header(ctx),
                credibility=cmd.credibility,
                alleged_abuses=abuses,
                ilo_indicators=indicators,
                status=Status.TRIAGED,
            )
        )

    def flag_immediate_danger(self, cmd: FlagImmediateDanger, ctx: CommandContext) -> None:
        self._require_open(allowed_on_hold=True)
        self.record(ImmediateDangerFlagged(**self._header(ctx), reason=cmd.reason))

    def take_immediate_protection_action(
        self, cmd: TakeImmediateProtectionAction, ctx: CommandContext
    ) -> None:
        self._require_open(allowed_on_hold=True)
        self.record(
            ImmediateProtectionActionTaken(
                **self._header(ctx), measure=cmd.measure, provider_ref=cmd.provider_ref
            )
        )

    def refer_to_authorities(self, cmd: ReferToAuthorities, ctx: CommandContext) -> None:
        self._require_open(allowed_on_hold=True)
        if (
            cmd.override_reason is ConsentOverride.CHILD_PROTECTION
            and not self.state.child_involved
        ):
            raise InvalidCommand(
                "The child-protection override applies only when a child is involved.",
                code="child-protection-override-needs-child",
            )
        self.record(
            ReferredToAuthorities(
                **self._header(ctx),
                authority=cmd.authority,
                legal_basis=cmd.legal_basis,
                consent_obtained=cmd.consent_obtained,
                override_reason=cmd.override_reason,
            )
        )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_AllegationReceived(self, e: AllegationReceived) -> None:
        s = self.state
        s.reference = e.reference
        s.status = e.status
        s.allegation_id = e.allegation_id
        s.received_at = e.received_at
        s.channel = e.channel
        s.alleged_abuses = list(e.alleged_abuses)
        s.ilo_indicators = list(e.ilo_indicators)
        s.minerals = list(e.minerals)
        s.country = e.country
        s.site_type = e.site_type
        s.site_ref = e.site_ref
        s.alleged_actors = list(e.alleged_actors)
        s.child_involved = e.child_involved
        s.immediate_danger = e.immediate_danger
        s.summary_ref = e.summary_ref

    def when_ReporterRegistered(self, e: ReporterRegistered) -> None:
        self.state.reporter = e

    def when_CaseManagerAssigned(self, e: CaseManagerAssigned) -> None:
        self.state.case_manager_id = e.case_manager_id

    def when_DuplicateCheckCompleted(self, e: DuplicateCheckCompleted) -> None:
        self.state.duplicate_check_done = True
        self.state.duplicates_found = e.duplicates_found

    def when_DuplicateLinked(self, e: DuplicateLinked) -> None:
        self.state.duplicate_of.append(e.other_incident_id)

    def when_AllegationTriaged(self, e: AllegationTriaged) -> None:
        self.state.credibility = e.credibility
        self.state.alleged_abuses = list(e.alleged_abuses)
        self.state.ilo_indicators = list(e.ilo_indicators)
        self.state.status = e.status

    def when_ImmediateDangerFlagged(self, e: ImmediateDangerFlagged) -> None:
        self.state.immediate_danger = True
        self.state.danger_reasons = _merged(self.state.danger_reasons, [e.reason])

    def when_ImmediateProtectionActionTaken(self, e: ImmediateProtectionActionTaken) -> None:
        self.state.protection_actions.append(e)

    def when_ReferredToAuthorities(self, e: ReferredToAuthorities) -> None:
        self.state.referrals.append(e)
