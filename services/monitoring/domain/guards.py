"""The preconditions of closure (domain.md 2.4), written once as data.

The aggregate checks them before recording a transition, and :func:`closure_guards_unmet` reads
the same tables to tell a client what still blocks closure, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.domain import require
from shared.incident_status import IncidentStatus

from .state import ImplementationState


@dataclass(frozen=True)
class Guard:
    code: str
    detail: str
    holds: Callable[[ImplementationState], bool]


def check(guards: Iterable[Guard], state: ImplementationState) -> None:
    """Refuse with 409 and the code of the first guard that does not hold."""
    for guard in guards:
        require(guard.holds(state), guard.code, guard.detail)


def unmet(guards: Iterable[Guard], state: ImplementationState) -> list[str]:
    return [guard.code for guard in guards if not guard.holds(state)]


ACTIONS_FINISHED = Guard(
    "actions-not-finished",
    "Every action must be completed, or cancelled with a reason.",
    lambda s: s.all_actions_finished,
)
FINAL_VISIT = Guard(
    "final-visit-missing",
    "A final monitoring report (final: true) must be recorded, after any reopening and after the "
    "last revision that added actions.",
    lambda s: s.final_report_id is not None,
)
NO_OPEN_CONCERN = Guard(
    "safety-concern-open",
    "Every safety concern must be resolved before the case is closed (do no harm).",
    lambda s: not s.open_concerns,
)
CHILD_OUTCOMES = Guard(
    "child-case-outcome-missing",
    "In a child case every victim needs a recorded outcome: goal_reached or "
    "handed_to_child_protection (monitoring treats every victim of a child case as a child).",
    lambda s: not s.children_without_outcome,
)
CHECKLIST = Guard(
    "checklist-incomplete",
    "Every item of the closure checklist must be true: reject the proposal and propose again "
    "once the open items are done.",
    lambda s: s.proposal is not None and s.proposal.checklist_complete,
)
OUTCOME = Guard(
    "outcome-not-communicated",
    "The victim must have been told the outcome through a safe channel, or the impossibility "
    "documented.",
    lambda s: s.outcome is not None,
)

TO_CLOSURE_REVIEW = (ACTIONS_FINISHED, FINAL_VISIT)
"""IMPLEMENTING -> CLOSURE_REVIEW (the closure reason and checklist are the command's content)."""

STANDING = (NO_OPEN_CONCERN, CHILD_OUTCOMES)
"""Closure preconditions that may be met at any time, before or after the proposal."""

TO_CLOSED = (ACTIONS_FINISHED, CHECKLIST, NO_OPEN_CONCERN, OUTCOME, CHILD_OUTCOMES)
"""CLOSURE_REVIEW -> CLOSED. The approver role and four eyes depend on who asks: not here."""


def closure_guards_unmet(state: ImplementationState) -> list[str]:
    """Codes of what still blocks closure approval.

    ``plan-not-adopted`` alone before a plan is adopted; nothing once closed. Before a proposal,
    ``closure-not-proposed`` comes first, followed by what blocks the proposal and the standing
    preconditions; in closure review, what blocks approval. The approver role and the four-eyes
    rule are not listed.
    """
    if not state.adopted:
        return ["plan-not-adopted"]
    if state.status is IncidentStatus.CLOSED:
        return []
    if state.status is IncidentStatus.CLOSURE_REVIEW:
        return unmet(TO_CLOSED, state)
    return ["closure-not-proposed", *unmet(TO_CLOSURE_REVIEW, state), *unmet(STANDING, state)]
