"""Intake, plan and the feed on the real broker, webhook receivers on 127.0.0.1, and admin keys
(managing subscriptions is an admin's job)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.feed.app import create_app as create_feed
from services.intake.app import create_app as create_intake
from services.plan.app import create_app as create_plan
from shared.auth import ApiKeys
from shared.broker import LocalBroker
from shared.database import make_engine
from tests.feed.receiver import Receiver
from tests.support.system import System, system_settings, unique_tenant

MAX_ATTEMPTS = 4


@pytest.fixture
def system(tmp_path: Path, broker: LocalBroker) -> Iterator[System]:
    settings = system_settings(tmp_path, broker.bootstrap).model_copy(
        update={
            "feed_dispatch_interval_s": 0.05,
            "feed_max_attempts": MAX_ATTEMPTS,
            "feed_retry_base_s": 0.05,
            "feed_retry_max_s": 0.2,
            "feed_request_timeout_s": 2.0,
        }
    )
    running = System(settings)
    keys = ApiKeys(make_engine(settings.auth_url()))
    running.keys["admin"] = keys.create(tenant=running.tenant, subject="it", roles=["admin"])
    other = unique_tenant("globex")
    running.keys["other_admin"] = keys.create(tenant=other, subject="globex-it", roles=["admin"])
    running.keys["other_cm"] = keys.create(
        tenant=other, subject="globex-cm", roles=["case_manager"]
    )
    try:
        running.start("intake", create_intake)
        running.start("plan", create_plan)
        running.start("feed", create_feed)
        yield running
    finally:
        running.stop()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(failures: int = 0) -> Receiver:
        started.append(Receiver(failures).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()
