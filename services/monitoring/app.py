"""Monitoring service composition: definition for the app factory, projections, the deadline
scheduler, and the ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.monitoring.api import router
from services.monitoring.domain import registry
from services.monitoring.handlers import MonitoringHandlers, refresh_board
from services.monitoring.projections import PlanAdoption
from shared.app import ServiceDefinition, ServiceRuntime, create_service_app
from shared.incident_directory import IncidentDirectory
from shared.settings import Settings
from shared.ticker import Ticker


def _deadline_scheduler(runtime: ServiceRuntime) -> list[Ticker]:
    monitoring: MonitoringHandlers = runtime.handlers
    return [
        Ticker(
            "deadline-scheduler",
            runtime.settings.deadline_check_interval_s,
            monitoring.flag_overdue,
        )
    ]


definition = ServiceDefinition(
    name="monitoring",
    title="Remedium monitoring",
    description=(
        "Steps 4 and 5 of IOM's remediation process: implementing and monitoring the approved "
        "plan (actions, deadlines, visits, indicators, safety concerns, retaliation) and closing "
        "the incident, with appeals and reopening."
    ),
    registry=registry,
    routers=[router],
    build_handlers=MonitoringHandlers,
    projections=lambda runtime: [IncidentDirectory(), PlanAdoption(runtime.store, refresh_board)],
    tickers=_deadline_scheduler,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(definition, settings)
