"""Commands that monitor the plan and keep people safe (Step 4; domain.md 3.4 and 3.8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from ..enums import (
    EscalationLevel,
    MonitoringMethod,
    RetaliationKind,
    RetaliationTarget,
    SafetyConcernKind,
    Severity,
)
from .fields import CaseText, Label, Note, Reason, UniqueList, example

_INDICATOR_VALUE_EXAMPLE = {
    "name": "School attendance",
    "unit": "percent of school days",
    "baseline": "0",
    "target": "90",
    "value": "92",
}


class IndicatorValueInput(BaseModel):
    model_config = example(_INDICATOR_VALUE_EXAMPLE)

    name: Label
    unit: Label
    baseline: Decimal | None = None
    target: Decimal
    value: Decimal


class RecordMonitoringVisit(BaseModel):
    """A monitoring report. ``final: true`` marks the one that closes implementation."""

    model_config = example(
        {
            "method": "victim_follow_up",
            "visited_on": "2026-07-20",
            "final": True,
            "findings": "All three children attend school; the family stipend is paid monthly and "
            "no child was seen at the washing site.",
            "indicator_values": [_INDICATOR_VALUE_EXAMPLE],
            "recommendations": ["Hand over to the provincial child-protection service."],
        }
    )

    method: MonitoringMethod
    visited_on: date
    final: bool = False
    findings: CaseText
    indicator_values: list[IndicatorValueInput] = Field(default=[], max_length=50)
    recommendations: list[Note] = Field(default=[], max_length=20)


class MeasureIndicator(BaseModel):
    """One measurement; ``action_id`` None measures an indicator of the whole case."""

    model_config = example(
        {
            "action_id": "3f2a1b0c-4d5e-4f60-8a7b-9c8d7e6f5a41",
            **_INDICATOR_VALUE_EXAMPLE,
            "measured_on": "2026-06-30",
        }
    )

    action_id: UUID | None = None
    name: Label
    unit: Label
    baseline: Decimal | None = None
    target: Decimal
    value: Decimal
    measured_on: date


class RaiseSafetyConcern(BaseModel):
    """Safety first (domain.md 3.8): the case moves to priority handling, and the actions that
    expose the victim (a site visit, confronting the employer) may be suspended at once."""

    model_config = example(
        {
            "kind": "threat_or_intimidation",
            "severity": "high",
            "victim_id": "5b0e8f3a-2d4c-4e6f-8a1b-9c0d1e2f3a4b",
            "suspend_action_ids": ["3f2a1b0c-4d5e-4f60-8a7b-9c8d7e6f5a41"],
            "note": "Site foreman asked the family who spoke to the auditors.",
        }
    )

    kind: SafetyConcernKind
    severity: Severity
    victim_id: UUID | None = None
    suspend_action_ids: UniqueList[UUID] = Field(
        default=[], max_length=200, description="Actions that expose the victim"
    )
    note: Note | None = None


class ResolveSafetyConcern(BaseModel):
    model_config = example(
        {"resolution": "Family relocated by the NGO; the foreman was removed by the supplier."}
    )

    resolution: Reason


class ReportRetaliation(BaseModel):
    model_config = example(
        {
            "against": "reporter",
            "kind": "dismissal",
            "note": "Reporter's contract at the processing plant was not renewed.",
        }
    )

    against: RetaliationTarget
    kind: RetaliationKind
    note: Note | None = None


class EscalateSupplier(BaseModel):
    model_config = example(
        {
            "level": "senior_management",
            "reason": "Supplier has not repaid recruitment fees 60 days after the due date.",
            "action_id": "3f2a1b0c-4d5e-4f60-8a7b-9c8d7e6f5a41",
        }
    )

    level: EscalationLevel
    reason: Reason
    action_id: UUID | None = None
