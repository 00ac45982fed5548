"""Incident, Step 1: verify the allegation and its link to the company's supply chain."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand
from shared.incident_status import IncidentStatus

from . import guards
from .commands import (
    AssignVerifier,
    AttachEvidence,
    RecordFinding,
    RecordSupplyChainLink,
    StartVerification,
)
from .enums import Finding, LinkConfidence, ReporterNotice, SupplyChainRole
from .events import (
    AllegationInconclusive,
    AllegationUnsubstantiated,
    AllegationVerified,
    EvidenceAttached,
    IncidentNotLinked,
    SupplyChainLinkRecorded,
    VerificationStarted,
    VerifierAssigned,
)
from .incident_base import IncidentBase, Status


def evidence_id_for(incident_id: UUID, sha256: str) -> UUID:
    """Evidence is identified by its content within an incident: the same file attached twice
    gets the same id (and is refused), and a retried command cannot create a second item."""
    return uuid5(incident_id, f"evidence:{sha256}")


class VerificationSteps(IncidentBase):
    def assign_verifier(self, cmd: AssignVerifier, ctx: CommandContext) -> None:
        self._require_status(
            Status.TRIAGED, Status.UNDER_VERIFICATION, doing="Assigning a verifier"
        )
        event = VerifierAssigned(
            **self._header(ctx),
            verifier_id=cmd.verifier_id,
            organisation=cmd.organisation,
            conflict_of_interest_declared_none=cmd.conflict_of_interest_declared_none,
        )
        if self.state.status is Status.UNDER_VERIFICATION:
            # A replacement takes over at once, so it must be free of conflict from the start.
            replaced = self.state.model_copy(update={"verifier": event})
            guards.check([guards.VERIFIER_WITHOUT_CONFLICT], replaced)
        self.record(event)

    def start_verification(self, cmd: StartVerification, ctx: CommandContext) -> None:
        self._require_status(Status.TRIAGED, doing="Starting verification")
        guards.check(guards.TO_UNDER_VERIFICATION, self.state)
        assert self.state.verifier is not None  # guaranteed by the guards
        self.record(
            VerificationStarted(
                **self._header(ctx),
                verifier_id=self.state.verifier.verifier_id,
                status=Status.UNDER_VERIFICATION,
            )
        )

    def attach_evidence(self, cmd: AttachEvidence, ctx: CommandContext) -> None:
        self._require_status(Status.UNDER_VERIFICATION, Status.VERIFIED, doing="Attaching evidence")
        evidence_id = evidence_id_for(UUID(self.stream_id), cmd.sha256)
        require(
            not self.state.knows_evidence(evidence_id),
            "evidence-already-attached",
            "A file with this sha256 is already attached to the incident.",
        )
        self.record(
            EvidenceAttached(**self._header(ctx), evidence_id=evidence_id, **cmd.model_dump())
        )

    def record_supply_chain_link(self, cmd: RecordSupplyChainLink, ctx: CommandContext) -> None:
        self._require_status(Status.UNDER_VERIFICATION, doing="Recording a supply-chain link")
        if cmd.role is SupplyChainRole.SMELTER_REFINER and cmd.smelter_cid is None:
            raise InvalidCommand(
                "A smelter or refiner needs its smelter_cid (CID + 6 digits, not_listed or "
                "not_yet_identified).",
                code="smelter-cid-required",
            )
        if cmd.role is not SupplyChainRole.SMELTER_REFINER and cmd.smelter_cid is not None:
            raise InvalidCommand(
                "Only a smelter or refiner has a smelter_cid.", code="smelter-cid-not-applicable"
            )
        unknown = [ref for ref in cmd.evidence_refs if not self.state.knows_evidence(ref)]
        if unknown:
            raise InvalidCommand(
                "evidence_refs names evidence not attached to this incident.",
                code="evidence-unknown",
                unknown=[str(ref) for ref in unknown],
            )
        if cmd.link_confidence.is_at_least(LinkConfidence.PROBABLE) and not cmd.evidence_refs:
            raise InvalidCommand(
                "A probable or confirmed link must cite the evidence it rests on.",
                code="link-evidence-missing",
            )
        self.record(SupplyChainLinkRecorded(**self._header(ctx), **cmd.model_dump()))

    def record_finding(self, cmd: RecordFinding, ctx: CommandContext) -> None:
        self._require_status(Status.UNDER_VERIFICATION, doing="Recording a finding")
        header = self._header(ctx)
        if cmd.finding.is_substantiated:
            self.record(self._verified(cmd, header))
        elif cmd.finding is Finding.INCONCLUSIVE:
            self.record(
                AllegationInconclusive(
                    **header, rationale=cmd.rationale, status=Status.UNDER_VERIFICATION
                )
            )
        else:
            notice = self._checked_reporter_notice(cmd)
            if cmd.finding is Finding.UNSUBSTANTIATED:
                self.record(
                    AllegationUnsubstantiated(
                        **header,
                        rationale=cmd.rationale,
                        reporter_notice=notice,
                        status=Status.UNSUBSTANTIATED,
                    )
                )
            else:
                require(
                    not self.state.has_link_at_least(LinkConfidence.PROBABLE),
                    "supply-chain-link-contradicts-finding",
                    "A probable or confirmed supply-chain link is recorded; revise it to "
                    "not_linked before finding the incident not linked.",
                )
                self.record(
                    IncidentNotLinked(
                        **header,
                        rationale=cmd.rationale,
                        reporter_notice=notice,
                        status=Status.NOT_LINKED,
                    )
                )

    def _verified(self, cmd: RecordFinding, header: dict[str, Any]) -> AllegationVerified:
        required = (
            guards.TO_VERIFIED_DESPITE_POSSIBLE_LINK
            if cmd.respond_despite_possible_link
            else guards.TO_VERIFIED
        )
        guards.check(required, self.state)
        assert self.state.strongest_link is not None  # guaranteed by the guards
        return AllegationVerified(
            **header,
            finding=cmd.finding,
            rationale=cmd.rationale,
            link_confidence=self.state.strongest_link,
            respond_despite_possible_link=cmd.respond_despite_possible_link,
            evidence_count=len(self.state.evidence),
            status=Status.VERIFIED,
        )

    def _checked_reporter_notice(self, cmd: RecordFinding) -> ReporterNotice:
        """Closing without a response owes the reporter an answer where they can be reached."""
        if cmd.reporter_notice is None:
            raise InvalidCommand(
                f"A {cmd.finding} finding needs reporter_notice: how the reporter was told.",
                code="reporter-notice-missing",
            )
        require(
            not (
                cmd.reporter_notice is ReporterNotice.NOT_CONTACTABLE
                and self.state.reporter_is_contactable
            ),
            "reporter-is-contactable",
            "The reporter can be reached (reply token or consented contact): inform them "
            "through a safe channel first.",
        )
        return cmd.reporter_notice

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_VerifierAssigned(self, e: VerifierAssigned) -> None:
        self.state.verifier = e

    def when_VerificationStarted(self, e: VerificationStarted) -> None:
        self.state.status = e.status

    def when_EvidenceAttached(self, e: EvidenceAttached) -> None:
        self.state.evidence.append(e)

    def when_SupplyChainLinkRecorded(self, e: SupplyChainLinkRecorded) -> None:
        """The same role and entity recorded again replaces the earlier link."""
        others = [
            link
            for link in self.state.links
            if (link.role, link.entity_ref) != (e.role, e.entity_ref)
        ]
        self.state.links = [*others, e]

    def when_AllegationVerified(self, e: AllegationVerified) -> None:
        self._found(e.finding, e.rationale, e.status)

    def when_AllegationInconclusive(self, e: AllegationInconclusive) -> None:
        self._found(Finding.INCONCLUSIVE, e.rationale, e.status)

    def when_AllegationUnsubstantiated(self, e: AllegationUnsubstantiated) -> None:
        self._found(Finding.UNSUBSTANTIATED, e.rationale, e.status)

    def when_IncidentNotLinked(self, e: IncidentNotLinked) -> None:
        self._found(Finding.NOT_LINKED, e.rationale, e.status)

    def _found(self, finding: Finding, rationale: str, status: IncidentStatus) -> None:
        self.state.finding = finding
        self.state.finding_rationale = rationale
        self.state.status = status
