"""What every chapter of the RemediationCase aggregate shares: its state type, the event header,
what plan knows about the incident from intake, and the look-ups that refuse unknown ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from shared.domain import Aggregate, CommandContext, require
from shared.errors import NotFound
from shared.incident_status import IncidentStatus

from .enums import PlanStatus
from .state import CaseState, Consent, Plan, Victim

Status = IncidentStatus


@dataclass(frozen=True)
class IncidentFacts:
    """What plan knows about the incident from intake's events (the handler reads it from its
    projection of intake's topic). ``status`` None: intake has not reported the incident yet."""

    status: IncidentStatus | None
    response_determined: bool
    child_involved: bool


def plan_id_for(incident_id: UUID) -> UUID:
    """One plan per incident, across revisions: derived, so a retried draft cannot fork it."""
    return uuid5(incident_id, "remediation-plan")


class CaseBase(Aggregate[CaseState]):
    state_type = CaseState

    def _header(self, ctx: CommandContext) -> dict[str, Any]:
        return {"incident_id": UUID(self.stream_id), "occurred_at": ctx.now}

    # --- The incident, as intake reported it --------------------------------------------------

    @staticmethod
    def _require_response_determined(incident: IncidentFacts) -> None:
        status = incident.status
        require(
            status is None or status.is_open,
            "incident-closed",
            "Intake reports the incident as closed.",
        )
        require(
            status is not Status.ON_HOLD,
            "incident-on-hold",
            "Intake reports the incident as on hold: it must be resumed first.",
        )
        require(
            incident.response_determined,
            "response-not-determined",
            "Intake has not reported an approved response determination for this incident "
            "(Step 2): planning starts only after ResponseDeterminationApproved.",
        )

    # --- Look-ups: unknown ids in the path are 404 --------------------------------------------

    def _victim(self, victim_id: UUID) -> Victim:
        victim = self.state.victims.get(victim_id)
        if victim is None:
            raise NotFound("No such victim in this case.", code="victim-not-found")
        return victim

    def _consent(self, consent_id: UUID) -> Consent:
        consent = self.state.consents.get(consent_id)
        if consent is None:
            raise NotFound("No such consent in this case.", code="consent-not-found")
        return consent

    def _require_person(self, person_id: UUID) -> None:
        if not self.state.knows_person(person_id):
            raise NotFound(
                "No such person (victim or guardian) in this case.", code="person-not-found"
            )

    # --- The plan -----------------------------------------------------------------------------

    def _plan(self) -> Plan:
        plan = self.state.plan
        require(plan is not None, "plan-not-drafted", "Draft the remediation plan first.")
        assert plan is not None
        return plan

    def _editable_plan(self, doing: str) -> Plan:
        """Actions, funding and consultations change only while the revision is a draft (or
        rejected, back with its authors): never in review or after approval."""
        plan = self._plan()
        require(
            plan.status.is_editable,
            "plan-not-in-draft",
            f"{doing} needs the plan revision to be {PlanStatus.DRAFT} (or {PlanStatus.REJECTED}); "
            f"revision {plan.revision} is {plan.status}.",
        )
        return plan
