"""Plan's HTTP API (Step 3): victims, guardians, consent, needs assessments, the remediation plan
with its actions, funding and consultation, four-eyes approval, and audited access to identities.

Commands answer with the case's new version as ``ETag`` (send it back as ``If-Match``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from services.plan.domain import (
    AddAction,
    ApprovePlan,
    AssignGuardian,
    ChangeAction,
    CommitFunding,
    DraftPlan,
    GrantNeedToKnow,
    PlaceLegalHold,
    RecordConsent,
    RecordConsultation,
    RecordNeedsAssessment,
    RegisterCommunityBeneficiary,
    RegisterVictim,
    RejectPlan,
    ReleaseLegalHold,
    RemoveAction,
    RevisePlan,
    SubmitPlan,
    SuspendPlan,
    VerifyAge,
    WithdrawConsent,
    plan_id_for,
)
from services.plan.handlers import PlanHandlers
from shared.domain import Actor
from shared.http import require_roles, to_json_response
from shared.problems import problem_responses
from shared.routes import Caller, add_events_route, caller

router = APIRouter(prefix="/v1")
CASE = ("case_manager",)
CARE = ("case_manager", "provider")
APPROVE = ("approver",)
SUSPEND = ("case_manager", "approver")
READERS = ("case_manager", "provider", "approver", "auditor", "monitor")
COMMAND_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 413, 422)


def handlers(request: Request) -> PlanHandlers:
    result: PlanHandlers = request.app.state.runtime.handlers
    return result


class CommandAccepted(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "incident_id": "3f0c1d8e-2b7a-4c55-9d8e-1f2a3b4c5d6e",
                    "status": "planning",
                    "plan_status": "draft",
                    "revision": 1,
                    "version": 7,
                    "events": ["PlanActionAdded"],
                    "action_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
                }
            ]
        },
    )
    incident_id: UUID
    status: str
    plan_status: str | None
    revision: int
    version: int
    events: list[str]


def new_id() -> UUID:
    return uuid.uuid4()


# --- beneficiaries ------------------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/victims",
    status_code=201,
    response_model=CommandAccepted,
    tags=["victims"],
    summary="Register a victim under a pseudonymous id",
    description="Name, contact and identifying notes are sealed in the identity vault, "
    "encrypted under this person's own key; events carry only the pseudonymous id.",
    responses=COMMAND_PROBLEMS,
)
def register_victim(
    incident_id: UUID, body: RegisterVictim, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    return to_json_response(
        who.handlers.register_victim(incident_id, body, who.context, who.idempotency)
    )


@router.post(
    "/incidents/{incident_id}/communities",
    status_code=201,
    response_model=CommandAccepted,
    tags=["victims"],
    summary="Register a community as a beneficiary",
    responses=COMMAND_PROBLEMS,
)
def register_community(
    incident_id: UUID, body: RegisterCommunityBeneficiary, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    facts = who.handlers.facts(incident_id, who.tenant)
    community_id = new_id()
    return who.run(
        incident_id,
        lambda case: case.register_community_beneficiary(
            body, who.context.command, community_id=community_id, incident=facts
        ),
        created=("community_id", community_id),
    )


@router.post(
    "/incidents/{incident_id}/victims/{victim_id}/guardian",
    status_code=201,
    response_model=CommandAccepted,
    tags=["victims"],
    summary="Assign a guardian to a child (identity sealed like the victim's)",
    responses=COMMAND_PROBLEMS,
)
def assign_guardian(
    incident_id: UUID,
    victim_id: UUID,
    body: AssignGuardian,
    who: Caller[PlanHandlers] = caller(*CASE),
) -> JSONResponse:
    return to_json_response(
        who.handlers.assign_guardian(incident_id, victim_id, body, who.context, who.idempotency)
    )


@router.post(
    "/incidents/{incident_id}/victims/{victim_id}/age-verification",
    response_model=CommandAccepted,
    tags=["victims"],
    summary="Record a verified age band (a person is a child until an adult age is verified)",
    responses=COMMAND_PROBLEMS,
)
def verify_age(
    incident_id: UUID, victim_id: UUID, body: VerifyAge, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.verify_age(victim_id, body, who.context.command))


# --- consent and needs --------------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/victims/{victim_id}/consents",
    status_code=201,
    response_model=CommandAccepted,
    tags=["consent"],
    summary="Record consent: purposes, recipients, method, expiry",
    responses=COMMAND_PROBLEMS,
)
def record_consent(
    incident_id: UUID,
    victim_id: UUID,
    body: RecordConsent,
    who: Caller[PlanHandlers] = caller(*CARE),
) -> JSONResponse:
    consent_id = new_id()
    return who.run(
        incident_id,
        lambda case: case.record_consent(
            victim_id, body, who.context.command, consent_id=consent_id
        ),
        created=("consent_id", consent_id),
    )


@router.post(
    "/incidents/{incident_id}/consents/{consent_id}/withdrawal",
    response_model=CommandAccepted,
    tags=["consent"],
    summary="Withdraw consent: the actions that depend on it are blocked",
    responses=COMMAND_PROBLEMS,
)
def withdraw_consent(
    incident_id: UUID,
    consent_id: UUID,
    body: WithdrawConsent,
    who: Caller[PlanHandlers] = caller(*CARE),
) -> JSONResponse:
    return who.run(
        incident_id, lambda case: case.withdraw_consent(consent_id, body, who.context.command)
    )


@router.post(
    "/incidents/{incident_id}/victims/{victim_id}/needs-assessments",
    status_code=201,
    response_model=CommandAccepted,
    tags=["consent"],
    summary="Record a needs assessment by a service provider",
    responses=COMMAND_PROBLEMS,
)
def record_needs_assessment(
    incident_id: UUID,
    victim_id: UUID,
    body: RecordNeedsAssessment,
    who: Caller[PlanHandlers] = caller(*CARE),
) -> JSONResponse:
    assessment_id = new_id()
    return who.run(
        incident_id,
        lambda case: case.record_needs_assessment(
            victim_id, body, who.context.command, assessment_id=assessment_id
        ),
        created=("assessment_id", assessment_id),
    )


# --- the plan -----------------------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/plan",
    status_code=201,
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Draft the remediation plan (Step 3)",
    responses=COMMAND_PROBLEMS,
)
def draft_plan(
    incident_id: UUID, body: DraftPlan, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    facts = who.handlers.facts(incident_id, who.tenant)
    return who.run(
        incident_id,
        lambda case: case.draft_plan(body, who.context.command, incident=facts),
        created=("plan_id", plan_id_for(incident_id)),
    )


@router.post(
    "/incidents/{incident_id}/plan/actions",
    status_code=201,
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Add an action (category, beneficiaries, owner, provider, due date, cost)",
    responses=COMMAND_PROBLEMS,
)
def add_action(
    incident_id: UUID, body: AddAction, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    action_id = new_id()
    return who.run(
        incident_id,
        lambda case: case.add_action(body, who.context.command, action_id=action_id),
        created=("action_id", action_id),
    )


@router.put(
    "/incidents/{incident_id}/plan/actions/{action_id}",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Change an action of the draft plan",
    responses=COMMAND_PROBLEMS,
)
def change_action(
    incident_id: UUID,
    action_id: UUID,
    body: ChangeAction,
    who: Caller[PlanHandlers] = caller(*CASE),
) -> JSONResponse:
    return who.run(
        incident_id, lambda case: case.change_action(action_id, body, who.context.command)
    )


@router.post(
    "/incidents/{incident_id}/plan/actions/{action_id}/removal",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Remove an action from the draft plan",
    responses=COMMAND_PROBLEMS,
)
def remove_action(
    incident_id: UUID,
    action_id: UUID,
    body: RemoveAction,
    who: Caller[PlanHandlers] = caller(*CASE),
) -> JSONResponse:
    return who.run(
        incident_id, lambda case: case.remove_action(action_id, body, who.context.command)
    )


@router.post(
    "/incidents/{incident_id}/plan/funding",
    status_code=201,
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Record a funding commitment",
    responses=COMMAND_PROBLEMS,
)
def commit_funding(
    incident_id: UUID, body: CommitFunding, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    funding_id = new_id()
    return who.run(
        incident_id,
        lambda case: case.commit_funding(body, who.context.command, funding_id=funding_id),
        created=("funding_id", funding_id),
    )


@router.post(
    "/incidents/{incident_id}/plan/consultation",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Record that the victims were consulted on the plan",
    responses=COMMAND_PROBLEMS,
)
def record_consultation(
    incident_id: UUID, body: RecordConsultation, who: Caller[PlanHandlers] = caller(*CARE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.record_consultation(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/plan/submission",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Submit the plan for approval",
    responses=COMMAND_PROBLEMS,
)
def submit_plan(
    incident_id: UUID, body: SubmitPlan, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.submit_plan(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/plan/rejection",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Reject the submitted plan (back to draft)",
    responses=COMMAND_PROBLEMS,
)
def reject_plan(
    incident_id: UUID, body: RejectPlan, who: Caller[PlanHandlers] = caller(*APPROVE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.reject_plan(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/plan/approval",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Approve the plan (four eyes: never its author)",
    responses=COMMAND_PROBLEMS,
)
def approve_plan(
    incident_id: UUID, body: ApprovePlan, who: Caller[PlanHandlers] = caller(*APPROVE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.approve_plan(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/plan/suspension",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Suspend the approved plan (monitoring suspends its live actions)",
    responses=COMMAND_PROBLEMS,
)
def suspend_plan(
    incident_id: UUID, body: SuspendPlan, who: Caller[PlanHandlers] = caller(*SUSPEND)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.suspend_plan(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/plan/revisions",
    response_model=CommandAccepted,
    tags=["plan"],
    summary="Open a new revision of an approved or rejected plan",
    responses=COMMAND_PROBLEMS,
)
def revise_plan(
    incident_id: UUID, body: RevisePlan, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.revise_plan(body, who.context.command))


# --- personal data ------------------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/need-to-know",
    response_model=CommandAccepted,
    tags=["personal data"],
    summary="Grant someone need-to-know on this case's identities",
    responses=COMMAND_PROBLEMS,
)
def grant_need_to_know(
    incident_id: UUID, body: GrantNeedToKnow, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda case: case.grant_need_to_know(body, who.context.command))


@router.get(
    "/incidents/{incident_id}/people/{person_id}/identity",
    tags=["personal data"],
    summary="Read a victim's or guardian's identity (need-to-know; the read is recorded)",
    responses=problem_responses(401, 403, 404, 422),
)
def read_identity(
    incident_id: UUID,
    person_id: UUID,
    purpose: Annotated[
        str,
        Query(
            min_length=3, max_length=100, description="why you need it, recorded with the access"
        ),
    ],
    who: Caller[PlanHandlers] = caller(*CARE),
) -> dict[str, Any]:
    return who.handlers.read_identity(incident_id, person_id, purpose, who.context)


@router.delete(
    "/incidents/{incident_id}/people/{person_id}/identity",
    response_model=CommandAccepted,
    tags=["personal data"],
    summary="Erase a person's identity by crypto-shredding (refused under legal hold)",
    responses=COMMAND_PROBLEMS,
)
def erase_identity(
    incident_id: UUID, person_id: UUID, who: Caller[PlanHandlers] = caller(*CASE)
) -> JSONResponse:
    return to_json_response(who.handlers.erase_identity(incident_id, person_id, who.context))


@router.post(
    "/incidents/{incident_id}/people/{person_id}/legal-hold",
    response_model=CommandAccepted,
    tags=["personal data"],
    summary="Place a legal hold: erasure is refused while it lasts",
    responses=COMMAND_PROBLEMS,
)
def place_legal_hold(
    incident_id: UUID,
    person_id: UUID,
    body: PlaceLegalHold,
    who: Caller[PlanHandlers] = caller(*CASE),
) -> JSONResponse:
    return to_json_response(
        who.handlers.set_legal_hold(
            incident_id,
            person_id,
            lambda case: case.place_legal_hold(person_id, body, who.context.command),
            True,
            who.context,
        )
    )


@router.post(
    "/incidents/{incident_id}/people/{person_id}/legal-hold/release",
    response_model=CommandAccepted,
    tags=["personal data"],
    summary="Release a legal hold",
    responses=COMMAND_PROBLEMS,
)
def release_legal_hold(
    incident_id: UUID,
    person_id: UUID,
    body: ReleaseLegalHold,
    who: Caller[PlanHandlers] = caller(*CASE),
) -> JSONResponse:
    return to_json_response(
        who.handlers.set_legal_hold(
            incident_id,
            person_id,
            lambda case: case.release_legal_hold(person_id, body, who.context.command),
            False,
            who.context,
        )
    )


# --- queries ------------------------------------------------------------------------------
@router.get(
    "/incidents/{incident_id}/case",
    tags=["plan"],
    summary="The case as plan knows it (pseudonyms only), with what blocks approval",
    responses=problem_responses(401, 403, 404),
)
def case_view(
    incident_id: UUID,
    response: Response,
    actor: Actor = Depends(require_roles(*READERS)),
    plan: PlanHandlers = Depends(handlers),
) -> dict[str, Any]:
    view, version = plan.case_view(incident_id, actor.tenant)
    response.headers["ETag"] = f'"{version}"'
    return view


add_events_route(
    router,
    "/incidents/{incident_id}/plan/events",
    name="plan_events",
    summary="Plan's events of this incident (CloudEvents, with the hash chain)",
    tags=["plan"],
)


@router.get(
    "/plans",
    tags=["plan"],
    summary="The tenant's cases in planning, newest change first",
    responses=problem_responses(401, 403, 422),
)
def list_plans(
    status: str | None = None,
    actor: Actor = Depends(require_roles(*READERS)),
    plan: PlanHandlers = Depends(handlers),
) -> list[dict[str, Any]]:
    return plan.list_plans(actor.tenant, status)
