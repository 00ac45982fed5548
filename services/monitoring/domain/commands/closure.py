"""Commands of incident closure, appeal and reopening (Step 5)."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from ..enums import (
    AppealGround,
    ChildCaseOutcome,
    ClosureReason,
    OutcomeChannel,
    ReopenReason,
    VictimFeedback,
)
from .fields import ChecklistItem, Note, Reason, example


class ProposeClosure(BaseModel):
    """Checklist items are the organisation's own codes; approval needs every one true. The
    example lists domain.md's proposed Step 5 criteria."""

    model_config = example(
        {
            "reason": "remediated",
            "checklist": {
                "objectives_met": True,
                "no_open_safety_risk": True,
                "victim_informed_via_safe_channel": True,
                "supplier_corrective_actions_verified": True,
                "exit_strategy_in_place": True,
            },
            "residual_risks": ["Seasonal demand may draw older siblings to the site."],
            "note": "Handed over to provincial child protection for follow-up.",
        }
    )

    reason: ClosureReason
    checklist: dict[ChecklistItem, bool] = Field(min_length=1, max_length=50)
    residual_risks: list[Note] = Field(default=[], max_length=20)
    note: Note | None = None


class RecordOutcomeCommunicated(BaseModel):
    """Informing may prove impossible: then ``note`` documents the attempts and the feedback is
    ``not_reachable``."""

    model_config = example(
        {
            "how": "informed_via_safe_channel",
            "feedback": "given",
            "note": "Informed through the NGO case worker with the guardian present.",
        }
    )

    how: OutcomeChannel
    feedback: VictimFeedback
    note: Note | None = None

    @model_validator(mode="after")
    def _impossibility_is_documented(self) -> Self:
        if self.how is OutcomeChannel.IMPOSSIBLE_DOCUMENTED:
            if self.note is None:
                raise ValueError("impossible_documented needs a note documenting the attempts")
            if self.feedback is not VictimFeedback.NOT_REACHABLE:
                raise ValueError("a victim who could not be informed gives no feedback")
        return self


class RecordChildCaseOutcome(BaseModel):
    model_config = example(
        {
            "outcome": "handed_to_child_protection",
            "note": "Case file handed to the provincial child-protection division.",
        }
    )

    outcome: ChildCaseOutcome
    note: Note | None = None


class ApproveClosure(BaseModel):
    model_config = example({"note": "Outcome reviewed with the human-rights committee."})

    note: Note | None = None


class RejectClosure(BaseModel):
    model_config = example(
        {"reason": "The supplier's corrective action has not been verified by an audit."}
    )

    reason: Reason


class ReceiveAppeal(BaseModel):
    model_config = example(
        {"grounds": "remedy_inadequate", "note": "Back wages paid did not cover the final month."}
    )

    grounds: AppealGround
    note: Note | None = None


class ReopenIncident(BaseModel):
    """``related_incident_id`` names the new incident at the same site or CID; a recurrence
    needs it."""

    model_config = example(
        {
            "reason": "recurrence",
            "related_incident_id": "8e1d6b5f-0a62-4f1f-9e1c-3f9f5d2c7b21",
            "note": "Children seen again at the same washing site in the latest audit.",
        }
    )

    reason: ReopenReason
    related_incident_id: UUID | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _recurrence_names_the_new_incident(self) -> Self:
        if self.reason is ReopenReason.RECURRENCE and self.related_incident_id is None:
            raise ValueError("a recurrence needs related_incident_id")
        return self
