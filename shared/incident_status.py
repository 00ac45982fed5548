"""The incident's place in the IOM six-step process (domain.md 2.4), shared by every service.

Intake moves an incident from RECEIVED to RESPONSE_DETERMINED (or to UNSUBSTANTIATED / NOT_LINKED);
plan and monitoring own the later statuses. Each service reads the status from the others' events,
so the values are part of the event contract: never rename one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    UNDER_VERIFICATION = "under_verification"
    VERIFIED = "verified"
    UNSUBSTANTIATED = "unsubstantiated"
    NOT_LINKED = "not_linked"
    RESPONSE_DETERMINED = "response_determined"
    PLANNING = "planning"
    PLAN_APPROVED = "plan_approved"
    IMPLEMENTING = "implementing"
    CLOSURE_REVIEW = "closure_review"
    CLOSED = "closed"
    LESSONS_CAPTURED = "lessons_captured"
    ON_HOLD = "on_hold"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        """True until the case is closed. UNSUBSTANTIATED and NOT_LINKED are still open: they wait
        for closure and can be reopened, and a person may still need protection meanwhile."""
        return self not in (IncidentStatus.CLOSED, IncidentStatus.LESSONS_CAPTURED)
