"""Commands of intake proper (Step 0): receive, classify and triage an allegation, keep people
safe from RECEIVED on, and pause or resume the incident."""

from __future__ import annotations

from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from ..enums import (
    Anonymity,
    AuthorityKind,
    Channel,
    ConsentOverride,
    Credibility,
    DangerReason,
    HoldReason,
    Mineral,
    ProtectionMeasure,
    ReporterRelationship,
    RetaliationRisk,
    SiteType,
)
from .fields import (
    AbuseTypes,
    Code,
    CountryCode,
    IloIndicators,
    Note,
    OrganisationName,
    UniqueList,
    example,
)

# --- Intake -----------------------------------------------------------------------------------


_REPORTER_EXAMPLE = {
    "relationship": "ngo",
    "anonymity": "confidential",
    "contact": "field-office@example.org",
    "consent_to_contact": True,
    "retaliation_risk": "high",
}


class ReporterDetails(BaseModel):
    model_config = example(_REPORTER_EXAMPLE)

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

    model_config = example(
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
    minerals: UniqueList[Mineral] = Field(min_length=1)
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
    model_config = example({"case_manager_id": "cm-0042"})

    case_manager_id: Code


class RecordDuplicateCheck(BaseModel):
    model_config = example({"duplicates_found": False})

    duplicates_found: bool


class LinkDuplicate(BaseModel):
    model_config = example(
        {
            "other_incident_id": "0b9f6d1e-4c1a-4a57-9d1e-6f0e2b8a9c31",
            "note": "Same site and period, reported through the industry mechanism.",
        }
    )

    other_incident_id: UUID
    note: Note | None = None


class TriageAllegation(BaseModel):
    model_config = example(
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
    model_config = example({"reason": "child_in_hazardous_work"})

    reason: DangerReason


class TakeImmediateProtectionAction(BaseModel):
    """No note on purpose: the measure and the organisation delivering it are all the case needs;
    details about the person stay with the provider."""

    model_config = example({"measure": "removal_from_work", "provider_ref": "IOM Kinshasa"})

    measure: ProtectionMeasure
    provider_ref: OrganisationName


class ReferToAuthorities(BaseModel):
    """Sharing with the authorities needs consent, unless an override applies (domain.md 3.3)."""

    model_config = example(
        {
            "authority": "child_protection_services",
            "legal_basis": "Child protection code, duty to report a child in danger",
            "consent_obtained": False,
            "override_reason": "child_protection",
        }
    )

    authority: AuthorityKind
    legal_basis: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)
    ]
    consent_obtained: bool
    override_reason: ConsentOverride | None = None

    @model_validator(mode="after")
    def _consent_or_a_recorded_override(self) -> Self:
        if self.consent_obtained == (self.override_reason is not None):
            raise ValueError(
                "give consent_obtained=true, or consent_obtained=false with an override_reason"
            )
        return self


# --- Any open state ---------------------------------------------------------------------------


class PutOnHold(BaseModel):
    model_config = example({"reason": "state_investigation_request"})

    reason: HoldReason


class Resume(BaseModel):
    model_config = example({})
