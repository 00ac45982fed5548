"""Many concurrent writers on one plan and one implementation: every 2xx is exactly one more
event (no lost update), losers get 409, and a writer holding a stale ETag gets 412."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.monitoring.walkthrough import implementing_incident, visit_body
from tests.reliability.conftest import Walked
from tests.support.system import System

WRITERS = 8


Body = Callable[[], dict[str, Any]]


def race(clients: list[httpx.Client], path: str, body: Body) -> list[int]:
    """Every writer sends its own valid command at once: a 409 can only be the race."""
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def write(client: httpx.Client, command: dict[str, Any]) -> None:
        start.wait()
        statuses.append(client.post(path, json=command).status_code)

    threads = [threading.Thread(target=write, args=(c, body())) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def assert_no_lost_update(system: System, service: str, path: str, body: Body, events: str) -> None:
    reader = system.client(service, "auditor")
    before = len(reader.get(events).json())
    statuses = race([system.client(service) for _ in range(WRITERS)], path, body)
    assert set(statuses) <= {200, 201, 409} and {200, 201} & set(statuses), statuses
    won = sum(s in (200, 201) for s in statuses)
    assert len(reader.get(events).json()) == before + won, statuses


def assert_stale_etag_gets_412(system: System, service: str, path: str, body: Body) -> None:
    client = system.client(service)
    first = client.post(path, json=body())
    assert first.status_code in (200, 201), first.text
    stale = str(int(first.headers["ETag"].strip('"')) - 1)
    refused = client.post(path, json=body(), headers={"If-Match": f'"{stale}"'})
    assert refused.status_code == 412, refused.text


def test_plan_writers_race_without_lost_updates(system: System, walked: Walked) -> None:
    incident = walked.incident

    def grant() -> dict[str, Any]:
        return {"subject": f"caseworker-{uuid.uuid4().hex[:8]}"}

    path = f"/v1/incidents/{incident}/need-to-know"
    events = f"/v1/incidents/{incident}/plan/events"
    assert_no_lost_update(system, "plan", path, grant, events)
    assert_stale_etag_gets_412(system, "plan", path, grant)


def test_monitoring_writers_race_without_lost_updates(system: System) -> None:
    incident = implementing_incident(system)["incident"]
    path = f"/v1/incidents/{incident}/monitoring-visits"
    events = f"/v1/incidents/{incident}/implementation/events"
    assert_no_lost_update(system, "monitoring", path, visit_body, events)
    assert_stale_etag_gets_412(system, "monitoring", path, visit_body)
