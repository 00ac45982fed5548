"""Commands of the plan service: the HTTP request bodies, validated before the domain sees them.

Field rules here are about shape (lengths, patterns, required-together). Rules that depend on the
case's state live in the aggregate (:mod:`..case`). A person's identity is a ``PersonIdentity`` of
``SecretStr`` fields: it never shows in ``repr`` or logs, and the handler seals it in the vault
before anything is recorded. The domain never receives it.

Case text fields (reasons, notes, exit strategy, best-interests note) end up in events: they must
describe the case, never name or describe a person so that they could be identified.
"""

from .people import (
    IDENTITY_FIELDS,
    AssignGuardian,
    PersonIdentity,
    RecordConsent,
    RecordNeedsAssessment,
    RegisterCommunityBeneficiary,
    RegisterVictim,
    VerifyAge,
    WithdrawConsent,
)
from .plan import (
    AddAction,
    ApprovePlan,
    ChangeAction,
    CommitFunding,
    DraftPlan,
    IndicatorInput,
    MoneyInput,
    RecordConsultation,
    RejectPlan,
    RemoveAction,
    RevisePlan,
    SubmitPlan,
    SuspendPlan,
)
from .privacy import GrantNeedToKnow, PlaceLegalHold, ReleaseLegalHold

__all__ = [
    "IDENTITY_FIELDS",
    "AddAction",
    "ApprovePlan",
    "AssignGuardian",
    "ChangeAction",
    "CommitFunding",
    "DraftPlan",
    "GrantNeedToKnow",
    "IndicatorInput",
    "MoneyInput",
    "PersonIdentity",
    "PlaceLegalHold",
    "RecordConsent",
    "RecordConsultation",
    "RecordNeedsAssessment",
    "RegisterCommunityBeneficiary",
    "RegisterVictim",
    "RejectPlan",
    "ReleaseLegalHold",
    "RemoveAction",
    "RevisePlan",
    "SubmitPlan",
    "SuspendPlan",
    "VerifyAge",
    "WithdrawConsent",
]
