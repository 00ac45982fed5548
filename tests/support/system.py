"""Several services under real uvicorn, sharing one broker and one auth database (as
``remedium run`` does), each with its own SQLite store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared.auth import ApiKeys
from shared.database import make_engine
from shared.migrations import AUTH_MIGRATIONS, upgrade
from shared.settings import Settings
from tests.support.servers import RunningService

ROLES = {
    "reporter": ["reporter"],
    "case_manager": ["case_manager"],
    "verifier": ["verifier"],
    "approver": ["approver"],
    "second_approver": ["approver"],
    "provider": ["provider"],
    "auditor": ["auditor"],
    "analyst": ["analyst"],
    "monitor": ["monitor"],
    "admin": ["admin"],
}


def system_settings(data_dir: Path, bootstrap: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        kafka_bootstrap=bootstrap,
        relay_poll_interval_s=0.05,
        kafka_max_poll_interval_ms=3000,
        kafka_request_timeout_ms=3000,
        consumer_group_prefix=f"test-{uuid.uuid4().hex[:8]}",  # no rebalances between tests
    )


def unique_tenant(name: str = "acme") -> str:
    """Tests share one broker, so each system gets tenants of its own and sees only its data."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def make_keys(settings: Settings, tenant: str | None = None) -> dict[str, str]:
    upgrade(AUTH_MIGRATIONS, settings.auth_url())
    keys = ApiKeys(make_engine(settings.auth_url()))
    tenant = tenant or unique_tenant()
    made = {
        name: keys.create(tenant=tenant, subject=name, roles=roles) for name, roles in ROLES.items()
    }
    other = unique_tenant("globex")
    made["other_tenant"] = keys.create(tenant=other, subject="globex-cm", roles=["case_manager"])
    made["other_approver"] = keys.create(tenant=other, subject="globex-ap", roles=["approver"])
    return made


@dataclass
class System:
    settings: Settings
    tenant: str = field(default_factory=unique_tenant)
    services: dict[str, RunningService] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = make_keys(self.settings, self.tenant)

    def start(self, name: str, create_app: Callable[[Settings], Any]) -> RunningService:
        self.services[name] = RunningService(create_app(self.settings)).start()
        return self.services[name]

    def client(self, service: str, who: str = "case_manager") -> httpx.Client:
        return self.services[service].client(self.keys[who])

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()


def eventually(check: Callable[[], Any], timeout_s: float = 30, interval_s: float = 0.1) -> Any:
    """Retry ``check`` until it returns a truthy value (projections are eventually consistent)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval_s)
