"""Commands about the plan's beneficiaries: victims, communities, guardians, age, consent and
needs assessments (Step 3 inputs)."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import AwareDatetime, BaseModel, Field, SecretStr, model_validator

from ..enums import (
    ActionCategory,
    AgeBand,
    AgeVerificationMethod,
    ConsentGiver,
    ConsentMethod,
    ConsentPurpose,
    ContactStatus,
    Gender,
    GuardianRelationship,
    RiskLevel,
    WithdrawalReason,
)
from .fields import CaseText, Label, LanguageCode, OrganisationCode, UniqueList, example

_IDENTITY_EXAMPLE = {
    "full_name": "Amani Mwamba",
    "contact": "via NGO field office, +243 800 000 000",
    "notes": "Prefers Swahili; reachable on market days.",
}


class PersonIdentity(BaseModel):
    """Who a person is. The handler seals every field in the vault under the person's own key and
    passes the domain only an ``identity_ref``; none of it is ever recorded in an event."""

    model_config = example(_IDENTITY_EXAMPLE)

    full_name: SecretStr = Field(min_length=1, max_length=200)
    contact: SecretStr | None = Field(default=None, min_length=3, max_length=500)
    notes: SecretStr | None = Field(default=None, min_length=1, max_length=5000)


IDENTITY_FIELDS = frozenset(PersonIdentity.model_fields)
"""The sealed identity fields a reader may ask for (audited as PersonalDataAccessed)."""


class RegisterVictim(BaseModel):
    """The domain derives ``is_child``: a child unless an adult age has been verified."""

    model_config = example(
        {
            "age_band": "13_14",
            "age_verified": False,
            "gender": "female",
            "provider_ref": "ngo-bondeko",
            "contact_status": "reachable",
            "identity": _IDENTITY_EXAMPLE,
        }
    )

    age_band: AgeBand
    age_verified: bool = False
    gender: Gender | None = None
    provider_ref: OrganisationCode | None = Field(
        default=None, description="The service provider looking after the victim"
    )
    contact_status: ContactStatus
    identity: PersonIdentity | None = None

    @model_validator(mode="after")
    def _unknown_age_is_not_verified(self) -> Self:
        if self.age_verified and self.age_band is AgeBand.UNKNOWN_PRESUMED_CHILD:
            raise ValueError("an unknown age cannot be verified; give the verified age band")
        return self


class RegisterCommunityBeneficiary(BaseModel):
    model_config = example({"label": "KOL-ASM-017 washing-site households", "people_estimate": 120})

    label: Label = Field(description="Non-identifying: a site code or a group, never a name")
    people_estimate: int = Field(ge=1, le=10_000_000)


class AssignGuardian(BaseModel):
    model_config = example({"relationship": "parent", "identity": _IDENTITY_EXAMPLE})

    relationship: GuardianRelationship
    identity: PersonIdentity | None = None


class VerifyAge(BaseModel):
    model_config = example({"age_band": "15_17", "method": "birth_certificate"})

    age_band: AgeBand
    method: AgeVerificationMethod

    @model_validator(mode="after")
    def _a_verified_age_is_known(self) -> Self:
        if self.age_band is AgeBand.UNKNOWN_PRESUMED_CHILD:
            raise ValueError("verifying an age establishes a band; unknown is not one")
        return self


class RecordConsent(BaseModel):
    """Informed consent (IOM principle 5; WHO). For a child it is given by the guardian, with a
    best-interests note, while ``child_views_recorded`` says the child's own views were heard."""

    model_config = example(
        {
            "given_by": "guardian",
            "purposes": ["service_provision", "data_sharing_with_provider", "case_management"],
            "recipients": ["ngo-bondeko", "school-kolwezi-3"],
            "method": "written",
            "language": "sw",
            "interpreter_used": True,
            "given_at": "2026-04-02T10:00:00Z",
            "expires_at": "2027-04-02T10:00:00Z",
            "best_interests_note": "Schooling with a family stipend keeps the child out of the "
            "pit and at home; the child asked to return to school.",
            "child_views_recorded": True,
        }
    )

    given_by: ConsentGiver
    purposes: UniqueList[ConsentPurpose] = Field(min_length=1)
    recipients: UniqueList[OrganisationCode] = Field(
        min_length=1, max_length=50, description="Organisations the data and services go to"
    )
    method: ConsentMethod
    language: LanguageCode
    interpreter_used: bool
    given_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    best_interests_note: CaseText | None = None
    child_views_recorded: bool = False

    @model_validator(mode="after")
    def _expires_after_it_is_given(self) -> Self:
        if self.expires_at is not None and self.expires_at <= self.given_at:
            raise ValueError("expires_at must be after given_at")
        return self


class WithdrawConsent(BaseModel):
    model_config = example({"reason": "victim_request"})

    reason: WithdrawalReason | None = None


class RecordNeedsAssessment(BaseModel):
    model_config = example(
        {
            "provider_id": "ngo-bondeko",
            "assessed_on": "2026-04-01",
            "needs": ["medical", "education_schooling", "family_stipend", "psychosocial"],
            "risk_level": "high",
        }
    )

    provider_id: OrganisationCode
    assessed_on: date
    needs: UniqueList[ActionCategory] = Field(min_length=1)
    risk_level: RiskLevel
