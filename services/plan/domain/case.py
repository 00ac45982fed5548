"""The RemediationCase aggregate of the plan service: Step 3 of the IOM process, from the first
beneficiary (RESPONSE_DETERMINED -> PLANNING) to an approved remediation plan (PLAN_APPROVED), plus
the privacy rules that guard the people in it. The stream id is the incident id.

Each command method refuses what the case's state does not allow (409, via ``require`` and the
guard tables), what the actor may not do (403, ``Forbidden``), unknown ids in the path (404,
``NotFound``) or what the command's content breaks (422, ``InvalidCommand``), then records its
events. Appliers (``when_<EventName>``) only change state, so replaying the events rebuilds the
same case.

The aggregate is written in chapters: ``case_people`` (beneficiaries, guardians, age, needs),
``case_consent``, ``case_plan`` (draft, actions, funding, consultation), ``case_approval`` (submit,
reject, approve, revise) and ``case_privacy`` (need-to-know, audited reads, erasure, legal hold).

Where commands are accepted:

- beneficiaries and the draft: once intake reports an approved response determination;
- guardians, age, consent, withdrawal and needs assessments: at any time once the person is known
  (a withdrawal after approval still blocks the actions that depended on it);
- actions, funding and consultations: only while the current revision is ``draft`` (or
  ``rejected``, back with its authors), never ``in_review`` or ``approved``: revise first.
"""

from __future__ import annotations

from .case_approval import ApprovalSteps
from .case_base import IncidentFacts, plan_id_for
from .case_consent import ConsentSteps
from .case_people import PeopleSteps, pseudonym_for
from .case_plan import PlanDraftingSteps
from .case_privacy import PrivacySteps
from .state import CaseState

__all__ = ["CaseState", "IncidentFacts", "RemediationCase", "plan_id_for", "pseudonym_for"]


class RemediationCase(PeopleSteps, ConsentSteps, PlanDraftingSteps, ApprovalSteps, PrivacySteps):
    """One chapter per concern (see the modules above)."""
