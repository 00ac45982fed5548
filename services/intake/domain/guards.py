"""The preconditions of each forward transition (domain.md 2.4), written once as data.

The aggregate checks them before recording a transition, and :func:`allowed_next_steps` reads the
same tables to tell a client what is still missing, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.domain import require
from shared.incident_status import IncidentStatus

from .enums import LinkConfidence
from .state import IncidentState


@dataclass(frozen=True)
class Guard:
    code: str
    detail: str
    holds: Callable[[IncidentState], bool]


def check(guards: Iterable[Guard], state: IncidentState) -> None:
    """Refuse with 409 and the code of the first guard that does not hold."""
    for guard in guards:
        require(guard.holds(state), guard.code, guard.detail)


def unmet(guards: Iterable[Guard], state: IncidentState) -> list[str]:
    return [guard.code for guard in guards if not guard.holds(state)]


TO_TRIAGED = (
    Guard(
        "channel-missing",
        "Triage needs the channel the allegation came through.",
        lambda s: s.channel is not None,
    ),
    Guard(
        "alleged-abuse-missing",
        "Triage needs at least one alleged abuse type; add it with the triage.",
        lambda s: bool(s.alleged_abuses),
    ),
    Guard(
        "case-manager-not-assigned",
        "Triage needs a case manager assigned to the incident.",
        lambda s: s.case_manager_id is not None,
    ),
    Guard(
        "duplicate-check-not-done",
        "Triage needs the duplicate check to be recorded.",
        lambda s: s.duplicate_check_done,
    ),
    Guard(
        "duplicate-not-linked",
        "The duplicate check found duplicates: link at least one before triage.",
        lambda s: not s.duplicates_found or bool(s.duplicate_of),
    ),
)

VERIFIER_WITHOUT_CONFLICT = Guard(
    "verifier-conflict-of-interest-not-declared",
    "The verifier must declare that they have no conflict of interest.",
    lambda s: s.verifier is not None and s.verifier.conflict_of_interest_declared_none,
)

TO_UNDER_VERIFICATION = (
    Guard(
        "verifier-not-assigned",
        "Verification needs a verifier assigned to the incident.",
        lambda s: s.verifier is not None,
    ),
    VERIFIER_WITHOUT_CONFLICT,
    Guard(
        "immediate-danger-unaddressed",
        "Someone is in immediate danger: take a protection action or refer to the authorities "
        "before verification starts.",
        lambda s: not s.immediate_danger or s.immediate_danger_addressed,
    ),
)

EVIDENCE_PRESENT = Guard(
    "evidence-missing",
    "A substantiated finding needs at least one evidence item attached.",
    lambda s: bool(s.evidence),
)

LINK_AT_LEAST_PROBABLE = Guard(
    "supply-chain-link-not-probable",
    "A substantiated finding needs a supply-chain link with confidence probable or confirmed, "
    "or an explicit decision to respond despite a possible link.",
    lambda s: s.has_link_at_least(LinkConfidence.PROBABLE),
)

LINK_AT_LEAST_POSSIBLE = Guard(
    "supply-chain-link-missing",
    "Responding despite a possible link still needs a link recorded as possible or stronger.",
    lambda s: s.has_link_at_least(LinkConfidence.POSSIBLE),
)

TO_VERIFIED = (EVIDENCE_PRESENT, LINK_AT_LEAST_PROBABLE)
TO_VERIFIED_DESPITE_POSSIBLE_LINK = (EVIDENCE_PRESENT, LINK_AT_LEAST_POSSIBLE)

TO_RESPONSE_DETERMINED = (
    Guard(
        "involvement-not-assessed",
        "Approval needs the company's involvement assessed.",
        lambda s: s.involvement is not None,
    ),
    Guard(
        "leverage-not-assessed",
        "Approval needs the company's leverage assessed.",
        lambda s: s.leverage is not None,
    ),
    Guard(
        "severity-not-assessed",
        "Approval needs severity assessed: scale, scope and irremediable character.",
        lambda s: s.severity is not None,
    ),
    Guard(
        "response-not-determined",
        "Approval needs the response types and level determined.",
        lambda s: s.response is not None,
    ),
    Guard(
        "sourcing-decision-not-recorded",
        "Approval needs the sourcing decision recorded.",
        lambda s: s.sourcing is not None,
    ),
)

_NEXT_TRANSITION = {
    IncidentStatus.RECEIVED: TO_TRIAGED,
    IncidentStatus.TRIAGED: TO_UNDER_VERIFICATION,
    IncidentStatus.UNDER_VERIFICATION: TO_VERIFIED,
    IncidentStatus.VERIFIED: TO_RESPONSE_DETERMINED,
}


def allowed_next_steps(state: IncidentState) -> list[str]:
    """Codes of what still blocks the incident's next forward transition in intake.

    An empty list means the next transition may be requested (triage, start verification, a
    substantiated finding, approval), or that intake has no forward transition left in this
    status. The approver role is not a state precondition and is not listed.
    """
    if state.status is IncidentStatus.ON_HOLD:
        return ["incident-on-hold"]
    if not state.status.is_open:
        return ["incident-closed"]
    return unmet(_NEXT_TRANSITION.get(state.status, ()), state)
