"""Commands that design, review and approve the remediation plan (Step 3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from ..enums import ActionCategory, ConsentPurpose, ConsultationMethod, FunderKind
from .fields import (
    Amount,
    CaseText,
    CurrencyCode,
    Label,
    Note,
    OrganisationCode,
    OrganisationName,
    PositiveAmount,
    Reason,
    UniqueList,
    example,
)

_MONEY_EXAMPLE = {"amount": "1800.00", "currency": "USD"}
_INDICATOR_EXAMPLE = {
    "name": "School attendance",
    "unit": "percent of school days",
    "baseline": "0",
    "target": "90",
}


class MoneyInput(BaseModel):
    model_config = example(_MONEY_EXAMPLE)

    amount: Amount
    currency: CurrencyCode


class IndicatorInput(BaseModel):
    model_config = example(_INDICATOR_EXAMPLE)

    name: Label
    unit: Label
    baseline: Decimal | None = None
    target: Decimal


class DraftPlan(BaseModel):
    """Creates the plan (revision 1) or redrafts the current revision while it is editable."""

    model_config = example(
        {
            "objectives": [
                "Every child identified at the site is out of hazardous work and in school",
                "Families' lost income is replaced until the children reach working age",
            ],
            "budget": {"amount": "42000.00", "currency": "USD"},
            "exit_strategy": "Hand over to the provincial child-protection service once each "
            "child has completed two school years with stable attendance.",
        }
    )

    objectives: list[Note] = Field(min_length=1, max_length=20)
    budget: MoneyInput
    exit_strategy: CaseText


class AddAction(BaseModel):
    """Owner, provider, due date and cost may wait while the plan is drafted; approval needs them.
    ``purpose`` is the consent purpose the action needs from each victim it benefits."""

    model_config = example(
        {
            "category": "education_schooling",
            "beneficiaries": ["5b0e8f3a-2d4c-4e6f-8a1b-9c0d1e2f3a4b"],
            "owner_org": "example-electronics",
            "provider_id": "school-kolwezi-3",
            "due_date": "2026-09-01",
            "cost": _MONEY_EXAMPLE,
            "purpose": "service_provision",
            "removes_child_from_work": True,
            "indicators": [_INDICATOR_EXAMPLE],
        }
    )

    category: ActionCategory
    beneficiaries: UniqueList[UUID] = Field(
        min_length=1, max_length=500, description="Victim ids and/or community ids"
    )
    owner_org: OrganisationCode | None = None
    provider_id: OrganisationCode | None = None
    due_date: date | None = None
    cost: MoneyInput | None = None
    purpose: ConsentPurpose
    removes_child_from_work: bool = False
    indicators: list[IndicatorInput] = Field(default=[], max_length=20)


class ChangeAction(AddAction):
    """The full new terms of the action (same fields as AddAction)."""


class RemoveAction(BaseModel):
    model_config = example({"reason": "Merged into the family stipend action."})

    reason: Reason


class CommitFunding(BaseModel):
    model_config = example(
        {
            "funder_kind": "oem",
            "funder_name": "Example Electronics Inc.",
            "amount": "30000.00",
            "currency": "USD",
        }
    )

    funder_kind: FunderKind
    funder_name: OrganisationName = Field(description="An organisation, never a person")
    amount: PositiveAmount
    currency: CurrencyCode


class RecordConsultation(BaseModel):
    model_config = example(
        {
            "victim_ids": ["5b0e8f3a-2d4c-4e6f-8a1b-9c0d1e2f3a4b"],
            "method": "with_guardian",
            "consulted_on": "2026-04-03",
            "views_recorded": True,
        }
    )

    victim_ids: UniqueList[UUID] = Field(min_length=1, max_length=500)
    method: ConsultationMethod
    consulted_on: date
    views_recorded: bool


class SubmitPlan(BaseModel):
    model_config = example({})


class RejectPlan(BaseModel):
    model_config = example({"reason": "No income support for the two children removed from work."})

    reason: Reason


class ApprovePlan(BaseModel):
    model_config = example({"note": "Budget confirmed by the human-rights committee."})

    note: Note | None = None


class SuspendPlan(BaseModel):
    """Stops work on the approved revision: monitoring suspends every live action until a new
    revision is approved (open one with ``POST .../plan/revisions``)."""

    model_config = example(
        {"reason": "A labour inspection asks that no one approach the site until it reports."}
    )

    reason: Reason


class RevisePlan(BaseModel):
    model_config = example(
        {"reason": "Monitoring found the stipend too low to keep the children in school."}
    )

    reason: Reason
