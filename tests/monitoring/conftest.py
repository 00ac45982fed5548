"""Intake, plan and monitoring running together on the real broker: monitoring learns about
incidents and approved plans only from intake's and plan's events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.intake.app import create_app as create_intake
from services.monitoring.app import create_app as create_monitoring
from services.plan.app import create_app as create_plan
from shared.broker import LocalBroker
from tests.support.system import System, system_settings


@pytest.fixture
def system(tmp_path: Path, broker: LocalBroker) -> Iterator[System]:
    settings = system_settings(tmp_path, broker.bootstrap)
    running = System(settings)
    try:
        running.start("intake", create_intake)
        running.start("plan", create_plan)
        running.start("monitoring", create_monitoring)
        yield running
    finally:
        running.stop()
