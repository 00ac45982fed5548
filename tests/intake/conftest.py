"""An intake service under real uvicorn, with its SQLite store, the real broker and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.intake.app import create_app
from shared.broker import LocalBroker
from shared.settings import Settings
from tests.support.servers import RunningService
from tests.support.system import make_keys, system_settings

intake_settings = system_settings


@dataclass
class IntakeUnderTest:
    service: RunningService
    settings: Settings
    keys: dict[str, str]

    def client(self, who: str = "case_manager") -> httpx.Client:
        return self.service.client(self.keys[who])


@pytest.fixture
def intake(tmp_path: Path, broker: LocalBroker) -> Iterator[IntakeUnderTest]:
    settings = intake_settings(tmp_path, broker.bootstrap)
    service = RunningService(create_app(settings)).start()
    try:
        yield IntakeUnderTest(service, settings, make_keys(settings))
    finally:
        service.stop()
