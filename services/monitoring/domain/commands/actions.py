"""Commands on one action of the adopted plan (Step 4). The action id is in the path."""

from __future__ import annotations

from datetime import date
from typing import Self

from pydantic import BaseModel, Field, model_validator

from ..enums import BlockReason, EvidenceType, ProgressCode
from .fields import Note, Reason, Sha256, example


class StartAction(BaseModel):
    model_config = example(
        {"started_on": "2026-04-20", "note": "Enrolled for the new school term."}
    )

    started_on: date
    note: Note | None = None


class ReportProgress(BaseModel):
    model_config = example(
        {"percent": 40, "code": "on_track", "note": "Attendance 92% over the first six weeks."}
    )

    percent: int = Field(ge=0, le=100)
    code: ProgressCode
    note: Note | None = None


class BlockAction(BaseModel):
    model_config = example(
        {"reason": "funding_delayed", "note": "Stipend transfer held by the bank since May."}
    )

    reason: BlockReason
    note: Note | None = None


class UnblockAction(BaseModel):
    model_config = example({"note": "Funds released on 2 June."})

    note: Note | None = None


class EvidenceInput(BaseModel):
    """Metadata only: the file itself sits in the evidence store under its sha256."""

    model_config = example(
        {
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "type": "attendance_record",
        }
    )

    sha256: Sha256
    type: EvidenceType


class CompleteAction(BaseModel):
    model_config = example(
        {
            "evidence": [
                {
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "type": "attendance_record",
                },
                {
                    "sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
                    "type": "provider_report",
                },
            ],
            "completed_on": "2026-07-15",
            "note": "School year completed with 91% attendance.",
        }
    )

    evidence: list[EvidenceInput] = Field(min_length=1, max_length=50)
    completed_on: date
    note: Note | None = None

    @model_validator(mode="after")
    def _one_file_once(self) -> Self:
        hashes = [item.sha256 for item in self.evidence]
        if len(set(hashes)) != len(hashes):
            raise ValueError("the same file (sha256) is listed twice")
        return self


class CancelAction(BaseModel):
    model_config = example(
        {"reason": "The victim declined vocational training and chose to return home."}
    )

    reason: Reason
