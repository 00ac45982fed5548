"""Intake service composition: its definition for the shared app factory, and the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.api import router
from services.intake.domain.events import registry
from services.intake.handlers import IntakeHandlers
from shared.app import ServiceDefinition, create_service_app
from shared.settings import Settings

definition = ServiceDefinition(
    name="intake",
    title="Remedium intake",
    description=(
        "Allegations of forced labour, child labour and trafficking in mineral supply chains: "
        "intake, Step 1 (verify the allegation) and Step 2 (determine the type and level of "
        "response) of IOM's remediation process."
    ),
    registry=registry,
    routers=[router],
    build_handlers=IntakeHandlers,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(definition, settings)
