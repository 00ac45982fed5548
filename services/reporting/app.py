"""Reporting service composition: lessons learned, the projections of every service's events,
the dashboard page, and the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.api import pages, router
from services.reporting.domain import registry
from services.reporting.handlers import ReportingHandlers
from services.reporting.projections import IncidentRegister
from shared.app import ServiceDefinition, create_service_app
from shared.settings import Settings

definition = ServiceDefinition(
    name="reporting",
    title="Remedium reporting",
    description=(
        "Step 6 of IOM's remediation process (lessons learned) and the read side: the incident "
        "register, the full audit trail across services with time travel, the smelter view, "
        "KPIs with small-cell suppression, exports, the evidence pack and the dashboard."
    ),
    registry=registry,
    routers=[router, pages],
    build_handlers=ReportingHandlers,
    projections=lambda runtime: [IncidentRegister()],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(definition, settings)
