"""Helpers of the reporting tests: incidents walked through the real services, and waiting
until reporting's projections (built only from the topics) have caught up with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.monitoring.handlers import MonitoringHandlers
from tests.intake.walkthrough import ok
from tests.monitoring.walkthrough import adopted_incident
from tests.support.system import System, eventually

EVENT_SOURCES = {
    "intake": "/v1/incidents/{id}/events",
    "plan": "/v1/incidents/{id}/plan/events",
    "monitoring": "/v1/incidents/{id}/implementation/events",
    "reporting": "/v1/incidents/{id}/lessons/events",
}


def events_of(system: System, incident: str) -> list[dict[str, Any]]:
    """The incident's events as each service stored them (none yet is an empty list)."""
    events: list[dict[str, Any]] = []
    for service, path in EVENT_SOURCES.items():
        response = system.client(service, "auditor").get(path.format(id=incident))
        if response.status_code != 404:
            events += ok(response)
    return events


def caught_up(system: System, incident: str) -> list[dict[str, Any]]:
    """Reporting's timeline once it holds every event that every service stored."""
    expected = {e["id"] for e in events_of(system, incident)}
    reporting = system.client("reporting", "auditor")

    def complete() -> list[dict[str, Any]] | None:
        response = reporting.get(f"/v1/incidents/{incident}/timeline")
        if response.status_code == 404:
            return None
        timeline: list[dict[str, Any]] = ok(response)  # type: ignore[assignment]
        return timeline if {e["id"] for e in timeline} == expected else None

    return list(eventually(complete, timeout_s=60))


def registered(system: System, incident: str, status: str) -> dict[str, Any]:
    """The register entry once reporting has seen the incident reach ``status``."""
    reader = system.client("reporting", "case_manager")

    def seen() -> dict[str, Any] | None:
        response = reader.get(f"/v1/incidents/{incident}/state")
        entry: dict[str, Any] | None = response.json() if response.status_code == 200 else None
        return entry if entry is not None and entry["status"] == status else None

    return dict(eventually(seen, timeout_s=60))


def overdue_incident(system: System) -> dict[str, str]:
    """An adopted plan whose two actions monitoring's deadline scheduler has flagged overdue.

    Plan refuses due dates in the past, so the scheduler's own check runs with a clock moved
    past the deadlines (the ticker in the running service would do the same on that day)."""
    ids = adopted_incident(system)
    monitoring: MonitoringHandlers = system.services["monitoring"].app.state.runtime.handlers
    monitoring.flag_overdue(now=datetime.now(UTC) + timedelta(days=120))
    # the shared topics also bring other tests' plans (other tenants): look at this one only
    board = ok(system.client("monitoring").get("/v1/actions"))
    assert [a["overdue"] for a in board if a["incident_id"] == ids["incident"]] == [True, True]
    return ids
