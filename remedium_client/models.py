"""Typed results of the Remedium client: frozen pydantic models.

Unknown fields a newer server adds are ignored, so an older client keeps working.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from remedium_client.errors import RemediumProblem, problem_from_body


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CommandAccepted(_Result):
    """What the API answers to an accepted command."""

    incident_id: UUID
    reference: str = Field(description="Human-readable reference, e.g. INC-2026-7KQ2MZ")
    status: str = Field(description="The incident's status after the command")
    version: int = Field(description="The incident's new version (its ETag)")
    events: tuple[str, ...] = ()
    reply_token: str | None = Field(
        default=None,
        description="Only for reports without a contact: the reporter's way to follow up with "
        "report_status(). Shown once; store it where the reporter can reach it, never in logs.",
    )


class SubmittedAllegation(CommandAccepted):
    """An accepted allegation, with the ``Idempotency-Key`` it was sent with: submitting again
    with that key returns this same answer instead of opening a second incident."""

    idempotency_key: str


class BatchItem(_Result):
    """The outcome of one allegation of a batch: ``result`` when it was accepted, ``problem``
    (an RFC 9457 document) when it was refused. The other items are processed regardless."""

    index: int
    status: int
    result: CommandAccepted | None = None
    problem: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and 200 <= self.status < 300

    @property
    def error(self) -> RemediumProblem | None:
        """The refusal as an exception object (not raised), or None when accepted."""
        if self.ok:
            return None
        return problem_from_body(self.status, self.problem or {})
