"""Commands of intake: the HTTP request bodies, validated before the domain sees them.

Field rules here are about shape (lengths, patterns, required-together). Rules that depend on the
incident's state live in :mod:`..incident`. Free text that may identify a person (the allegation
summary, the reporter's contact) is a ``SecretStr``: it never shows in ``repr`` or logs, and the
handler seals it in the vault before anything is recorded.

Case text fields (rationale, basis, notes) end up in events: they must describe the case, never
name or describe a person so that they could be identified.
"""

from .fields import SMELTER_CID_PATTERN
from .intake import (
    AssignCaseManager,
    FlagImmediateDanger,
    LinkDuplicate,
    PutOnHold,
    RecordDuplicateCheck,
    ReferToAuthorities,
    ReporterDetails,
    Resume,
    SubmitAllegation,
    TakeImmediateProtectionAction,
    TriageAllegation,
)
from .response import (
    ApproveResponseDetermination,
    AssessInvolvement,
    AssessLeverage,
    AssessSeverity,
    DetermineResponse,
    RecordSourcingDecision,
)
from .verification import (
    AssignVerifier,
    AttachEvidence,
    RecordFinding,
    RecordSupplyChainLink,
    StartVerification,
)

__all__ = [
    "SMELTER_CID_PATTERN",
    "ApproveResponseDetermination",
    "AssessInvolvement",
    "AssessLeverage",
    "AssessSeverity",
    "AssignCaseManager",
    "AssignVerifier",
    "AttachEvidence",
    "DetermineResponse",
    "FlagImmediateDanger",
    "LinkDuplicate",
    "PutOnHold",
    "RecordDuplicateCheck",
    "RecordFinding",
    "RecordSourcingDecision",
    "RecordSupplyChainLink",
    "ReferToAuthorities",
    "ReporterDetails",
    "Resume",
    "StartVerification",
    "SubmitAllegation",
    "TakeImmediateProtectionAction",
    "TriageAllegation",
]
