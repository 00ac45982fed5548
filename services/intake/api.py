"""Intake's HTTP API: allegations in, Steps 1-2 as commands on ``/v1/incidents/{id}/...``.

Commands answer with the incident's new version as ``ETag``; send it back as ``If-Match`` for
optimistic concurrency. Every refusal is an RFC 9457 problem.
"""

# No ``from __future__ import annotations``: the command routes below are built in a loop and
# FastAPI must see each body model as a real class in the endpoint's signature.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain import (
    ApproveResponseDetermination,
    AssessInvolvement,
    AssessLeverage,
    AssessSeverity,
    AssignCaseManager,
    AssignVerifier,
    AttachEvidence,
    DetermineResponse,
    FlagImmediateDanger,
    LinkDuplicate,
    PutOnHold,
    RecordDuplicateCheck,
    RecordFinding,
    RecordSourcingDecision,
    RecordSupplyChainLink,
    ReferToAuthorities,
    Resume,
    StartVerification,
    SubmitAllegation,
    TakeImmediateProtectionAction,
    TriageAllegation,
)
from services.intake.handlers import IncidentFilters, IntakeHandlers
from shared.domain import Actor
from shared.errors import RemediumError
from shared.http import (
    correlation_id,
    idempotency_request,
    if_match,
    request_context,
    require_roles,
    to_json_response,
)
from shared.idempotency import IdempotencyRequest
from shared.incident_status import IncidentStatus
from shared.problems import problem_body, problem_responses
from shared.routes import add_events_route

router = APIRouter(prefix="/v1", tags=["incidents"])
READERS = ("case_manager", "verifier", "approver", "auditor", "monitor")
MAX_BATCH = 100


async def handlers(request: Request) -> IntakeHandlers:
    result: IntakeHandlers = request.app.state.runtime.handlers
    return result


class CommandAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_id": "3f0c1d8e-2b7a-4c55-9d8e-1f2a3b4c5d6e",
                    "reference": "INC-2026-7KQ2MZ",
                    "status": "triaged",
                    "version": 5,
                    "events": ["AllegationTriaged"],
                }
            ]
        }
    )

    incident_id: UUID
    reference: str
    status: IncidentStatus
    version: int
    events: list[str]
    reply_token: str | None = Field(
        default=None, description="Only for reports without a contact: shown once, keep it safe."
    )


class BatchSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allegations: list[SubmitAllegation] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItemResult(BaseModel):
    index: int
    status: int
    result: CommandAccepted | None = None
    problem: dict[str, Any] | None = None


class BatchResult(BaseModel):
    results: list[BatchItemResult]


class IncidentPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


@router.post(
    "/incidents",
    status_code=201,
    response_model=CommandAccepted,
    summary="Submit an allegation (supplier portal, hotline, NGO, audit)",
    description="Opens an incident. Send an `Idempotency-Key` so a retry creates nothing twice. "
    "Reports without a contact get a `reply_token` for following up anonymously.",
    responses=problem_responses(401, 403, 413, 422),
)
def submit_allegation(
    body: SubmitAllegation,
    actor: Actor = Depends(require_roles("reporter", "case_manager")),
    idempotency: IdempotencyRequest | None = Depends(idempotency_request),
    correlation: str | None = Depends(correlation_id),
    intake: IntakeHandlers = Depends(handlers),
) -> JSONResponse:
    stored = intake.submit(body, request_context(actor, correlation), idempotency)
    response = to_json_response(stored)
    response.headers["Location"] = f"/v1/incidents/{stored.body['incident_id']}"
    return response


@router.post(
    "/incidents/batch",
    response_model=BatchResult,
    summary="Submit many allegations at once",
    description="Each allegation is processed on its own; the result lists a status per item. "
    "With an `Idempotency-Key`, item *i* uses the key `<key>#<i>`, so retrying a whole batch "
    "after a timeout creates nothing twice.",
    responses=problem_responses(401, 403, 413, 422),
)
def submit_batch(
    body: BatchSubmission,
    actor: Actor = Depends(require_roles("reporter", "case_manager")),
    idempotency: IdempotencyRequest | None = Depends(idempotency_request),
    correlation: str | None = Depends(correlation_id),
    intake: IntakeHandlers = Depends(handlers),
) -> BatchResult:
    results = []
    context = request_context(actor, correlation)
    for index, allegation in enumerate(body.allegations):
        item_key = (
            idempotency.for_item(index, allegation.model_dump_json()) if idempotency else None
        )
        try:
            stored = intake.submit(allegation, context, item_key)
        except RemediumError as error:
            results.append(
                BatchItemResult(index=index, status=error.status, problem=problem_body(error))
            )
            continue
        accepted = CommandAccepted.model_validate(stored.body)
        results.append(BatchItemResult(index=index, status=stored.status_code, result=accepted))
    return BatchResult(results=results)


@router.get(
    "/incidents",
    response_model=IncidentPage,
    summary="List the tenant's incidents, newest first",
    responses=problem_responses(401, 403, 422),
)
def list_incidents(
    actor: Actor = Depends(require_roles(*READERS)),
    intake: IntakeHandlers = Depends(handlers),
    status: IncidentStatus | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    mineral: str | None = None,
    immediate_danger: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> IncidentPage:
    filters = IncidentFilters(str(status) if status else None, country, mineral, immediate_danger)
    items, next_cursor = intake.list_incidents(actor.tenant, filters, limit, cursor)
    return IncidentPage(items=items, next_cursor=next_cursor)


@router.get(
    "/incidents/{incident_id}",
    summary="The incident as intake knows it, with what blocks its next step",
    responses=problem_responses(401, 403, 404),
)
def get_incident(
    incident_id: UUID,
    response: Response,
    actor: Actor = Depends(require_roles(*READERS)),
    intake: IntakeHandlers = Depends(handlers),
) -> dict[str, Any]:
    view, version = intake.incident(incident_id, actor.tenant)
    response.headers["ETag"] = f'"{version}"'
    return view


add_events_route(
    router,
    "/incidents/{incident_id}/events",
    name="incident_events",
    summary="Intake's events of this incident (CloudEvents, with the hash chain)",
    tags=[],
)


@router.get(
    "/reports/status",
    tags=["reporters"],
    summary="Follow an anonymous report with its reply token",
    description="The token travels in the `Reply-Token` header, never in the URL, so that "
    "access logs and proxies do not record it.",
    responses=problem_responses(401, 403, 404, 422),
)
def report_status(
    reply_token: Annotated[str, Header(alias="Reply-Token", min_length=10, max_length=100)],
    actor: Actor = Depends(require_roles("reporter", "case_manager")),
    intake: IntakeHandlers = Depends(handlers),
) -> dict[str, Any]:
    return intake.report_status(reply_token, actor.tenant)


@dataclass(frozen=True)
class CommandRoute:
    path: str
    body: type[BaseModel]
    method: str
    roles: tuple[str, ...]
    summary: str
    tag: str


CASE = ("case_manager",)
VERIFY = ("verifier", "case_manager")
COMMAND_ROUTES = [
    CommandRoute(
        "case-manager",
        AssignCaseManager,
        "assign_case_manager",
        CASE,
        "Assign the case manager",
        "intake",
    ),
    CommandRoute(
        "duplicate-check",
        RecordDuplicateCheck,
        "record_duplicate_check",
        CASE,
        "Record that the duplicate check was done",
        "intake",
    ),
    CommandRoute(
        "duplicates",
        LinkDuplicate,
        "link_duplicate",
        CASE,
        "Link this incident to an incident it duplicates",
        "intake",
    ),
    CommandRoute("triage", TriageAllegation, "triage", CASE, "Triage the allegation", "intake"),
    CommandRoute(
        "immediate-danger",
        FlagImmediateDanger,
        "flag_immediate_danger",
        VERIFY,
        "Flag that someone is in immediate danger",
        "safety",
    ),
    CommandRoute(
        "protection-actions",
        TakeImmediateProtectionAction,
        "take_immediate_protection_action",
        VERIFY,
        "Record an immediate protection action (allowed from receipt on)",
        "safety",
    ),
    CommandRoute(
        "referrals",
        ReferToAuthorities,
        "refer_to_authorities",
        VERIFY,
        "Refer the case to the authorities (allowed from receipt on)",
        "safety",
    ),
    CommandRoute(
        "verifier",
        AssignVerifier,
        "assign_verifier",
        CASE,
        "Assign the verifier (who declares no conflict of interest)",
        "step 1: verification",
    ),
    CommandRoute(
        "verification",
        StartVerification,
        "start_verification",
        VERIFY,
        "Start verification (Step 1)",
        "step 1: verification",
    ),
    CommandRoute(
        "evidence",
        AttachEvidence,
        "attach_evidence",
        VERIFY,
        "Attach evidence metadata (hash, reliability, sensitivity)",
        "step 1: verification",
    ),
    CommandRoute(
        "supply-chain-links",
        RecordSupplyChainLink,
        "record_supply_chain_link",
        VERIFY,
        "Record a supply-chain link (smelter CID)",
        "step 1: verification",
    ),
    CommandRoute(
        "finding",
        RecordFinding,
        "record_finding",
        ("verifier",),
        "Record the verification finding",
        "step 1: verification",
    ),
    CommandRoute(
        "involvement",
        AssessInvolvement,
        "assess_involvement",
        CASE,
        "Assess involvement (causes / contributes / directly linked)",
        "step 2: response",
    ),
    CommandRoute(
        "leverage", AssessLeverage, "assess_leverage", CASE, "Assess leverage", "step 2: response"
    ),
    CommandRoute(
        "severity",
        AssessSeverity,
        "assess_severity",
        CASE,
        "Assess severity (scale, scope, irremediable character)",
        "step 2: response",
    ),
    CommandRoute(
        "response",
        DetermineResponse,
        "determine_response",
        CASE,
        "Determine the response types and level",
        "step 2: response",
    ),
    CommandRoute(
        "sourcing-decision",
        RecordSourcingDecision,
        "record_sourcing_decision",
        CASE,
        "Record the sourcing decision (separate from remediation)",
        "step 2: response",
    ),
    CommandRoute(
        "response-approval",
        ApproveResponseDetermination,
        "approve_response_determination",
        ("approver",),
        "Approve the response determination",
        "step 2: response",
    ),
    CommandRoute("hold", PutOnHold, "put_on_hold", CASE, "Put the incident on hold", "intake"),
    CommandRoute("resume", Resume, "resume", CASE, "Resume an incident on hold", "intake"),
]


def _check_duplicate_target(
    intake: IntakeHandlers, incident_id: UUID, body: LinkDuplicate, actor: Actor
) -> None:
    """The duplicated incident must exist for the same tenant (another tenant's is a 404);
    linking an incident to itself is the domain's to refuse."""
    if body.other_incident_id != incident_id:
        intake.require_incident(body.other_incident_id, actor.tenant)


def _command_endpoint(route: CommandRoute) -> Callable[..., JSONResponse]:
    body_model = route.body

    def endpoint(
        incident_id: UUID,
        body: body_model,  # type: ignore[valid-type]
        actor: Actor = Depends(require_roles(*route.roles)),
        expected: int | None = Depends(if_match),
        idempotency: IdempotencyRequest | None = Depends(idempotency_request),
        correlation: str | None = Depends(correlation_id),
        intake: IntakeHandlers = Depends(handlers),
    ) -> JSONResponse:
        context = request_context(actor, correlation)
        if isinstance(body, LinkDuplicate):
            _check_duplicate_target(intake, incident_id, body, actor)

        def decide(incident: Any) -> None:
            getattr(incident, route.method)(body, context.command)

        return to_json_response(
            intake.execute(incident_id, decide, context, if_match=expected, idempotency=idempotency)
        )

    endpoint.__name__ = route.method
    return endpoint


for _route in COMMAND_ROUTES:
    router.post(
        f"/incidents/{{incident_id}}/{_route.path}",
        response_model=CommandAccepted,
        summary=_route.summary,
        tags=[_route.tag],
        responses=problem_responses(401, 403, 404, 409, 412, 413, 422),
    )(_command_endpoint(_route))
