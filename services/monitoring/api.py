"""Monitoring's HTTP API (Steps 4-5): actions as providers and monitors report on them,
overdue work, monitoring visits and indicators, safety and retaliation, closure with four eyes,
appeals and reopening. Commands answer with the new version as ``ETag``."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from services.monitoring.domain import (
    ApproveClosure,
    BlockAction,
    CancelAction,
    CompleteAction,
    EscalateSupplier,
    MeasureIndicator,
    ProposeClosure,
    RaiseSafetyConcern,
    ReceiveAppeal,
    RecordChildCaseOutcome,
    RecordMonitoringVisit,
    RecordOutcomeCommunicated,
    RejectClosure,
    ReopenIncident,
    ReportProgress,
    ReportRetaliation,
    ResolveSafetyConcern,
    StartAction,
    UnblockAction,
)
from services.monitoring.handlers import MonitoringHandlers
from shared.domain import Actor
from shared.http import require_roles
from shared.problems import problem_responses
from shared.routes import Caller, add_events_route, caller

router = APIRouter(prefix="/v1")
DELIVER = ("provider", "case_manager", "monitor")
CASE = ("case_manager",)
SAFETY = ("case_manager", "provider", "monitor", "verifier")
READERS = ("case_manager", "provider", "monitor", "approver", "auditor")
PROBLEMS = problem_responses(401, 403, 404, 409, 412, 413, 422)
Who = Caller[MonitoringHandlers]


def handlers(request: Request) -> MonitoringHandlers:
    result: MonitoringHandlers = request.app.state.runtime.handlers
    return result


def _delivering(who: Who, incident_id: UUID) -> None:
    who.handlers.require_not_on_hold(incident_id, who.tenant)


# --- step 4: actions --------------------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/actions/{action_id}/start",
    tags=["step 4: actions"],
    summary="Start an action (the first one moves the incident to implementing)",
    responses=PROBLEMS,
)
def start_action(
    incident_id: UUID, action_id: UUID, body: StartAction, who: Who = caller(*DELIVER)
) -> JSONResponse:
    _delivering(who, incident_id)
    return who.run(incident_id, lambda i: i.start_action(action_id, body, who.context.command))


@router.post(
    "/incidents/{incident_id}/actions/{action_id}/progress",
    tags=["step 4: actions"],
    summary="Report progress on an action",
    responses=PROBLEMS,
)
def report_progress(
    incident_id: UUID, action_id: UUID, body: ReportProgress, who: Who = caller(*DELIVER)
) -> JSONResponse:
    _delivering(who, incident_id)
    return who.run(incident_id, lambda i: i.report_progress(action_id, body, who.context.command))


@router.post(
    "/incidents/{incident_id}/actions/{action_id}/block",
    tags=["step 4: actions"],
    summary="Report that an action is blocked",
    responses=PROBLEMS,
)
def block_action(
    incident_id: UUID, action_id: UUID, body: BlockAction, who: Who = caller(*DELIVER)
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.block_action(action_id, body, who.context.command))


@router.post(
    "/incidents/{incident_id}/actions/{action_id}/unblock",
    tags=["step 4: actions"],
    summary="Report that a blocked action can go on",
    responses=PROBLEMS,
)
def unblock_action(
    incident_id: UUID, action_id: UUID, body: UnblockAction, who: Who = caller(*DELIVER)
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.unblock_action(action_id, body, who.context.command))


@router.post(
    "/incidents/{incident_id}/actions/{action_id}/completion",
    tags=["step 4: actions"],
    summary="Complete an action with evidence",
    responses=PROBLEMS,
)
def complete_action(
    incident_id: UUID, action_id: UUID, body: CompleteAction, who: Who = caller(*DELIVER)
) -> JSONResponse:
    _delivering(who, incident_id)
    return who.run(incident_id, lambda i: i.complete_action(action_id, body, who.context.command))


@router.post(
    "/incidents/{incident_id}/actions/{action_id}/cancellation",
    tags=["step 4: actions"],
    summary="Cancel an action, with a reason",
    responses=PROBLEMS,
)
def cancel_action(
    incident_id: UUID, action_id: UUID, body: CancelAction, who: Who = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.cancel_action(action_id, body, who.context.command))


# --- step 4: monitoring and safety ----------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/monitoring-visits",
    status_code=201,
    tags=["step 4: monitoring"],
    summary="Record a monitoring visit or report",
    responses=PROBLEMS,
)
def record_monitoring_visit(
    incident_id: UUID, body: RecordMonitoringVisit, who: Who = caller("monitor", "case_manager")
) -> JSONResponse:
    report_id = uuid.uuid4()
    return who.run(
        incident_id,
        lambda i: i.record_monitoring_visit(body, who.context.command, report_id=report_id),
        created=("report_id", report_id),
    )


@router.post(
    "/incidents/{incident_id}/indicators",
    tags=["step 4: monitoring"],
    summary="Record an indicator value (baseline, target, value)",
    responses=PROBLEMS,
)
def measure_indicator(
    incident_id: UUID,
    body: MeasureIndicator,
    who: Who = caller("monitor", "provider", "case_manager"),
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.measure_indicator(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/safety-concerns",
    status_code=201,
    tags=["safety"],
    summary="Raise a safety concern: priority handling, exposing actions suspended",
    responses=PROBLEMS,
)
def raise_safety_concern(
    incident_id: UUID, body: RaiseSafetyConcern, who: Who = caller(*SAFETY)
) -> JSONResponse:
    concern_id = uuid.uuid4()
    return who.run(
        incident_id,
        lambda i: i.raise_safety_concern(body, who.context.command, concern_id=concern_id),
        created=("concern_id", concern_id),
    )


@router.post(
    "/incidents/{incident_id}/safety-concerns/{concern_id}/resolution",
    tags=["safety"],
    summary="Resolve a safety concern: suspended actions resume",
    responses=PROBLEMS,
)
def resolve_safety_concern(
    incident_id: UUID, concern_id: UUID, body: ResolveSafetyConcern, who: Who = caller(*CASE)
) -> JSONResponse:
    return who.run(
        incident_id, lambda i: i.resolve_safety_concern(concern_id, body, who.context.command)
    )


@router.post(
    "/incidents/{incident_id}/retaliation-reports",
    status_code=201,
    tags=["safety"],
    summary="Report retaliation (reopens a closed incident)",
    responses=PROBLEMS,
)
def report_retaliation(
    incident_id: UUID, body: ReportRetaliation, who: Who = caller(*SAFETY)
) -> JSONResponse:
    report_id = uuid.uuid4()
    return who.run(
        incident_id,
        lambda i: i.report_retaliation(body, who.context.command, report_id=report_id),
        created=("report_id", report_id),
    )


@router.post(
    "/incidents/{incident_id}/supplier-escalations",
    tags=["step 4: monitoring"],
    summary="Escalate an uncooperative supplier",
    responses=PROBLEMS,
)
def escalate_supplier(
    incident_id: UUID, body: EscalateSupplier, who: Who = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.escalate_supplier(body, who.context.command))


# --- step 5: closure ------------------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/closure-proposal",
    tags=["step 5: closure"],
    summary="Propose closure (every action completed or cancelled, final report)",
    responses=PROBLEMS,
)
def propose_closure(
    incident_id: UUID, body: ProposeClosure, who: Who = caller(*CASE)
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.propose_closure(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/outcome-communication",
    tags=["step 5: closure"],
    summary="Record that the victim was told the outcome (or why that was impossible)",
    responses=PROBLEMS,
)
def record_outcome_communicated(
    incident_id: UUID,
    body: RecordOutcomeCommunicated,
    who: Who = caller("case_manager", "provider"),
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.record_outcome_communicated(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/victims/{victim_id}/child-outcome",
    tags=["step 5: closure"],
    summary="Record a child's outcome: goal reached or handed to child protection",
    responses=PROBLEMS,
)
def record_child_case_outcome(
    incident_id: UUID, victim_id: UUID, body: RecordChildCaseOutcome, who: Who = caller(*CASE)
) -> JSONResponse:
    return who.run(
        incident_id, lambda i: i.record_child_case_outcome(victim_id, body, who.context.command)
    )


@router.post(
    "/incidents/{incident_id}/closure-approval",
    tags=["step 5: closure"],
    summary="Approve closure (four eyes: never the proposer)",
    responses=PROBLEMS,
)
def approve_closure(
    incident_id: UUID, body: ApproveClosure, who: Who = caller("approver")
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.approve_closure(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/closure-rejection",
    tags=["step 5: closure"],
    summary="Reject the proposed closure (back to implementing)",
    responses=PROBLEMS,
)
def reject_closure(
    incident_id: UUID, body: RejectClosure, who: Who = caller("approver")
) -> JSONResponse:
    return who.run(incident_id, lambda i: i.reject_closure(body, who.context.command))


@router.post(
    "/incidents/{incident_id}/appeals",
    status_code=201,
    tags=["step 5: closure"],
    summary="Receive an appeal against the closure",
    responses=PROBLEMS,
)
def receive_appeal(
    incident_id: UUID, body: ReceiveAppeal, who: Who = caller(*CASE)
) -> JSONResponse:
    appeal_id = uuid.uuid4()
    return who.run(
        incident_id,
        lambda i: i.receive_appeal(body, who.context.command, appeal_id=appeal_id),
        created=("appeal_id", appeal_id),
    )


@router.post(
    "/incidents/{incident_id}/reopening",
    tags=["step 5: closure"],
    summary="Reopen a closed incident (new evidence, recurrence, appeal, retaliation)",
    responses=PROBLEMS,
)
def reopen(incident_id: UUID, body: ReopenIncident, who: Who = caller(*CASE)) -> JSONResponse:
    who.handlers.require_known_incident(body.related_incident_id, who.tenant)
    return who.run(incident_id, lambda i: i.reopen(body, who.context.command))


# --- queries --------------------------------------------------------------------------------
@router.get(
    "/incidents/{incident_id}/implementation",
    tags=["step 4: actions"],
    summary="The implementation as monitoring knows it, with what blocks closure",
    responses=problem_responses(401, 403, 404),
)
def implementation(
    incident_id: UUID,
    response: Response,
    actor: Actor = Depends(require_roles(*READERS)),
    monitoring: MonitoringHandlers = Depends(handlers),
) -> dict[str, Any]:
    view, version = monitoring.implementation_view(incident_id, actor.tenant)
    response.headers["ETag"] = f'"{version}"'
    return view


add_events_route(
    router,
    "/incidents/{incident_id}/implementation/events",
    name="implementation_events",
    summary="Monitoring's events of this incident (CloudEvents, with the hash chain)",
    tags=["step 4: actions"],
)


@router.get(
    "/overdue",
    tags=["step 4: actions"],
    summary="Overdue work, per owner organisation",
    responses=problem_responses(401, 403),
)
def overdue(
    owner_org: str | None = None,
    actor: Actor = Depends(require_roles(*READERS)),
    monitoring: MonitoringHandlers = Depends(handlers),
) -> list[dict[str, Any]]:
    return monitoring.overdue_by_owner(actor.tenant, owner_org)


@router.get(
    "/actions",
    tags=["step 4: actions"],
    summary="The action board, by due date",
    responses=problem_responses(401, 403),
)
def actions(
    status: str | None = None,
    owner_org: str | None = None,
    actor: Actor = Depends(require_roles(*READERS)),
    monitoring: MonitoringHandlers = Depends(handlers),
) -> list[dict[str, Any]]:
    return monitoring.actions(actor.tenant, status, owner_org)
