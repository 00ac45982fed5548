"""Facts recorded by the plan service (domain.md 2.3: Step 3 and Privacy events).

Rules for every event here:

- No personal data. People appear only as random UUIDs (``victim_id``, ``guardian_id``) and a
  random pseudonym; a person's identity lives in the vault and events carry only the opaque
  ``identity_ref``. Case text (``exit_strategy``, ``best_interests_note``, ``reason``) is allowed
  because reviewers and auditors need the reasoning, but it must describe the case, never name or
  describe a person so that they could be identified.
- Field types are plain (``str`` rather than the command's patterns): events are validated again on
  every replay, and a rule tightened later for new commands must not make old events unreadable.
- Money is a ``Decimal``, written as a JSON string ("1500.00"): never a float.
- Events that move the incident carry the new ``status`` (PlanningStarted, PlanApproved,
  PlanRevised), so projections never re-derive it.
- ``occurred_at`` is the command's ``ctx.now``; the actor is in the envelope, not the payload,
  except where the person is part of the fact (``author``, ``approved_by``, ``granted_by``...).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.domain import DomainEvent, EventRegistry
from shared.incident_status import IncidentStatus

from .enums import (
    ActionCategory,
    AgeBand,
    AgeVerificationMethod,
    BlockReason,
    ConsentGiver,
    ConsentMethod,
    ConsentPurpose,
    ConsultationMethod,
    ContactStatus,
    FunderKind,
    Gender,
    GuardianRelationship,
    LegalHoldReason,
    LegalHoldReleaseReason,
    PresumptionReason,
    RiskLevel,
    WithdrawalReason,
)

registry = EventRegistry("plan")


# --- Values carried by events -----------------------------------------------------------------


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Value):
    amount: Decimal
    currency: str


class Indicator(Value):
    """How an action's success is measured in Step 4 (domain.md 2.1 Indicator)."""

    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal


class PlanAction(Value):
    """The terms of one action. ``beneficiaries`` holds victim ids and/or community ids.

    ``owner_org``, ``provider_id``, ``due_date`` and ``cost`` may be unknown while the plan is
    drafted; approval needs all four (guard ``action-incomplete``).
    """

    action_id: UUID
    category: ActionCategory
    beneficiaries: list[UUID]
    owner_org: str | None
    provider_id: str | None
    due_date: date | None
    cost: Money | None
    purpose: ConsentPurpose
    removes_child_from_work: bool
    indicators: list[Indicator]

    @property
    def is_complete(self) -> bool:
        return None not in (self.owner_org, self.provider_id, self.due_date, self.cost)

    @classmethod
    def terms_of(cls, event: PlanAction) -> PlanAction:
        """The bare terms of an action event (state keeps these, not the event)."""
        return cls.model_validate(event.model_dump(include=set(cls.model_fields)))


class Funding(Value):
    funding_id: UUID
    funder_kind: FunderKind
    funder_name: str
    amount: Decimal
    currency: str

    @classmethod
    def terms_of(cls, event: Funding) -> Funding:
        return cls.model_validate(event.model_dump(include=set(cls.model_fields)))


# --- Events -----------------------------------------------------------------------------------


class PlanEvent(DomainEvent):
    """Base of every plan event: which incident (the stream id), and when it happened."""

    incident_id: UUID
    occurred_at: datetime


@registry.register
class PlanningStarted(PlanEvent):
    """RESPONSE_DETERMINED -> PLANNING, with the first beneficiary. ``child_involved`` is what
    intake reported, and makes the case a child case (narrower access list)."""

    child_involved: bool
    status: IncidentStatus


@registry.register
class VictimRegistered(PlanEvent):
    """``is_child`` is derived: true unless an adult age (18_plus) has been verified."""

    victim_id: UUID
    pseudonym: str
    age_band: AgeBand
    age_verified: bool
    is_child: bool
    gender: Gender | None
    provider_ref: str | None
    contact_status: ContactStatus
    identity_ref: str | None


@registry.register
class CommunityBeneficiaryRegistered(PlanEvent):
    """A collective beneficiary; ``label`` is a non-identifying code or description."""

    community_id: UUID
    label: str
    people_estimate: int


@registry.register
class AgePresumedChild(PlanEvent):
    """UNICEF presumption of age: treated as a child until an adult age is verified."""

    victim_id: UUID
    age_band: AgeBand
    reason: PresumptionReason


@registry.register
class AgeVerified(PlanEvent):
    victim_id: UUID
    age_band: AgeBand
    method: AgeVerificationMethod
    is_child: bool


@registry.register
class GuardianAssigned(PlanEvent):
    """A new guardian replaces the previous one; consent given by the previous one lapses."""

    victim_id: UUID
    guardian_id: UUID
    relationship: GuardianRelationship
    identity_ref: str | None


@registry.register
class VictimConsentRecorded(PlanEvent):
    """``guardian_id`` names the guardian who consented (given_by guardian), else None."""

    consent_id: UUID
    victim_id: UUID
    given_by: ConsentGiver
    guardian_id: UUID | None
    purposes: list[ConsentPurpose]
    recipients: list[str]
    method: ConsentMethod
    language: str
    interpreter_used: bool
    given_at: datetime
    expires_at: datetime | None
    best_interests_note: str | None
    child_views_recorded: bool


@registry.register
class ConsentWithdrawn(PlanEvent):
    consent_id: UUID
    victim_id: UUID
    withdrawn_at: datetime
    reason: WithdrawalReason | None


@registry.register
class NeedsAssessmentRecorded(PlanEvent):
    assessment_id: UUID
    victim_id: UUID
    provider_id: str
    assessed_on: date
    needs: list[ActionCategory]
    risk_level: RiskLevel


@registry.register
class RemediationPlanDrafted(PlanEvent):
    """Creates revision 1, or redrafts the current revision while it is editable."""

    plan_id: UUID
    revision: int
    author: str
    objectives: list[str]
    budget: Money
    exit_strategy: str


# Events that carry a value's fields list the value first, so the header still comes first in
# the payload (pydantic collects fields from the last base on).


@registry.register
class PlanActionAdded(PlanAction, PlanEvent):
    pass


@registry.register
class PlanActionChanged(PlanAction, PlanEvent):
    """Carries the full new terms, not only what changed."""


@registry.register
class PlanActionRemoved(PlanEvent):
    action_id: UUID
    reason: str


@registry.register
class PlanActionBlocked(PlanEvent):
    """A consent the action depended on was withdrawn and no other valid consent covers it."""

    action_id: UUID
    reason: BlockReason
    victim_id: UUID
    consent_id: UUID


@registry.register
class FundingCommitted(Funding, PlanEvent):
    pass


@registry.register
class VictimConsulted(PlanEvent):
    victim_ids: list[UUID]
    method: ConsultationMethod
    consulted_on: date
    views_recorded: bool


@registry.register
class PlanSubmittedForApproval(PlanEvent):
    revision: int
    submitted_by: str


@registry.register
class PlanRejected(PlanEvent):
    """The revision goes back to its authors (plan status ``rejected``, editable)."""

    revision: int
    rejected_by: str
    reason: str


@registry.register
class PlanApproved(PlanEvent):
    """PLANNING -> PLAN_APPROVED. Repeats the whole approved plan (actions, funding, budget) so
    monitoring needs no other plan event."""

    plan_id: UUID
    revision: int
    approved_by: str
    note: str | None
    objectives: list[str]
    budget: Money
    exit_strategy: str
    actions: list[PlanAction]
    funding: list[Funding]
    victim_ids: list[UUID]
    community_ids: list[UUID]
    child_victim_ids: list[UUID] = []
    """Victims who are, or are presumed, children: closure needs a child outcome for each."""
    status: IncidentStatus


@registry.register
class PlanSuspended(PlanEvent):
    """Work on the approved ``revision`` stops; a new approved revision resumes it."""

    revision: int
    reason: str
    suspended_by: str


@registry.register
class PlanRevised(PlanEvent):
    """Opens ``revision`` (the new number) as a draft carrying the previous revision's content;
    the incident goes back to PLANNING."""

    revision: int
    reason: str
    revised_by: str
    status: IncidentStatus


# --- Privacy (domain.md 3) --------------------------------------------------------------------


@registry.register
class NeedToKnowGranted(PlanEvent):
    """``subject`` is an API key's subject name, added to this case's need-to-know list."""

    subject: str
    granted_by: str


@registry.register
class PersonalDataAccessed(PlanEvent):
    """An audited read of a person's sealed identity fields."""

    person_id: UUID
    fields: list[str]
    purpose: str
    accessed_by: str


@registry.register
class PersonalDataErased(PlanEvent):
    """Crypto-shredding: the handler deletes the person's vault key. ``identity_ref`` values stay
    in the log and the vault answers "erased" for them, so replay still works."""

    person_id: UUID
    erased_by: str


@registry.register
class LegalHoldPlaced(PlanEvent):
    person_id: UUID
    reason: LegalHoldReason


@registry.register
class LegalHoldReleased(PlanEvent):
    person_id: UUID
    reason: LegalHoldReleaseReason
