"""Facts recorded by intake (domain.md 2.3: intake, Step 1 and Step 2 events).

Rules for every event here:

- No personal data. Reporters appear only as a pseudonymous ``reporter_id``; the allegation
  summary and the reporter's contact live in the vault, and events carry only ``summary_ref`` /
  ``contact_ref``. Case text (``rationale``, ``basis``, ``note``) is allowed because reviewers and
  auditors need the reasoning, but it must describe the case, never name or describe a person.
- Field types are plain (``str`` rather than the command's patterns): events are validated again on
  every replay, and a rule tightened later for new commands must not make old events unreadable.
- Events that move the incident carry the new ``status``, so projections never re-derive it.
- ``occurred_at`` is the command's ``ctx.now``; the actor is in the envelope, not the payload,
  except where the person is part of the fact (``approved_by``).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.domain import DomainEvent, EventRegistry
from shared.incident_status import IncidentStatus

from .enums import (
    AbuseType,
    Anonymity,
    AuthorityKind,
    Channel,
    ConsentOverride,
    Credibility,
    DangerReason,
    EvidenceType,
    Finding,
    HoldReason,
    IloIndicator,
    Involvement,
    Leverage,
    LinkConfidence,
    Mineral,
    ProtectionMeasure,
    ReporterNotice,
    ReporterRelationship,
    ResponseLevel,
    ResponseType,
    RetaliationRisk,
    RmiStatus,
    ScopeBand,
    Sensitivity,
    SiteType,
    SourceReliability,
    SourcingDecision,
    SupplyChainRole,
)

registry = EventRegistry("intake")


class IncidentEvent(DomainEvent):
    """Base of every intake event: which incident, and when it happened."""

    incident_id: UUID
    occurred_at: datetime


# --- Intake -----------------------------------------------------------------------------------


@registry.register
class AllegationReceived(IncidentEvent):
    """Opens the incident. ``received_at`` is when the channel got it (may precede submission)."""

    reference: str
    allegation_id: UUID
    channel: Channel
    alleged_abuses: list[AbuseType]
    ilo_indicators: list[IloIndicator]
    minerals: list[Mineral]
    country: str
    site_type: SiteType
    site_ref: str | None
    alleged_actors: list[str]
    child_involved: bool
    immediate_danger: bool
    summary_ref: str
    reporter_id: UUID
    received_at: datetime
    status: IncidentStatus


@registry.register
class ReporterRegistered(IncidentEvent):
    """The reporter, sealed: how to reach them is only a vault reference or a reply token."""

    reporter_id: UUID
    relationship: ReporterRelationship
    anonymity: Anonymity
    consent_to_contact: bool
    retaliation_risk: RetaliationRisk
    contact_ref: str | None
    has_reply_token: bool


@registry.register
class CaseManagerAssigned(IncidentEvent):
    case_manager_id: str


@registry.register
class DuplicateCheckCompleted(IncidentEvent):
    duplicates_found: bool


@registry.register
class DuplicateLinked(IncidentEvent):
    other_incident_id: UUID
    note: str | None


@registry.register
class AllegationTriaged(IncidentEvent):
    """Carries the full classification after triage, not only what triage added."""

    credibility: Credibility
    alleged_abuses: list[AbuseType]
    ilo_indicators: list[IloIndicator]
    status: IncidentStatus


@registry.register
class ImmediateDangerFlagged(IncidentEvent):
    reason: DangerReason


@registry.register
class ImmediateProtectionActionTaken(IncidentEvent):
    measure: ProtectionMeasure
    provider_ref: str


@registry.register
class ReferredToAuthorities(IncidentEvent):
    authority: AuthorityKind
    legal_basis: str
    consent_obtained: bool
    override_reason: ConsentOverride | None


# --- Step 1: verify the allegation ------------------------------------------------------------


@registry.register
class VerifierAssigned(IncidentEvent):
    verifier_id: str
    organisation: str
    conflict_of_interest_declared_none: bool


@registry.register
class VerificationStarted(IncidentEvent):
    verifier_id: str
    status: IncidentStatus


@registry.register
class EvidenceAttached(IncidentEvent):
    evidence_id: UUID
    type: EvidenceType
    sha256: str
    source_reliability: SourceReliability
    sensitivity: Sensitivity
    media_type: str
    size_bytes: int
    retention_class: str
    legal_hold: bool


@registry.register
class SupplyChainLinkRecorded(IncidentEvent):
    role: SupplyChainRole
    entity_ref: str
    smelter_cid: str | None
    rmi_status: RmiStatus
    link_confidence: LinkConfidence
    evidence_refs: list[UUID]


@registry.register
class AllegationVerified(IncidentEvent):
    """Substantiated or partially substantiated. ``link_confidence`` is the strongest link."""

    finding: Finding
    rationale: str
    link_confidence: LinkConfidence
    respond_despite_possible_link: bool
    evidence_count: int
    status: IncidentStatus


@registry.register
class AllegationUnsubstantiated(IncidentEvent):
    rationale: str
    reporter_notice: ReporterNotice
    status: IncidentStatus


@registry.register
class AllegationInconclusive(IncidentEvent):
    """Recorded, but verification goes on: ``status`` stays UNDER_VERIFICATION."""

    rationale: str
    status: IncidentStatus


@registry.register
class IncidentNotLinked(IncidentEvent):
    rationale: str
    reporter_notice: ReporterNotice
    status: IncidentStatus


# --- Step 2: determine the type and level of response -----------------------------------------


@registry.register
class InvolvementAssessed(IncidentEvent):
    involvement: Involvement
    rationale: str


@registry.register
class LeverageAssessed(IncidentEvent):
    leverage: Leverage
    basis: str


@registry.register
class SeverityAssessed(IncidentEvent):
    scale: int
    people_affected: int
    scope: ScopeBand
    irremediable: bool
    irremediable_note: str | None


@registry.register
class ResponseLevelDetermined(IncidentEvent):
    response_types: list[ResponseType]
    response_level: ResponseLevel
    state_process_referral: bool
    authority: AuthorityKind | None


@registry.register
class SourcingDecisionRecorded(IncidentEvent):
    """Never moves the incident: the sourcing decision is kept apart from the remedy."""

    decision: SourcingDecision
    rationale: str


@registry.register
class ResponseDeterminationApproved(IncidentEvent):
    """Repeats the approved determination so plan and reporting need no other intake event."""

    approved_by: str
    note: str | None
    involvement: Involvement
    leverage: Leverage
    severity_scale: int
    response_types: list[ResponseType]
    response_level: ResponseLevel
    state_process_referral: bool
    sourcing_decision: SourcingDecision
    status: IncidentStatus


# --- Any open state ---------------------------------------------------------------------------


@registry.register
class IncidentPutOnHold(IncidentEvent):
    reason: HoldReason
    previous_status: IncidentStatus
    status: IncidentStatus


@registry.register
class IncidentResumed(IncidentEvent):
    status: IncidentStatus
