"""Lessons learned (Step 6): what the case taught, which due-diligence updates follow, and the
move from CLOSED to LESSONS_CAPTURED.

UNGP 31(g): a grievance mechanism is "a source of continuous learning". Lesson texts are case
text: they describe causes and gaps, never a person, and ``share_scope`` says how far a lesson
may travel (internal, anonymised to the industry, or only in public aggregates).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.domain import Aggregate, CommandContext, DomainEvent, EventRegistry, require
from shared.incident_status import IncidentStatus

registry = EventRegistry("reporting")

CaseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


class LessonCategory(StrEnum):
    ROOT_CAUSE = "root_cause"
    DD_GAP = "dd_gap"
    PROCESS = "process"
    PARTNER = "partner"
    POLICY = "policy"


class ShareScope(StrEnum):
    INTERNAL = "internal"
    INDUSTRY_ANONYMISED = "industry_anonymised"
    PUBLIC_AGGREGATE = "public_aggregate"


class DueDiligenceArea(StrEnum):
    SUPPLIER_CODE = "supplier_code"
    CONTRACTS = "contracts"
    RISK_ASSESSMENT = "risk_assessment"
    SMELTER_ENGAGEMENT = "smelter_engagement"
    GRIEVANCE_MECHANISM = "grievance_mechanism"


# --- commands ---------------------------------------------------------------------------------
class RecordLesson(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "dd_gap",
                    "text": "The refinery was RMAP-conformant, yet RMAP is not a material "
                    "validation: purchases from the artisanal site went unseen for two years.",
                    "follow_up_action": "Add site-level traceability checks for cobalt refiners.",
                    "owner": "responsible-sourcing",
                    "share_scope": "industry_anonymised",
                }
            ]
        },
    )
    category: LessonCategory
    text: CaseText
    follow_up_action: CaseText | None = None
    owner: Code
    share_scope: ShareScope = ShareScope.INTERNAL


class RequestDueDiligenceUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "area": "risk_assessment",
                    "description": "Rate artisanal cobalt sites supplying RMAP refiners as high "
                    "risk until site-level audits exist.",
                    "owner": "responsible-sourcing",
                }
            ]
        },
    )
    area: DueDiligenceArea
    description: CaseText
    owner: Code


class CaptureLessons(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"none_rationale": None}]},
    )
    none_rationale: CaseText | None = Field(
        default=None, description="Required when no lesson was recorded: why there is none."
    )


# --- events -----------------------------------------------------------------------------------
class LessonEvent(DomainEvent):
    incident_id: UUID
    occurred_at: datetime


@registry.register
class LessonRecorded(LessonEvent):
    lesson_id: UUID
    category: LessonCategory
    text: str
    follow_up_action: str | None
    owner: str
    share_scope: ShareScope


@registry.register
class DueDiligenceUpdateRequested(LessonEvent):
    area: DueDiligenceArea
    description: str
    owner: str


@registry.register
class LessonsCaptured(LessonEvent):
    """CLOSED -> LESSONS_CAPTURED."""

    lessons: int
    none_rationale: str | None
    status: IncidentStatus


# --- the aggregate ----------------------------------------------------------------------------
class LessonsState(BaseModel):
    lessons: list[LessonRecorded] = []
    updates: list[DueDiligenceUpdateRequested] = []
    captured: bool = False


class Lessons(Aggregate[LessonsState]):
    """Stream id = the incident id. ``incident_status`` is what reporting's register says."""

    state_type = LessonsState

    def record_lesson(
        self, cmd: RecordLesson, ctx: CommandContext, *, lesson_id: UUID, incident_status: str
    ) -> None:
        self._require_closed(incident_status)
        self.record(LessonRecorded(**self._header(ctx), lesson_id=lesson_id, **cmd.model_dump()))

    def request_due_diligence_update(
        self, cmd: RequestDueDiligenceUpdate, ctx: CommandContext, *, incident_status: str
    ) -> None:
        self._require_closed(incident_status)
        self.record(DueDiligenceUpdateRequested(**self._header(ctx), **cmd.model_dump()))

    def capture(self, cmd: CaptureLessons, ctx: CommandContext, *, incident_status: str) -> None:
        self._require_closed(incident_status)
        require(
            bool(self.state.lessons) or cmd.none_rationale is not None,
            "lesson-missing",
            "Record at least one lesson, or say why there is none (none_rationale).",
        )
        self.record(
            LessonsCaptured(
                **self._header(ctx),
                lessons=len(self.state.lessons),
                none_rationale=cmd.none_rationale,
                status=IncidentStatus.LESSONS_CAPTURED,
            )
        )

    def _require_closed(self, incident_status: str) -> None:
        require(not self.state.captured, "lessons-already-captured", "Lessons were captured.")
        require(
            incident_status == IncidentStatus.CLOSED,
            "incident-not-closed",
            f"Lessons are captured once the incident is closed; it is {incident_status}.",
        )

    def _header(self, ctx: CommandContext) -> dict[str, object]:
        return {"incident_id": UUID(self.stream_id), "occurred_at": ctx.now}

    def when_LessonRecorded(self, event: LessonRecorded) -> None:
        self.state.lessons.append(event)

    def when_DueDiligenceUpdateRequested(self, event: DueDiligenceUpdateRequested) -> None:
        self.state.updates.append(event)

    def when_LessonsCaptured(self, _: LessonsCaptured) -> None:
        self.state.captured = True
