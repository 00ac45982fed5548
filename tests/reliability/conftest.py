"""Every service of ``remedium run`` (shared/cli.py's SERVICES, so a new service joins by itself)
under real uvicorn on the session's broker, shared by the reliability tests of this package, with
one incident walked through steps 1 to 5."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from shared.broker import LocalBroker
from shared.cli import SERVICES
from tests.monitoring.walkthrough import closed_incident
from tests.support.system import System, eventually, system_settings


def create_app_of(service: str):
    return importlib.import_module(SERVICES[service]).create_app


def services_with_apps() -> list[str]:
    """SERVICES whose module already composes an app (a service being written may not yet)."""
    return [s for s in SERVICES if hasattr(importlib.import_module(SERVICES[s]), "create_app")]


class Remembered(logging.Handler):
    """Every log line of the package's run, from the system's start, for the personal-data
    check."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="package")
def system_logs() -> Iterator[Remembered]:
    handler = Remembered()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # what a service logs in production, not only the warnings
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="package")
def system(
    tmp_path_factory: pytest.TempPathFactory, broker: LocalBroker, system_logs: Remembered
) -> Iterator[System]:
    settings = system_settings(tmp_path_factory.mktemp("reliability"), broker.bootstrap)
    running = System(settings)
    try:
        for service in services_with_apps():
            running.start(service, create_app_of(service))
        yield running
    finally:
        running.stop()


@dataclass(frozen=True)
class Walked:
    """A closed incident and the ids of the people and things in it."""

    ids: dict[str, str]

    @property
    def incident(self) -> str:
        return self.ids["incident"]


@pytest.fixture(scope="package")
def walked(system: System) -> Walked:
    """Closed in monitoring, then a lesson recorded in reporting once it has seen the closure:
    every service with a store of its own holds a stream of this incident."""
    ids = closed_incident(system)
    if "reporting" in system.services:
        reporting = system.client("reporting")
        schemas = system.services["reporting"].app.openapi()["components"]["schemas"]
        lesson = schemas["RecordLesson"]["examples"][0]
        eventually(
            lambda: (
                reporting.post(f"/v1/incidents/{ids['incident']}/lessons", json=lesson).status_code
                == 201
            ),
            timeout_s=45,
        )
        for _ in range(2):  # three events: enough to alter, delete and reorder one
            assert (
                reporting.post(f"/v1/incidents/{ids['incident']}/lessons", json=lesson).status_code
                == 201
            )
    if "feed" in system.services:
        subscribe_and_park(system)
    return Walked(ids)


def subscribe_and_park(system: System) -> None:
    """A webhook subscription registered, paused, resumed and paused again: a feed stream of
    four events, and no delivery attempts while the other tests run."""
    feed = system.client("feed", "admin")
    created = feed.post("/v1/feed/subscriptions", json={"url": "http://127.0.0.1:9/hook"})
    assert created.status_code == 201, created.text
    base = f"/v1/feed/subscriptions/{created.json()['subscription_id']}"
    for step in ("pause", "resume", "pause"):
        assert feed.post(f"{base}/{step}").status_code == 200
