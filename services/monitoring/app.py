"""Monitoring service composition: definition for the app factory, projections, the deadline
scheduler, and the ASGI app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from services.monitoring.api import router
from services.monitoring.domain import registry
from services.monitoring.handlers import MonitoringHandlers, refresh_board
from services.monitoring.projections import PlanAdoption
from shared.app import ServiceDefinition, ServiceRuntime, create_service_app
from shared.incident_directory import IncidentDirectory
from shared.settings import Settings
from shared.ticker import Ticker

Clock = Callable[[], datetime]
"""What time the deadline scheduler believes it is (aware, UTC)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def deadline_scheduler(clock: Clock) -> Callable[[ServiceRuntime], list[Ticker]]:
    """The scheduler asks ``clock`` for the time at every run: the wall clock in production; a
    test moves it past a due date to see what the real scheduler does on the next day."""

    def tickers(runtime: ServiceRuntime) -> list[Ticker]:
        monitoring: MonitoringHandlers = runtime.handlers
        return [
            Ticker(
                "deadline-scheduler",
                runtime.settings.deadline_check_interval_s,
                lambda: monitoring.flag_overdue(clock()),
            )
        ]

    return tickers


def service_definition(clock: Clock = system_clock) -> ServiceDefinition:
    return ServiceDefinition(
        name="monitoring",
        title="Remedium monitoring",
        description=(
            "Steps 4 and 5 of IOM's remediation process: implementing and monitoring the approved "
            "plan (actions, deadlines, visits, indicators, safety concerns, retaliation) and "
            "closing the incident, with appeals and reopening."
        ),
        registry=registry,
        routers=[router],
        build_handlers=MonitoringHandlers,
        projections=lambda runtime: [
            IncidentDirectory(),
            PlanAdoption(runtime.store, refresh_board),
        ],
        tickers=deadline_scheduler(clock),
    )


definition = service_definition()


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    return create_service_app(service_definition(clock), settings)
