"""The preconditions of the plan's transitions (domain.md 2.4), written once as data.

The aggregate checks them before recording a transition, and :func:`plan_guards_unmet` reads the
same tables to tell a client what still blocks approval, so the two can never disagree. Consent
validity depends on the clock (expiry), so every guard is judged at a moment ``at``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain import require

from .enums import PlanStatus
from .state import (
    CONSENT_EXPIRED,
    CONSENT_MISSING,
    CONSENT_WITHDRAWN,
    GUARDIAN_CONSENT_MISSING,
    CaseState,
)


@dataclass(frozen=True)
class Guard:
    code: str
    detail: str
    holds: Callable[[CaseState, datetime], bool]


def check(guards: Iterable[Guard], state: CaseState, at: datetime) -> None:
    """Refuse with 409 and the code of the first guard that does not hold."""
    for guard in guards:
        require(guard.holds(state, at), guard.code, guard.detail)


def unmet(guards: Iterable[Guard], state: CaseState, at: datetime) -> list[str]:
    return [guard.code for guard in guards if not guard.holds(state, at)]


TO_PLANNING = (
    Guard(
        "beneficiary-missing",
        "Planning needs at least one victim or community beneficiary recorded.",
        lambda s, at: s.has_beneficiary,
    ),
)

TO_PLAN_APPROVED = (
    Guard(
        "plan-has-no-actions",
        "The plan needs at least one action.",
        lambda s, at: bool(s.actions),
    ),
    Guard(
        "action-incomplete",
        "Every action needs an owner organisation, a service provider, a due date and a cost.",
        lambda s, at: all(action.is_complete for action in s.actions),
    ),
    Guard(
        "needs-assessment-missing",
        "Every victim who benefits from an action needs a needs assessment by a provider.",
        lambda s, at: all(s.has_assessment(v) for v in s.plan_victim_ids),
    ),
    Guard(
        GUARDIAN_CONSENT_MISSING,
        "A child (or a person presumed a child) who benefits from an action needs the consent of "
        "their current guardian, with a best-interests note, covering the action's purpose and "
        "provider.",
        lambda s, at: not s.has_consent_gap(GUARDIAN_CONSENT_MISSING, at),
    ),
    Guard(
        CONSENT_MISSING,
        "Every adult victim who benefits from an action needs their own consent covering the "
        "action's purpose and its provider as a recipient.",
        lambda s, at: not s.has_consent_gap(CONSENT_MISSING, at),
    ),
    Guard(
        CONSENT_WITHDRAWN,
        "A consent an action depends on was withdrawn: record a new consent, or change or remove "
        "the action.",
        lambda s, at: not s.has_consent_gap(CONSENT_WITHDRAWN, at),
    ),
    Guard(
        CONSENT_EXPIRED,
        "A consent an action depends on has expired: record a new consent.",
        lambda s, at: not s.has_consent_gap(CONSENT_EXPIRED, at),
    ),
    Guard(
        "removal-without-income-or-schooling",
        "An action removes a child from work, but the plan has no education_schooling, "
        "livelihood_income_support or family_stipend action for that child.",
        lambda s, at: not s.removals_without_offset(),
    ),
    Guard(
        "funding-missing",
        "The plan needs at least one funding commitment.",
        lambda s, at: bool(s.funding),
    ),
    Guard(
        "victim-consultation-missing",
        "Every victim who benefits from an action must have been consulted on the plan.",
        lambda s, at: all(s.was_consulted(v) for v in s.plan_victim_ids),
    ),
)


def plan_guards_unmet(state: CaseState, at: datetime | None = None) -> list[str]:
    """Codes of what still blocks approval of the current plan revision, judged at ``at``
    (default: now, because consents expire).

    ``plan-not-drafted`` / ``plan-not-submitted`` come first when the plan is not in review. An
    empty list means an approver may approve, or that the plan is already approved. The approver
    role and the four-eyes rule depend on who asks, not on the state, and are not listed.
    """
    moment = at or datetime.now(UTC)
    plan = state.plan
    if plan is None:
        return [*unmet(TO_PLANNING, state, moment), "plan-not-drafted"]
    if plan.status is PlanStatus.APPROVED:
        return []
    pending = [] if plan.status is PlanStatus.IN_REVIEW else ["plan-not-submitted"]
    return pending + unmet(TO_PLAN_APPROVED, state, moment)
