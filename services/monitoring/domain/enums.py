"""Closed vocabularies of the monitoring service (domain.md 2.1 and 2.2, Steps 4 and 5).

Values are stored in events and read by other services (reporting): add members, never rename or
remove one (an upcaster would be needed). Members beyond domain.md's lists are [I] design
proposals, chosen so that reports can count them without reading free text.
"""

from __future__ import annotations

from enum import StrEnum


class ActionStatus(StrEnum):
    """Where one action of the adopted plan stands (domain.md 2.1 Action).

    ``suspended`` covers both a safety suspension and a suspension of the whole plan; the action
    returns to its previous status when every suspension is lifted. ``overdue`` is derived from
    the due date, never a status.
    """

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)

    @property
    def can_be_overdue(self) -> bool:
        """Live and not suspended: a suspension for safety must not nag the owner."""
        return self in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)


class ProgressCode(StrEnum):
    ON_TRACK = "on_track"
    DELAYED = "delayed"
    AT_RISK = "at_risk"
    MILESTONE_REACHED = "milestone_reached"


class BlockReason(StrEnum):
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    FUNDING_DELAYED = "funding_delayed"
    ACCESS_RESTRICTED = "access_restricted"
    BENEFICIARY_UNREACHABLE = "beneficiary_unreachable"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    AWAITING_AUTHORITIES = "awaiting_authorities"
    SUPPLIER_NOT_COOPERATING = "supplier_not_cooperating"
    OTHER = "other"


class EvidenceType(StrEnum):
    """What proves an action was completed. The file sits in the evidence store under its sha256;
    only the hash and the type are recorded. ``photo`` is refused in a child case (domain.md 3.5:
    no photos or images of children)."""

    DOCUMENT = "document"
    PROVIDER_REPORT = "provider_report"
    ATTENDANCE_RECORD = "attendance_record"
    PAYMENT_RECORD = "payment_record"
    AUDIT_REPORT = "audit_report"
    OFFICIAL_RECORD = "official_record"
    INTERVIEW_RECORD = "interview_record"
    PHOTO = "photo"


class MonitoringMethod(StrEnum):
    """domain.md 2.1 MonitoringReport ``method``, exactly."""

    SITE_VISIT = "site_visit"
    PROVIDER_REPORT = "provider_report"
    VICTIM_FOLLOW_UP = "victim_follow_up"
    AUDIT = "audit"
    DOCUMENT_REVIEW = "document_review"


class SafetyConcernKind(StrEnum):
    THREAT_OR_INTIMIDATION = "threat_or_intimidation"
    VIOLENCE = "violence"
    RETALIATION_RISK = "retaliation_risk"
    RE_TRAFFICKING_RISK = "re_trafficking_risk"
    RETURN_TO_HAZARDOUS_WORK = "return_to_hazardous_work"
    HEALTH_EMERGENCY = "health_emergency"
    UNSAFE_ACCOMMODATION = "unsafe_accommodation"
    IDENTITY_EXPOSED = "identity_exposed"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class RetaliationTarget(StrEnum):
    REPORTER = "reporter"
    VICTIM = "victim"
    WITNESS = "witness"


class RetaliationKind(StrEnum):
    THREATS = "threats"
    VIOLENCE = "violence"
    DISMISSAL = "dismissal"
    WAGE_WITHHOLDING = "wage_withholding"
    BLACKLISTING = "blacklisting"
    EVICTION = "eviction"
    LEGAL_ACTION = "legal_action"
    OTHER = "other"


class EscalationLevel(StrEnum):
    """OECD downstream step 3: escalate uncooperative suppliers to senior management; the
    Accountability Framework 9.3: engage further, suspend or exclude. ``sourcing_review`` asks for
    a sourcing decision, which is recorded apart and never closes the remediation."""

    SUPPLIER_MANAGEMENT = "supplier_management"
    SENIOR_MANAGEMENT = "senior_management"
    INDUSTRY_MECHANISM = "industry_mechanism"
    SOURCING_REVIEW = "sourcing_review"


class ClosureReason(StrEnum):
    """domain.md 2.1 Closure ``reason``, exactly."""

    REMEDIATED = "remediated"
    VICTIM_DECLINED = "victim_declined"
    CONTACT_LOST = "contact_lost"
    HANDED_TO_STATE_PROCESS = "handed_to_state_process"
    UNSUBSTANTIATED = "unsubstantiated"
    NOT_LINKED = "not_linked"
    DUPLICATE = "duplicate"


class OutcomeChannel(StrEnum):
    """How the victim learnt the outcome: through a safe channel, or it was impossible and the
    attempts are documented."""

    INFORMED_VIA_SAFE_CHANNEL = "informed_via_safe_channel"
    IMPOSSIBLE_DOCUMENTED = "impossible_documented"


class VictimFeedback(StrEnum):
    """domain.md 2.1 Closure ``victim_feedback``, exactly."""

    GIVEN = "given"
    DECLINED = "declined"
    NOT_REACHABLE = "not_reachable"


class ChildCaseOutcome(StrEnum):
    """domain.md Step 5: for a child, the education/age goal is reached or the case is formally
    handed to statutory child protection."""

    GOAL_REACHED = "goal_reached"
    HANDED_TO_CHILD_PROTECTION = "handed_to_child_protection"


class AppealGround(StrEnum):
    OUTCOME_DISPUTED = "outcome_disputed"
    REMEDY_INADEQUATE = "remedy_inadequate"
    PROCEDURE_UNFAIR = "procedure_unfair"
    NEW_INFORMATION = "new_information"
    OTHER = "other"


class ReopenReason(StrEnum):
    """domain.md 2.4 CLOSED -> REOPENED, exactly."""

    NEW_EVIDENCE = "new_evidence"
    RECURRENCE = "recurrence"
    APPEAL = "appeal"
    RETALIATION = "retaliation"


REMOVED_IN_REVISION = "removed_in_revision"
"""The reason of an ActionCancelled recorded because a new plan revision dropped the action."""
