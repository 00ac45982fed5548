"""Facts recorded by the monitoring service (domain.md 2.3: Step 4 and Step 5 events).

Rules for every event here:

- No personal data. People appear only as random UUIDs (``victim_id``); staff appear as API-key
  subjects where the person is part of the fact (``proposed_by``, ``approved_by``,
  ``rejected_by``). Case text (findings, reasons, notes) is allowed because reviewers and auditors
  need the reasoning, but it must describe the case, never name or describe a person so that they
  could be identified.
- Field types are plain (``str`` rather than the command's patterns): events are validated again on
  every replay, and a rule tightened later for new commands must not make old events unreadable.
  An action's ``category`` stays the plan service's code as a ``str``: monitoring does not
  interpret it, so a category plan adds later never makes an adoption unreadable.
- Money and measured values are ``Decimal``, written as JSON strings: never floats.
- Events that move the incident carry the new ``status`` (PlanAdopted, ClosureProposed,
  IncidentClosed, ClosureRejected, IncidentReopened); ActionStarted and PlanRevisionAdopted carry
  it only when they move it, else ``None``. Projections never re-derive it.
- Events that change several actions at once name them (``suspended_action_ids``,
  ``resumed_action_ids``) so projections need not re-derive that either.
- ``occurred_at`` is the command's ``ctx.now``; the actor is in the envelope.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.domain import DomainEvent, EventRegistry
from shared.incident_status import IncidentStatus

from .enums import (
    AppealGround,
    BlockReason,
    ChildCaseOutcome,
    ClosureReason,
    EscalationLevel,
    EvidenceType,
    MonitoringMethod,
    OutcomeChannel,
    ProgressCode,
    ReopenReason,
    RetaliationKind,
    RetaliationTarget,
    SafetyConcernKind,
    Severity,
    VictimFeedback,
)

registry = EventRegistry("monitoring")


# --- Values carried by events -----------------------------------------------------------------


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Adopted(BaseModel):
    """Base of what is adopted from plan's ``PlanApproved``: frozen, and fields monitoring does
    not keep (``purpose``, or any field plan adds later) are dropped, so the raw payload of an
    approved action validates and a new plan field never breaks adoption."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Money(Adopted):
    amount: Decimal
    currency: str


class AdoptedIndicator(Adopted):
    """How an action's success is measured (domain.md 2.1 Indicator), as the plan set it."""

    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal


class AdoptedAction(Adopted):
    """The terms of one action of an approved plan revision, as monitoring keeps them.

    Mirrors the plan service's ``PlanAction`` (carried by ``PlanApproved``) without importing it.
    An approved action always has an owner, a provider, a due date and a cost (plan's guard
    ``action-incomplete``), so here they are required. ``beneficiaries`` holds victim and/or
    community ids. ``AdoptedAction.model_validate(item)`` takes an item of
    ``PlanApproved.actions`` (JSON payload) as it is.
    """

    action_id: UUID
    category: str
    beneficiaries: list[UUID]
    owner_org: str
    provider_id: str
    due_date: date
    cost: Money
    removes_child_from_work: bool = False
    indicators: list[AdoptedIndicator] = []

    @classmethod
    def terms_of(cls, action: AdoptedAction) -> AdoptedAction:
        """The bare terms of an action (state keeps more than these)."""
        return cls.model_validate(action.model_dump(include=set(cls.model_fields)))


class Evidence(Value):
    sha256: str
    type: EvidenceType


class IndicatorValue(Value):
    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal
    value: Decimal


# --- Events -----------------------------------------------------------------------------------


class MonitoringEvent(DomainEvent):
    """Base of every monitoring event: which incident (the stream id), and when it happened."""

    incident_id: UUID
    occurred_at: datetime


# Step 4: the plan ------------------------------------------------------------------------------


@registry.register
class PlanAdopted(MonitoringEvent):
    """The first approved plan revision reached monitoring: PLAN_APPROVED, actions ``planned``.
    ``child_involved`` makes every victim of the case a child for closure (see guards)."""

    revision: int
    actions: list[AdoptedAction]
    victim_ids: list[UUID]
    community_ids: list[UUID]
    child_involved: bool
    status: IncidentStatus


@registry.register
class PlanRevisionAdopted(MonitoringEvent):
    """A newer approved revision: ``added`` actions start ``planned``, ``changed`` ones keep their
    status and progress under new terms, ``removed_action_ids`` are followed by ActionCancelled
    (reason ``removed_in_revision``) for those not completed or cancelled yet. Lifts a plan
    suspension (``resumed_action_ids``). ``status`` is IMPLEMENTING when the revision moves a
    reopened incident, or one in closure review that has live work again; else None."""

    revision: int
    added: list[AdoptedAction]
    changed: list[AdoptedAction]
    removed_action_ids: list[UUID]
    victim_ids: list[UUID]
    community_ids: list[UUID]
    child_involved: bool
    resumed_action_ids: list[UUID]
    status: IncidentStatus | None


@registry.register
class PlanSuspensionNoted(MonitoringEvent):
    """The plan was suspended: every live action is suspended until a newer revision is
    adopted."""

    reason: str
    suspended_action_ids: list[UUID]


# Step 4: actions -------------------------------------------------------------------------------


@registry.register
class ActionStarted(MonitoringEvent):
    """``status`` IMPLEMENTING on the start that moves the incident (from PLAN_APPROVED or
    REOPENED), else None."""

    action_id: UUID
    started_on: date
    note: str | None
    status: IncidentStatus | None


@registry.register
class ActionProgressReported(MonitoringEvent):
    action_id: UUID
    percent: int
    code: ProgressCode
    note: str | None


@registry.register
class ActionBlocked(MonitoringEvent):
    action_id: UUID
    reason: BlockReason
    note: str | None


@registry.register
class ActionUnblocked(MonitoringEvent):
    """Back to ``in_progress`` when the action was started, else ``planned``."""

    action_id: UUID
    note: str | None


@registry.register
class ActionCompleted(MonitoringEvent):
    action_id: UUID
    evidence: list[Evidence]
    completed_on: date
    note: str | None


@registry.register
class ActionCancelled(MonitoringEvent):
    action_id: UUID
    reason: str


@registry.register
class ActionOverdue(MonitoringEvent):
    """Emitted by the scheduler once per action and due date (domain.md 2.3)."""

    action_id: UUID
    due_date: date
    owner_org: str
    detected_at: datetime


# Step 4: monitoring ----------------------------------------------------------------------------


@registry.register
class MonitoringVisitRecorded(MonitoringEvent):
    """A monitoring report (domain.md 2.1 MonitoringReport); ``final`` marks the one that closes
    implementation (needed to propose closure)."""

    report_id: UUID
    method: MonitoringMethod
    visited_on: date
    final: bool
    findings: str
    indicator_values: list[IndicatorValue]
    recommendations: list[str]


@registry.register
class IndicatorMeasured(MonitoringEvent):
    """``indicator`` is the indicator's name (a field called ``name`` would hide
    ``DomainEvent.name()``)."""

    action_id: UUID | None
    indicator: str
    unit: str
    baseline: Decimal | None
    target: Decimal
    value: Decimal
    measured_on: date


# Step 4: safety (domain.md 3.4 and 3.8) -------------------------------------------------------


@registry.register
class SafetyConcernRaised(MonitoringEvent):
    """Moves the case to priority handling (``priority`` True); the incident status is
    unchanged. The actions it suspends follow as ActionSuspendedForSafety."""

    concern_id: UUID
    victim_id: UUID | None
    kind: SafetyConcernKind
    severity: Severity
    note: str | None
    priority: bool


@registry.register
class ActionSuspendedForSafety(MonitoringEvent):
    action_id: UUID
    concern_id: UUID


@registry.register
class SafetyConcernResolved(MonitoringEvent):
    """``resumed_action_ids``: actions back to their previous status (no other suspension left).
    ``priority``: whether the case stays in priority handling (another concern still open)."""

    concern_id: UUID
    resolution: str
    resumed_action_ids: list[UUID]
    priority: bool


@registry.register
class RetaliationReported(MonitoringEvent):
    """Moves the case to priority handling; on a closed incident IncidentReopened follows."""

    report_id: UUID
    against: RetaliationTarget
    kind: RetaliationKind
    note: str | None
    priority: bool


@registry.register
class SupplierEscalated(MonitoringEvent):
    level: EscalationLevel
    reason: str
    action_id: UUID | None


# Step 5: closure -------------------------------------------------------------------------------


@registry.register
class ClosureProposed(MonitoringEvent):
    """-> CLOSURE_REVIEW. ``proposed_by`` may not approve (four eyes)."""

    reason: ClosureReason
    checklist: dict[str, bool]
    residual_risks: list[str]
    note: str | None
    proposed_by: str
    status: IncidentStatus


@registry.register
class VictimInformedOfOutcome(MonitoringEvent):
    how: OutcomeChannel
    feedback: VictimFeedback
    note: str | None


@registry.register
class ChildCaseOutcomeRecorded(MonitoringEvent):
    victim_id: UUID
    outcome: ChildCaseOutcome
    note: str | None


@registry.register
class ClosureApproved(MonitoringEvent):
    approved_by: str
    note: str | None


@registry.register
class IncidentClosed(MonitoringEvent):
    reason: ClosureReason
    closed_at: datetime
    status: IncidentStatus


@registry.register
class ClosureRejected(MonitoringEvent):
    """Back to IMPLEMENTING; the proposal and the outcome communication lapse."""

    rejected_by: str
    reason: str
    status: IncidentStatus


@registry.register
class AppealReceived(MonitoringEvent):
    appeal_id: UUID
    grounds: AppealGround
    note: str | None


@registry.register
class IncidentReopened(MonitoringEvent):
    """CLOSED -> REOPENED. ``appeal_id``: the appeal it answers (reason ``appeal``);
    ``related_incident_id``: the new incident at the same site or CID (reason ``recurrence``)."""

    reason: ReopenReason
    related_incident_id: UUID | None
    appeal_id: UUID | None
    note: str | None
    status: IncidentStatus
