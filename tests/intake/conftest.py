"""An intake service under real uvicorn, with its SQLite store, the real broker and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.intake.app import create_app
from shared.auth import ApiKeys
from shared.broker import LocalBroker
from shared.database import make_engine
from shared.settings import Settings
from tests.support.servers import RunningService


@dataclass
class IntakeUnderTest:
    service: RunningService
    settings: Settings
    keys: dict[str, str]

    def client(self, who: str = "case_manager"):
        return self.service.client(self.keys[who])


def intake_settings(data_dir: Path, bootstrap: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        kafka_bootstrap=bootstrap,
        relay_poll_interval_s=0.05,
        kafka_max_poll_interval_ms=3000,
        kafka_request_timeout_ms=3000,
    )


def make_keys(settings: Settings) -> dict[str, str]:
    keys = ApiKeys(make_engine(settings.auth_url()))
    roles = {
        "reporter": ["reporter"],
        "case_manager": ["case_manager"],
        "verifier": ["verifier"],
        "approver": ["approver"],
        "auditor": ["auditor"],
        "analyst": ["analyst"],
    }
    made = {
        name: keys.create(tenant="acme", subject=f"{name}-1", roles=r) for name, r in roles.items()
    }
    made["other_tenant"] = keys.create(tenant="globex", subject="cm-globex", roles=["case_manager"])
    made["second_approver"] = keys.create(tenant="acme", subject="approver-2", roles=["approver"])
    return made


@pytest.fixture
def intake(tmp_path: Path, broker: LocalBroker) -> Iterator[IntakeUnderTest]:
    settings = intake_settings(tmp_path, broker.bootstrap)
    service = RunningService(create_app(settings)).start()
    try:
        yield IntakeUnderTest(service, settings, make_keys(settings))
    finally:
        service.stop()
