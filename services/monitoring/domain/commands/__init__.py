"""Commands of the monitoring service: the HTTP request bodies, validated before the domain sees
them.

Field rules here are about shape (lengths, patterns, required-together). Rules that depend on the
incident's state live in the aggregate (:mod:`..implementation`). Case text fields (findings,
reasons, notes) end up in events: they must describe the case, never name or describe a person so
that they could be identified.
"""

from .actions import (
    BlockAction,
    CancelAction,
    CompleteAction,
    EvidenceInput,
    ReportProgress,
    StartAction,
    UnblockAction,
)
from .closure import (
    ApproveClosure,
    ProposeClosure,
    ReceiveAppeal,
    RecordChildCaseOutcome,
    RecordOutcomeCommunicated,
    RejectClosure,
    ReopenIncident,
)
from .monitoring import (
    EscalateSupplier,
    IndicatorValueInput,
    MeasureIndicator,
    RaiseSafetyConcern,
    RecordMonitoringVisit,
    ReportRetaliation,
    ResolveSafetyConcern,
)

__all__ = [
    "ApproveClosure",
    "BlockAction",
    "CancelAction",
    "CompleteAction",
    "EscalateSupplier",
    "EvidenceInput",
    "IndicatorValueInput",
    "MeasureIndicator",
    "ProposeClosure",
    "RaiseSafetyConcern",
    "ReceiveAppeal",
    "RecordChildCaseOutcome",
    "RecordMonitoringVisit",
    "RecordOutcomeCommunicated",
    "RejectClosure",
    "ReopenIncident",
    "ReportProgress",
    "ReportRetaliation",
    "ResolveSafetyConcern",
    "StartAction",
    "UnblockAction",
]
