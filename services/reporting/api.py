"""Reporting's HTTP API: lessons learned (Step 6), the incident register with filters, the full
audit trail across services (and the incident as of any past time), the smelter view, KPIs,
CSV exports, the evidence pack and the dashboard page."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from services.reporting.domain import CaptureLessons, RecordLesson, RequestDueDiligenceUpdate
from services.reporting.handlers import RegisterFilters, ReportingHandlers, entry_view
from shared.domain import Actor
from shared.http import require_roles
from shared.problems import problem_responses
from shared.routes import Caller, add_events_route, caller


class CSVResponse(PlainTextResponse):
    """CSV exports, documented as ``text/csv`` in the OpenAPI spec too."""

    media_type = "text/csv"


router = APIRouter(prefix="/v1")
pages = APIRouter(tags=["dashboard"])
CASE_READERS = ("case_manager", "auditor", "approver", "monitor")
AGGREGATES = ("analyst", "case_manager", "auditor", "approver", "monitor")
AUDIT = ("auditor", "case_manager")
PROBLEMS = problem_responses(401, 403, 404, 409, 412, 413, 422)
DASHBOARD = Path(__file__).with_name("dashboard.html")
Who = Caller[ReportingHandlers]


def handlers(request: Request) -> ReportingHandlers:
    result: ReportingHandlers = request.app.state.runtime.handlers
    return result


# --- step 6: lessons learned ----------------------------------------------------------------
@router.post(
    "/incidents/{incident_id}/lessons",
    status_code=201,
    tags=["step 6: lessons"],
    summary="Record a lesson learned (root cause, due-diligence gap, ...)",
    responses=PROBLEMS,
)
def record_lesson(
    incident_id: UUID, body: RecordLesson, who: Who = caller("case_manager")
) -> JSONResponse:
    status = who.handlers.incident_status(incident_id, who.tenant)
    lesson_id = uuid.uuid4()
    return who.run(
        incident_id,
        lambda lessons: lessons.record_lesson(
            body, who.context.command, lesson_id=lesson_id, incident_status=status
        ),
        created=("lesson_id", lesson_id),
    )


@router.post(
    "/incidents/{incident_id}/due-diligence-updates",
    tags=["step 6: lessons"],
    summary="Request an update of the supplier code, contracts or risk assessment",
    responses=PROBLEMS,
)
def request_due_diligence_update(
    incident_id: UUID, body: RequestDueDiligenceUpdate, who: Who = caller("case_manager")
) -> JSONResponse:
    status = who.handlers.incident_status(incident_id, who.tenant)
    return who.run(
        incident_id,
        lambda lessons: lessons.request_due_diligence_update(
            body, who.context.command, incident_status=status
        ),
    )


@router.post(
    "/incidents/{incident_id}/lessons-captured",
    tags=["step 6: lessons"],
    summary="Close Step 6: at least one lesson, or why there is none",
    responses=PROBLEMS,
)
def capture_lessons(
    incident_id: UUID, body: CaptureLessons, who: Who = caller("case_manager")
) -> JSONResponse:
    status = who.handlers.incident_status(incident_id, who.tenant)
    return who.run(
        incident_id,
        lambda lessons: lessons.capture(body, who.context.command, incident_status=status),
    )


@router.get(
    "/incidents/{incident_id}/lessons",
    tags=["step 6: lessons"],
    summary="The incident's lessons, due-diligence updates, and whether Step 6 is done",
    responses=problem_responses(401, 403, 404),
)
def lessons(
    incident_id: UUID,
    actor: Actor = Depends(require_roles(*CASE_READERS)),
    reporting: ReportingHandlers = Depends(handlers),
) -> dict[str, Any]:
    return reporting.lessons(incident_id, actor.tenant)


add_events_route(
    router,
    "/incidents/{incident_id}/lessons/events",
    name="lesson_events",
    summary="Reporting's own events of this incident (CloudEvents, with the hash chain)",
    tags=["audit"],
    roles=AUDIT,
)


# --- the register and the audit trail ---------------------------------------------------------
def register_filters(
    status: str | None = None,
    step: Annotated[int | None, Query(ge=1, le=6)] = None,
    mineral: str | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
    smelter_cid: Annotated[str | None, Query(pattern=r"^CID\d{6}$")] = None,
    severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    overdue: bool | None = None,
) -> RegisterFilters:
    return RegisterFilters(status, step, mineral, country, smelter_cid, severity, overdue)


@router.get(
    "/register",
    tags=["register"],
    summary="The incident register, with filters",
    responses=problem_responses(401, 403, 422),
)
def incident_register(
    filters: RegisterFilters = Depends(register_filters),
    actor: Actor = Depends(require_roles(*CASE_READERS)),
    reporting: ReportingHandlers = Depends(handlers),
) -> list[dict[str, Any]]:
    return [entry_view(e) for e in reporting.entries(actor.tenant, filters)]


@router.get(
    "/register.csv",
    tags=["exports"],
    summary="The register as CSV",
    response_class=CSVResponse,
    responses=problem_responses(401, 403, 422),
)
def register_csv(
    filters: RegisterFilters = Depends(register_filters),
    actor: Actor = Depends(require_roles(*CASE_READERS)),
    reporting: ReportingHandlers = Depends(handlers),
) -> CSVResponse:
    return CSVResponse(
        reporting.register_csv(actor.tenant, filters),
        headers={"Content-Disposition": 'attachment; filename="register.csv"'},
    )


@router.get(
    "/incidents/{incident_id}/timeline",
    tags=["audit"],
    summary="The full audit trail of the incident across every service, in order",
    responses=problem_responses(401, 403, 404),
)
def incident_timeline(
    incident_id: UUID,
    actor: Actor = Depends(require_roles(*AUDIT)),
    reporting: ReportingHandlers = Depends(handlers),
) -> list[dict[str, Any]]:
    return [e.to_structured() for e in reporting.timeline(incident_id, actor.tenant)]


@router.get(
    "/incidents/{incident_id}/state",
    tags=["audit"],
    summary="The incident as it was at a past time (`?at=`), or now",
    responses=problem_responses(401, 403, 404, 422),
)
def incident_state(
    incident_id: UUID,
    at: datetime | None = None,
    actor: Actor = Depends(require_roles(*CASE_READERS)),
    reporting: ReportingHandlers = Depends(handlers),
) -> dict[str, Any]:
    if at is None:
        return entry_view(reporting.entry(incident_id, actor.tenant))
    return reporting.state_at(incident_id, actor.tenant, at)


@router.get(
    "/incidents/{incident_id}/verification",
    tags=["audit"],
    summary="Verify the hash chains of the incident's events in every service",
    responses=problem_responses(401, 403, 404),
)
def verify_incident(
    incident_id: UUID,
    actor: Actor = Depends(require_roles(*AUDIT)),
    reporting: ReportingHandlers = Depends(handlers),
) -> dict[str, Any]:
    return reporting.verify(incident_id, actor.tenant)


@router.get(
    "/incidents/{incident_id}/evidence-pack",
    tags=["exports"],
    summary="Evidence pack: every event and its hash chain, verifiable offline",
    description="Verify offline with `remedium verify-pack pack.json`.",
    responses=problem_responses(401, 403, 404),
)
def evidence_pack(
    incident_id: UUID,
    actor: Actor = Depends(require_roles(*AUDIT)),
    reporting: ReportingHandlers = Depends(handlers),
) -> dict[str, Any]:
    return reporting.evidence_pack(incident_id, actor.tenant)


# --- aggregates -------------------------------------------------------------------------------
@router.get(
    "/smelters",
    tags=["aggregates"],
    summary="Incidents per smelter (CID) and recurrence",
    responses=problem_responses(401, 403),
)
def smelters(
    actor: Actor = Depends(require_roles(*AGGREGATES)),
    reporting: ReportingHandlers = Depends(handlers),
) -> list[dict[str, Any]]:
    return reporting.smelters(actor.tenant)


@router.get(
    "/kpis",
    tags=["aggregates"],
    summary="KPIs: time to verify / plan / close, actions on time, victims assisted",
    description='Counts of people below 5 are shown as "<5" (small-cell suppression).',
    responses=problem_responses(401, 403),
)
def kpis(
    actor: Actor = Depends(require_roles(*AGGREGATES)),
    reporting: ReportingHandlers = Depends(handlers),
) -> dict[str, Any]:
    return reporting.kpis(actor.tenant)


@router.get(
    "/kpis.csv",
    tags=["exports"],
    summary="The KPIs as CSV",
    response_class=CSVResponse,
    responses=problem_responses(401, 403),
)
def kpis_csv(
    actor: Actor = Depends(require_roles(*AGGREGATES)),
    reporting: ReportingHandlers = Depends(handlers),
) -> CSVResponse:
    return CSVResponse(
        reporting.kpis_csv(actor.tenant),
        headers={"Content-Disposition": 'attachment; filename="kpis.csv"'},
    )


@router.get(
    "/dashboard",
    tags=["dashboard"],
    summary="The data behind the dashboard's charts",
    responses=problem_responses(401, 403),
)
def dashboard_data(
    actor: Actor = Depends(require_roles(*AGGREGATES)),
    reporting: ReportingHandlers = Depends(handlers),
) -> dict[str, Any]:
    return reporting.dashboard(actor.tenant)


@pages.get(
    "/dashboard",
    response_class=HTMLResponse,
    summary="The dashboard page",
    description="Open `/dashboard` and enter an API key (analyst, auditor, case manager, "
    "approver or monitor): the key stays in the tab's session storage and the page fetches "
    "`v1/dashboard` with it, then draws the charts itself (inline SVG, no external assets).",
)
def dashboard_page() -> HTMLResponse:
    return HTMLResponse(DASHBOARD.read_text())
