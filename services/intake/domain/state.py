"""What intake knows about one incident: the fold of its events, and nothing the guards don't need.

Events that are themselves the record (the reporter, evidence, links, assessments) are kept as
they were recorded rather than copied into look-alike models. The state is snapshotted, so it
must survive ``model_dump(mode="json")`` -> ``model_validate`` unchanged.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from shared.incident_status import IncidentStatus

from .enums import (
    AbuseType,
    Channel,
    Credibility,
    DangerReason,
    Finding,
    HoldReason,
    IloIndicator,
    LinkConfidence,
    Mineral,
    SiteType,
)
from .events import (
    EvidenceAttached,
    ImmediateProtectionActionTaken,
    InvolvementAssessed,
    LeverageAssessed,
    ReferredToAuthorities,
    ReporterRegistered,
    ResponseDeterminationApproved,
    ResponseLevelDetermined,
    SeverityAssessed,
    SourcingDecisionRecorded,
    SupplyChainLinkRecorded,
    VerifierAssigned,
)


class IncidentState(BaseModel):
    reference: str | None = None
    status: IncidentStatus = IncidentStatus.RECEIVED
    status_before_hold: IncidentStatus | None = None
    hold_reason: HoldReason | None = None

    # Intake: the allegation, classified at triage
    allegation_id: UUID | None = None
    received_at: datetime | None = None
    channel: Channel | None = None
    alleged_abuses: list[AbuseType] = Field(default_factory=list)
    ilo_indicators: list[IloIndicator] = Field(default_factory=list)
    minerals: list[Mineral] = Field(default_factory=list)
    country: str | None = None
    site_type: SiteType = SiteType.UNKNOWN
    site_ref: str | None = None
    alleged_actors: list[str] = Field(default_factory=list)
    child_involved: bool = False
    summary_ref: str | None = None
    credibility: Credibility | None = None
    reporter: ReporterRegistered | None = None
    case_manager_id: str | None = None
    duplicate_check_done: bool = False
    duplicates_found: bool = False
    duplicate_of: list[UUID] = Field(default_factory=list)

    # Safety, from RECEIVED on
    immediate_danger: bool = False
    danger_reasons: list[DangerReason] = Field(default_factory=list)
    protection_actions: list[ImmediateProtectionActionTaken] = Field(default_factory=list)
    referrals: list[ReferredToAuthorities] = Field(default_factory=list)

    # Step 1: verification
    verifier: VerifierAssigned | None = None
    evidence: list[EvidenceAttached] = Field(default_factory=list)
    links: list[SupplyChainLinkRecorded] = Field(default_factory=list)
    finding: Finding | None = None
    finding_rationale: str | None = None

    # Step 2: response determination
    involvement: InvolvementAssessed | None = None
    leverage: LeverageAssessed | None = None
    severity: SeverityAssessed | None = None
    response: ResponseLevelDetermined | None = None
    sourcing: SourcingDecisionRecorded | None = None
    approval: ResponseDeterminationApproved | None = None

    @property
    def reporter_is_contactable(self) -> bool:
        """Reachable through a reply token, or through a sealed contact they agreed we may use."""
        reporter = self.reporter
        if reporter is None:
            return False
        return reporter.has_reply_token or (
            reporter.consent_to_contact and reporter.contact_ref is not None
        )

    @property
    def immediate_danger_addressed(self) -> bool:
        return bool(self.protection_actions or self.referrals)

    @property
    def strongest_link(self) -> LinkConfidence | None:
        return max(
            (link.link_confidence for link in self.links), key=lambda c: c.rank, default=None
        )

    def has_link_at_least(self, confidence: LinkConfidence) -> bool:
        strongest = self.strongest_link
        return strongest is not None and strongest.is_at_least(confidence)

    def knows_evidence(self, evidence_id: UUID) -> bool:
        return any(item.evidence_id == evidence_id for item in self.evidence)
