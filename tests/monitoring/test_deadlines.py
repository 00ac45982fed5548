"""The deadline scheduler through the real service: ActionOverdue once per action and due date,
also across restarts of the service on the same database, and the overdue list per owner.

Plan refuses a due date in the past, so the action is due today and the scheduler's clock is moved
to the next days; everything else (ticker, handlers, store, broker) is the real service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.intake.app import create_app as create_intake
from services.monitoring.app import create_app
from services.plan.app import create_app as create_plan
from shared.broker import LocalBroker
from shared.settings import Settings
from tests.intake.walkthrough import ok
from tests.monitoring.test_api import topic_events
from tests.monitoring.walkthrough import adopted_incident
from tests.support.servers import RunningService
from tests.support.system import System, eventually, system_settings

OWNER = "example-electronics"


class MovableClock:
    """The wall clock, shifted by whole days as the test says."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, days: int) -> None:
        self.shift += timedelta(days=days)


def monitoring_with(clock: MovableClock) -> Callable[[Settings], Any]:
    def create(settings: Settings) -> Any:
        fast = settings.model_copy(update={"deadline_check_interval_s": 0.1})
        return create_app(fast, clock=clock.now)

    return create


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def system(tmp_path: Path, broker: LocalBroker, clock: MovableClock) -> Iterator[System]:
    """Intake, plan, and monitoring whose deadline scheduler runs every 0.1 s on ``clock``."""
    running = System(system_settings(tmp_path, broker.bootstrap))
    try:
        running.start("intake", create_intake)
        running.start("plan", create_plan)
        running.start("monitoring", monitoring_with(clock))
        yield running
    finally:
        running.stop()


def restart(system: System, clock: MovableClock) -> RunningService:
    """Stop monitoring and start a new app on the same SQLite file and consumer groups."""
    system.services["monitoring"].stop()
    return system.start("monitoring", monitoring_with(clock))


def scheduler_runs(service: RunningService) -> int:
    return int(service.app.state.runtime.tickers[0].runs)


def wait_for_runs(service: RunningService, more: int) -> None:
    target = scheduler_runs(service) + more
    eventually(lambda: scheduler_runs(service) >= target)


def overdue_events(system: System, incident: str) -> list[dict[str, Any]]:
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    return [e for e in trail if str(e["type"]).endswith(".ActionOverdue.v1")]


def test_overdue_action_found_after_a_restart_is_flagged_once(
    system: System, clock: MovableClock
) -> None:
    service = system.services["monitoring"]
    ids = adopted_incident(system, schooling_due=clock.now().date())
    incident, schooling = ids["incident"], ids["schooling"]
    wait_for_runs(service, 3)
    assert overdue_events(system, incident) == []  # due today is not overdue yet

    clock.advance(1)
    service = restart(system, clock)
    [flagged] = eventually(lambda: overdue_events(system, incident))
    assert flagged["data"]["action_id"] == schooling
    assert flagged["data"]["due_date"] == (clock.now() - timedelta(days=1)).date().isoformat()
    assert flagged["data"]["owner_org"] == OWNER
    assert flagged["actor"] == "system:deadline-scheduler"

    def owner_list() -> list[dict[str, Any]]:
        monitoring = system.client("monitoring", "monitor")  # the running app's port
        return ok(monitoring.get("/v1/overdue", params={"owner_org": OWNER}))

    [owner] = owner_list()
    assert owner["owner_org"] == OWNER
    assert [(a["incident_id"], a["action_id"]) for a in owner["actions"]] == [
        (incident, schooling)
    ]  # the removal action is due in 90 days

    clock.advance(1)
    service = restart(system, clock)
    wait_for_runs(service, 5)
    assert len(overdue_events(system, incident)) == 1
    assert [a["action_id"] for a in owner_list()[0]["actions"]] == [schooling]
    published = topic_events(system.settings.kafka_bootstrap, incident, expected=2)
    assert published.count("ActionOverdue") == 1


def test_a_suspended_action_is_neither_flagged_nor_listed_as_overdue(
    system: System, clock: MovableClock
) -> None:
    service = system.services["monitoring"]
    ids = adopted_incident(system, schooling_due=clock.now().date())
    incident, schooling = ids["incident"], ids["schooling"]
    cm = system.client("monitoring")

    def suspend() -> str:
        body = {"kind": "identity_exposed", "severity": "high", "suspend_action_ids": [schooling]}
        response = cm.post(f"/v1/incidents/{incident}/safety-concerns", json=body)
        return str(ok(response, 201)["concern_id"])

    def resolve(concern: str) -> None:
        ok(
            cm.post(
                f"/v1/incidents/{incident}/safety-concerns/{concern}/resolution",
                json={"resolution": "The school moved the child's records to a safe office."},
            )
        )

    def listed() -> list[str]:
        return [a["action_id"] for o in ok(cm.get("/v1/overdue")) for a in o["actions"]]

    concern = suspend()
    clock.advance(3)
    wait_for_runs(service, 5)
    assert overdue_events(system, incident) == [] and listed() == []

    resolve(concern)
    [flagged] = eventually(lambda: overdue_events(system, incident))
    assert flagged["data"]["action_id"] == schooling and listed() == [schooling]

    concern = suspend()
    assert listed() == []  # a suspension for safety must not nag the owner
    resolve(concern)
    assert listed() == [schooling]
    wait_for_runs(service, 5)
    assert len(overdue_events(system, incident)) == 1
