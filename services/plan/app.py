"""Plan service composition: its definition for the shared app factory, and the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.plan.api import router
from services.plan.domain import registry
from services.plan.handlers import PlanHandlers
from shared.app import ServiceDefinition, create_service_app
from shared.incident_directory import IncidentDirectory
from shared.settings import Settings

definition = ServiceDefinition(
    name="plan",
    title="Remedium plan",
    description=(
        "Step 3 of IOM's remediation process: victims (pseudonymous, identities in an encrypted "
        "vault), guardians, consent, needs assessments and the remediation action plan with "
        "four-eyes approval."
    ),
    registry=registry,
    routers=[router],
    build_handlers=PlanHandlers,
    projections=lambda runtime: [IncidentDirectory()],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(definition, settings)
