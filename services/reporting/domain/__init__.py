"""Step 6 of IOM's process: lessons learned, owned by reporting."""

from .lessons import (
    CaptureLessons,
    DueDiligenceArea,
    DueDiligenceUpdateRequested,
    LessonCategory,
    LessonRecorded,
    Lessons,
    LessonsCaptured,
    LessonsState,
    RecordLesson,
    RequestDueDiligenceUpdate,
    ShareScope,
    registry,
)

__all__ = [
    "CaptureLessons",
    "DueDiligenceArea",
    "DueDiligenceUpdateRequested",
    "LessonCategory",
    "LessonRecorded",
    "Lessons",
    "LessonsCaptured",
    "LessonsState",
    "RecordLesson",
    "RequestDueDiligenceUpdate",
    "ShareScope",
    "registry",
]
