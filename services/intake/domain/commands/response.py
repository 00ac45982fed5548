"""Commands of Step 2: determine the type and level of response (UNGP 19 and 22)."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from ..enums import (
    AuthorityKind,
    Involvement,
    Leverage,
    ResponseLevel,
    ResponseType,
    ScopeBand,
    SourcingDecision,
)
from .fields import (
    Note,
    Rationale,
    UniqueList,
    example,
)

# --- Step 2: determine the type and level of response -----------------------------------------


class AssessInvolvement(BaseModel):
    model_config = example(
        {
            "involvement": "directly_linked",
            "rationale": "The company buys cobalt from the refinery supplied by the site; "
            "it did not cause or contribute to the harm.",
        }
    )

    involvement: Involvement
    rationale: Rationale


class AssessLeverage(BaseModel):
    model_config = example(
        {
            "leverage": "medium",
            "basis": "Refinery supplies about 15% of our cobalt and is in an RMI assessment.",
        }
    )

    leverage: Leverage
    basis: Rationale


class AssessSeverity(BaseModel):
    """Scale, scope and irremediable character (UNGP 14): all three are always assessed."""

    model_config = example(
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
    model_config = example(
        {
            "response_types": ["immediate_protection", "collective_community", "systemic_supplier"],
            "response_level": "joint_with_supplier",
            "state_process_referral": True,
            "authority": "child_protection_services",
        }
    )

    response_types: UniqueList[ResponseType] = Field(min_length=1)
    response_level: ResponseLevel
    state_process_referral: bool
    authority: AuthorityKind | None = None

    @model_validator(mode="after")
    def _referral_names_its_authority(self) -> Self:
        if self.state_process_referral != (self.authority is not None):
            raise ValueError("give an authority exactly when state_process_referral is true")
        if (
            ResponseType.REFERRAL_TO_AUTHORITIES in self.response_types
            and not self.state_process_referral
        ):
            raise ValueError("response type referral_to_authorities needs state_process_referral")
        return self


class RecordSourcingDecision(BaseModel):
    model_config = example(
        {
            "decision": "continue_with_mitigation",
            "rationale": "Disengaging would end the leverage needed to deliver remedy; "
            "the refinery accepted a corrective action plan.",
        }
    )

    decision: SourcingDecision
    rationale: Rationale


class ApproveResponseDetermination(BaseModel):
    model_config = example({"note": "Budget and owner confirmed by the human-rights committee."})

    note: Note | None = None
