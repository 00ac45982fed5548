"""Commands of intake: the HTTP request bodies, validated before the domain sees them.

Field rules here are about shape (lengths, patterns, required-together). Rules that depend on the
incident's state live in :mod:`.incident`. Free text that may identify a person (the allegation
summary, the reporter's contact) is a ``SecretStr``: it never shows in ``repr`` or logs, and the
handler seals it in the vault before anything is recorded.

Case text fields (rationale, basis, notes) end up in events: they must describe the case, never
name or describe a person so that they could be identified.
"""

from __future__ import annotations

from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

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

SMELTER_CID_PATTERN = r"^(CID\d{6}|not_listed|not_yet_identified)$"
MAX_EVIDENCE_BYTES = 5 * 1024**3


def _no_repeats(items: list[Any]) -> list[Any]:
    if len(set(items)) != len(items):
        raise ValueError("items must not repeat")
    return items


_Unique = AfterValidator(_no_repeats)
_UniqueSchema = Field(json_schema_extra={"uniqueItems": True})

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
]
"""A short identifier: a staff subject, a site code, an organisation code."""
OrganisationName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=5000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
SmelterCid = Annotated[
    str,
    Field(
        pattern=SMELTER_CID_PATTERN,
        description="RMI Smelter ID (CID + 6 digits), or not_listed / not_yet_identified",
    ),
]
AbuseTypes = Annotated[list[AbuseType], _Unique, _UniqueSchema]
IloIndicators = Annotated[list[IloIndicator], _Unique, _UniqueSchema]


def _example(payload: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [payload]})


# --- Intake -----------------------------------------------------------------------------------


_REPORTER_EXAMPLE = {
    "relationship": "ngo",
    "anonymity": "confidential",
    "contact": "field-office@example.org",
    "consent_to_contact": True,
    "retaliation_risk": "high",
}


class ReporterDetails(BaseModel):
    model_config = _example(_REPORTER_EXAMPLE)

    relationship: ReporterRelationship
    anonymity: Anonymity
    contact: SecretStr | None = Field(
        default=None,
        min_length=3,
        max_length=500,
        description="How to reach the reporter. Sealed in the vault; never stored in events.",
    )
    consent_to_contact: bool
    retaliation_risk: RetaliationRisk

    @model_validator(mode="after")
    def _anonymous_reporters_leave_no_contact(self) -> Self:
        if self.anonymity is Anonymity.ANONYMOUS and self.contact is not None:
            raise ValueError("an anonymous reporter gives no contact; use 'confidential' instead")
        return self


class SubmitAllegation(BaseModel):
    """Step 0/1 input. ``alleged_abuses`` may be empty: reporters rarely know the legal category,
    and triage classifies the allegation before it can move on."""

    model_config = _example(
        {
            "channel": "ngo_report",
            "alleged_abuses": ["wfcl_hazardous_work", "debt_bondage"],
            "ilo_indicators": ["debt_bondage", "withholding_of_wages"],
            "minerals": ["cobalt"],
            "country": "CD",
            "site_type": "asm",
            "site_ref": "KOL-ASM-017",
            "alleged_actors": ["Example Minerals Trading SARL"],
            "child_involved": True,
            "immediate_danger": True,
            "received_at": "2026-03-02T08:30:00Z",
            "summary": "Children said to dig and wash ore at an artisanal site; families owe "
            "advances to a local buyer and wages are withheld.",
            "reporter": _REPORTER_EXAMPLE,
        }
    )

    channel: Channel
    alleged_abuses: AbuseTypes = []
    ilo_indicators: IloIndicators = []
    minerals: Annotated[list[Mineral], _Unique, _UniqueSchema] = Field(min_length=1)
    country: CountryCode
    site_type: SiteType = SiteType.UNKNOWN
    site_ref: Code | None = None
    alleged_actors: list[OrganisationName] = Field(
        default=[],
        max_length=20,
        description="Companies or entities accused. Never a person's name: that goes in summary.",
    )
    child_involved: bool
    immediate_danger: bool
    received_at: AwareDatetime | None = Field(
        default=None, description="When the channel received it, if earlier than submission."
    )
    summary: SecretStr = Field(
        min_length=1, max_length=20000, description="Free text; sealed in the vault."
    )
    reporter: ReporterDetails


class AssignCaseManager(BaseModel):
    model_config = _example({"case_manager_id": "cm-0042"})

    case_manager_id: Code


class RecordDuplicateCheck(BaseModel):
    model_config = _example({"duplicates_found": False})

    duplicates_found: bool


class LinkDuplicate(BaseModel):
    model_config = _example(
        {
            "other_incident_id": "0b9f6d1e-4c1a-4a57-9d1e-6f0e2b8a9c31",
            "note": "Same site and period, reported through the industry mechanism.",
        }
    )

    other_incident_id: UUID
    note: Note | None = None


class TriageAllegation(BaseModel):
    model_config = _example(
        {
            "credibility": "high",
            "additional_abuses": ["child_labour_below_minimum_age"],
            "additional_ilo_indicators": ["abuse_of_vulnerability"],
        }
    )

    credibility: Credibility
    additional_abuses: AbuseTypes = []
    additional_ilo_indicators: IloIndicators = []


# --- Safety: allowed from RECEIVED on ---------------------------------------------------------


class FlagImmediateDanger(BaseModel):
    model_config = _example({"reason": "child_in_hazardous_work"})

    reason: DangerReason


class TakeImmediateProtectionAction(BaseModel):
    """No note on purpose: the measure and the organisation delivering it are all the case needs;
    details about the person stay with the provider."""

    model_config = _example({"measure": "removal_from_work", "provider_ref": "IOM Kinshasa"})

    measure: ProtectionMeasure
    provider_ref: OrganisationName


class ReferToAuthorities(BaseModel):
    """Sharing with the authorities needs consent, unless an override applies (domain.md 3.3)."""

    model_config = _example(
        {
            "authority": "child_protection_services",
            "legal_basis": "Child protection code, duty to report a child in danger",
            "consent_obtained": False,
            "override_reason": "child_protection",
        }
    )

    authority: AuthorityKind
    legal_basis: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
    consent_obtained: bool
    override_reason: ConsentOverride | None = None

    @model_validator(mode="after")
    def _consent_or_a_recorded_override(self) -> Self:
        if self.consent_obtained == (self.override_reason is not None):
            raise ValueError("give consent_obtained=true, or consent_obtained=false with an override_reason")
        return self


# --- Step 1: verify the allegation ------------------------------------------------------------


class AssignVerifier(BaseModel):
    model_config = _example(
        {
            "verifier_id": "ver-0007",
            "organisation": "Independent Assessors Ltd",
            "conflict_of_interest_declared_none": True,
        }
    )

    verifier_id: Code
    organisation: OrganisationName
    conflict_of_interest_declared_none: bool


class StartVerification(BaseModel):
    model_config = _example({})


class AttachEvidence(BaseModel):
    """Metadata only: the file itself sits in the evidence store under its sha256."""

    model_config = _example(
        {
            "type": "audit_report",
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "source_reliability": "B",
            "sensitivity": "confidential",
            "media_type": "application/pdf",
            "size_bytes": 482133,
            "retention_class": "case_file",
            "legal_hold": False,
        }
    )

    type: EvidenceType
    sha256: Sha256
    source_reliability: SourceReliability
    sensitivity: Sensitivity
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    size_bytes: int = Field(ge=1, le=MAX_EVIDENCE_BYTES)
    retention_class: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    legal_hold: bool = False


class RecordSupplyChainLink(BaseModel):
    """One actor on the path mine -> trader -> smelter (CID) -> supplier -> product.

    Recording the same role and entity again replaces the earlier link (e.g. confidence raised).
    """

    model_config = _example(
        {
            "role": "smelter_refiner",
            "entity_ref": "Example Cobalt Refinery Co.",
            "smelter_cid": "CID002050",
            "rmi_status": "active",
            "link_confidence": "probable",
            "evidence_refs": ["6a1f3c52-51f0-5b8e-9a3e-0c7d2f6b1e44"],
        }
    )

    role: SupplyChainRole
    entity_ref: OrganisationName
    smelter_cid: SmelterCid | None = None
    rmi_status: RmiStatus = RmiStatus.UNKNOWN
    link_confidence: LinkConfidence
    evidence_refs: Annotated[list[UUID], _Unique, _UniqueSchema] = Field(default=[], max_length=50)


class RecordFinding(BaseModel):
    model_config = _example(
        {
            "finding": "substantiated",
            "rationale": "Two independent interview records and the audit report agree on "
            "children working at the site; purchase records link the site to the refinery.",
            "respond_despite_possible_link": False,
        }
    )

    finding: Finding
    rationale: Rationale
    respond_despite_possible_link: bool = Field(
        default=False,
        description="Verify on a 'possible' supply-chain link, as an explicit decision.",
    )
    reporter_notice: ReporterNotice | None = Field(
        default=None, description="Required for unsubstantiated and not_linked findings."
    )


# --- Step 2: determine the type and level of response -----------------------------------------


class AssessInvolvement(BaseModel):
    model_config = _example(
        {
            "involvement": "directly_linked",
            "rationale": "The company buys cobalt from the refinery supplied by the site; "
            "it did not cause or contribute to the harm.",
        }
    )

    involvement: Involvement
    rationale: Rationale


class AssessLeverage(BaseModel):
    model_config = _example(
        {
            "leverage": "medium",
            "basis": "Refinery supplies about 15% of our cobalt and is in an RMI assessment.",
        }
    )

    leverage: Leverage
    basis: Rationale


class AssessSeverity(BaseModel):
    """Scale, scope and irremediable character (UNGP 14): all three are always assessed."""

    model_config = _example(
        {
            "scale": 4,
            "people_affected": 23,
            "scope": "group",
            "irremediable": False,
            "irremediable_note": None,
        }
    )

    scale: int = Field(ge=1, le=4, description="Gravity, 1 (low) to 4 (very grave)")
    people_affected: int = Field(ge=1, le=1_000_000)
    scope: ScopeBand
    irremediable: bool
    irremediable_note: Note | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.irremediable and self.irremediable_note is None:
            raise ValueError("irremediable harm needs an irremediable_note saying why")
        if self.scope is ScopeBand.INDIVIDUAL and self.people_affected != 1:
            raise ValueError("scope 'individual' means people_affected is 1")
        return self


class DetermineResponse(BaseModel):
    model_config = _example(
        {
            "response_types": ["immediate_protection", "collective_community", "systemic_supplier"],
            "response_level": "joint_with_supplier",
            "state_process_referral": True,
            "authority": "child_protection_services",
        }
    )

    response_types: Annotated[list[ResponseType], _Unique, _UniqueSchema] = Field(min_length=1)
    response_level: ResponseLevel
    state_process_referral: bool
    authority: AuthorityKind | None = None

    @model_validator(mode="after")
    def _referral_names_its_authority(self) -> Self:
        if self.state_process_referral != (self.authority is not None):
            raise ValueError("give an authority exactly when state_process_referral is true")
        if ResponseType.REFERRAL_TO_AUTHORITIES in self.response_types and not self.state_process_referral:
            raise ValueError("response type referral_to_authorities needs state_process_referral")
        return self


class RecordSourcingDecision(BaseModel):
    model_config = _example(
        {
            "decision": "continue_with_mitigation",
            "rationale": "Disengaging would end the leverage needed to deliver remedy; "
            "the refinery accepted a corrective action plan.",
        }
    )

    decision: SourcingDecision
    rationale: Rationale


class ApproveResponseDetermination(BaseModel):
    model_config = _example({"note": "Budget and owner confirmed by the human-rights committee."})

    note: Note | None = None


# --- Any open state ---------------------------------------------------------------------------


class PutOnHold(BaseModel):
    model_config = _example({"reason": "state_investigation_request"})

    reason: HoldReason


class Resume(BaseModel):
    model_config = _example({})
