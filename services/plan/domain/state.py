"""What the plan service knows about one incident: the fold of its events, and the queries the
guards and the privacy rules need.

Events that are themselves the record (communities, assessments, consultations, blocks) are kept as
recorded; people, consents and the plan are kept as small models because later events change them
(a verified age, a withdrawal, a replaced guardian, a redrafted plan). The state is snapshotted, so
it must survive ``model_dump(mode="json")`` -> ``model_validate`` unchanged.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from shared.incident_status import IncidentStatus

from .enums import (
    INCOME_OR_SCHOOLING,
    AgeBand,
    ConsentGiver,
    ConsentMethod,
    ConsentPurpose,
    ContactStatus,
    Gender,
    GuardianRelationship,
    LegalHoldReason,
    PlanStatus,
    WithdrawalReason,
)
from .events import (
    CommunityBeneficiaryRegistered,
    Funding,
    Money,
    NeedsAssessmentRecorded,
    PlanAction,
    PlanActionBlocked,
    VictimConsulted,
)


def is_child_age(age_band: AgeBand, age_verified: bool) -> bool:
    """domain.md 3.5: a child unless an adult age has been verified (presumption of age)."""
    return not (age_verified and age_band is AgeBand.ADULT)


class Victim(BaseModel):
    victim_id: UUID
    pseudonym: str
    age_band: AgeBand
    age_verified: bool
    is_child: bool
    gender: Gender | None
    provider_ref: str | None
    contact_status: ContactStatus
    identity_ref: str | None
    guardian_id: UUID | None = None


class Guardian(BaseModel):
    """Kept after being replaced: their identity may still have to be read, held or erased."""

    guardian_id: UUID
    victim_id: UUID
    relationship: GuardianRelationship
    identity_ref: str | None


class Consent(BaseModel):
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
    withdrawn_at: datetime | None = None
    withdrawal_reason: WithdrawalReason | None = None

    def is_valid_at(self, at: datetime) -> bool:
        return self.withdrawn_at is None and (self.expires_at is None or at < self.expires_at)

    def covers(self, purpose: ConsentPurpose, recipient: str | None) -> bool:
        """The purpose, and the recipient organisation when it is known."""
        return purpose in self.purposes and (recipient is None or recipient in self.recipients)


class Plan(BaseModel):
    """The current revision of the remediation plan. Actions carry over into a new revision."""

    plan_id: UUID
    revision: int
    status: PlanStatus
    objectives: list[str]
    budget: Money
    exit_strategy: str
    authors: list[str]
    submitted_by: str | None = None
    rejection_reason: str | None = None
    approved_by: str | None = None
    actions: dict[UUID, PlanAction] = {}
    removed_action_ids: list[UUID] = []


# Codes of a missing consent, from the most to the least specific (see CaseState.consent_gap).
GUARDIAN_CONSENT_MISSING = "guardian-consent-missing"
CONSENT_MISSING = "consent-missing"
CONSENT_WITHDRAWN = "consent-withdrawn"
CONSENT_EXPIRED = "consent-expired"


class CaseState(BaseModel):
    # The incident as plan sees it: None until planning starts, then PLANNING / PLAN_APPROVED.
    status: IncidentStatus | None = None
    child_involved: bool = False

    # Beneficiaries and the people around them
    victims: dict[UUID, Victim] = {}
    guardians: dict[UUID, Guardian] = {}
    communities: dict[UUID, CommunityBeneficiaryRegistered] = {}
    consents: dict[UUID, Consent] = {}
    assessments: list[NeedsAssessmentRecorded] = []

    # The plan
    plan: Plan | None = None
    funding: list[Funding] = []
    consultations: list[VictimConsulted] = []
    blocks: list[PlanActionBlocked] = []

    # Privacy
    need_to_know: list[str] = []
    legal_holds: dict[UUID, LegalHoldReason] = {}
    erased: list[UUID] = []

    # --- People -------------------------------------------------------------------------------

    @property
    def planning_started(self) -> bool:
        return self.status is not None

    @property
    def has_beneficiary(self) -> bool:
        return bool(self.victims or self.communities)

    def knows_person(self, person_id: UUID) -> bool:
        return person_id in self.victims or person_id in self.guardians

    def knows_beneficiary(self, beneficiary_id: UUID) -> bool:
        return beneficiary_id in self.victims or beneficiary_id in self.communities

    @property
    def is_child_case(self) -> bool:
        """Intake reported a child, or a beneficiary is (presumed) a child."""
        return self.child_involved or any(v.is_child for v in self.victims.values())

    def has_assessment(self, victim_id: UUID) -> bool:
        return any(a.victim_id == victim_id for a in self.assessments)

    def was_consulted(self, victim_id: UUID) -> bool:
        return any(victim_id in c.victim_ids for c in self.consultations)

    # --- The plan -----------------------------------------------------------------------------

    @property
    def actions(self) -> list[PlanAction]:
        return list(self.plan.actions.values()) if self.plan else []

    def victims_of(self, action: PlanAction) -> list[UUID]:
        return [b for b in action.beneficiaries if b in self.victims]

    @property
    def plan_victim_ids(self) -> list[UUID]:
        """Victims who benefit from at least one action of the current revision, in order."""
        seen: dict[UUID, None] = {}
        for action in self.actions:
            seen.update(dict.fromkeys(self.victims_of(action)))
        return list(seen)

    @property
    def plan_community_ids(self) -> list[UUID]:
        seen: dict[UUID, None] = {}
        for action in self.actions:
            seen.update(dict.fromkeys(b for b in action.beneficiaries if b in self.communities))
        return list(seen)

    def removals_without_offset(self) -> list[tuple[UUID, UUID]]:
        """(action, child) pairs where an action removes a child from work but no action of the
        plan (it may be the same one) gives that child schooling, income support or a stipend."""
        offset = {
            child
            for action in self.actions
            if action.category in INCOME_OR_SCHOOLING
            for child in action.beneficiaries
        }
        return [
            (action.action_id, victim_id)
            for action in self.actions
            if action.removes_child_from_work
            for victim_id in self.victims_of(action)
            if self.victims[victim_id].is_child and victim_id not in offset
        ]

    # --- Consent ------------------------------------------------------------------------------

    def is_rightful_consent(self, consent: Consent) -> bool:
        """An adult consents for themselves. For a child (or a person presumed a child) only the
        current guardian's consent counts, and only with a best-interests note."""
        victim = self.victims[consent.victim_id]
        if not victim.is_child:
            return consent.given_by is ConsentGiver.VICTIM
        return (
            consent.given_by is ConsentGiver.GUARDIAN
            and consent.guardian_id is not None
            and consent.guardian_id == victim.guardian_id
            and consent.best_interests_note is not None
        )

    def consent_gap(self, action: PlanAction, victim_id: UUID, at: datetime) -> str | None:
        """None when a valid consent covers the victim for this action, else the code saying why
        not. Valid: given by the rightful person, not withdrawn, not expired at ``at``, covering
        the action's purpose and its provider as a recipient (when the provider is known yet)."""
        covering = [
            consent
            for consent in self.consents.values()
            if consent.victim_id == victim_id
            and consent.covers(action.purpose, action.provider_id)
            and self.is_rightful_consent(consent)
        ]
        if any(consent.is_valid_at(at) for consent in covering):
            return None
        if any(consent.withdrawn_at is None for consent in covering):
            return CONSENT_EXPIRED
        if covering:
            return CONSENT_WITHDRAWN
        return GUARDIAN_CONSENT_MISSING if self.victims[victim_id].is_child else CONSENT_MISSING

    def consent_gaps(self, at: datetime) -> list[tuple[UUID, UUID, str]]:
        """(action, victim, code) for every victim of every action lacking valid consent."""
        gaps = []
        for action in self.actions:
            for victim_id in self.victims_of(action):
                code = self.consent_gap(action, victim_id, at)
                if code is not None:
                    gaps.append((action.action_id, victim_id, code))
        return gaps

    def has_consent_gap(self, code: str, at: datetime) -> bool:
        return any(gap == code for _, _, gap in self.consent_gaps(at))
