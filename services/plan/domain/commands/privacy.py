"""Commands of the privacy rules (domain.md 3): need-to-know access and legal holds. Reading an
identity and erasing a person are requests without a body; the handler calls the aggregate."""

from __future__ import annotations

from pydantic import BaseModel

from ..enums import LegalHoldReason, LegalHoldReleaseReason
from .fields import Code, example


class GrantNeedToKnow(BaseModel):
    model_config = example({"subject": "cm-0042"})

    subject: Code


class PlaceLegalHold(BaseModel):
    model_config = example({"reason": "criminal_proceedings"})

    reason: LegalHoldReason


class ReleaseLegalHold(BaseModel):
    model_config = example({"reason": "proceedings_concluded"})

    reason: LegalHoldReleaseReason
