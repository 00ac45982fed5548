"""A broker outage in the middle of Steps 3-4: plan and monitoring keep accepting commands (the
outbox holds their events), say `degraded` on /readyz, and publish everything in per-incident
order once the broker is back. (Intake's outage test is in tests/intake/test_broker.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from services.intake.app import create_app as create_intake
from services.monitoring.app import create_app as create_monitoring
from services.plan.app import create_app as create_plan
from shared.broker import LocalBroker, free_port
from shared.kafka import topic_for
from tests.intake.test_broker import consume_all
from tests.intake.walkthrough import ok
from tests.monitoring.walkthrough import act, implementing_incident, visit_body
from tests.support.system import System, eventually, system_settings


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[System, LocalBroker]]:
    """Intake, plan and monitoring on a broker of their own, which the test may kill."""
    port = free_port()
    broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
    system = System(system_settings(tmp_path, broker.bootstrap))
    try:
        system.start("intake", create_intake)
        system.start("plan", create_plan)
        system.start("monitoring", create_monitoring)
        yield system, broker
    finally:
        system.stop()
        broker.stop()


def readiness(system: System, service: str) -> tuple[int, dict]:
    answer = system.client(service).get("/readyz")
    return answer.status_code, answer.json()


def test_plan_and_monitoring_keep_working_through_an_outage_and_publish_in_order_after(
    outage: tuple[System, LocalBroker], tmp_path: Path
) -> None:
    system, broker = outage
    ids = implementing_incident(system)  # needs the broker: plan's approval reaches monitoring
    incident = ids["incident"]
    broker.kill()
    for service in ("plan", "monitoring"):
        eventually(lambda s=service: readiness(system, s)[0] == 503)
        _, body = readiness(system, service)
        assert body["status"] == "degraded" and body["checks"]["store"] == "ok"

    plan = system.client("plan")
    ok(
        plan.post(
            f"/v1/incidents/{incident}/need-to-know",
            json={"subject": "monitor"},
        )
    )
    provider = system.client("monitoring", "provider")
    today = date.today().isoformat()
    act(provider, incident, ids["schooling"], "start", {"started_on": today})
    act(provider, incident, ids["schooling"], "progress", {"percent": 30, "code": "on_track"})
    ok(
        system.client("monitoring", "monitor").post(
            f"/v1/incidents/{incident}/monitoring-visits", json=visit_body()
        ),
        201,
    )
    assert readiness(system, "plan")[1]["outbox_pending"] >= 1
    assert readiness(system, "monitoring")[1]["outbox_pending"] >= 3

    broker = LocalBroker(port=broker.port, log_path=tmp_path / "tansu.log").start()
    try:
        for service in ("plan", "monitoring"):
            eventually(lambda s=service: readiness(system, s)[0] == 200, timeout_s=60)
            assert readiness(system, service)[1]["outbox_pending"] == 0
        for service, count in (("plan", 1), ("monitoring", 3)):
            records = consume_all(
                broker.bootstrap,
                lambda rs, n=count: (
                    len({h["ce_id"] for h, k, _ in rs if k == incident.encode()}) >= n
                ),
                topic=topic_for(service),
            )
            versions = [int(h["ce_streamversion"]) for h, k, _ in records if k == incident.encode()]
            published = list(dict.fromkeys(versions))
            assert published == sorted(published) and len(published) >= count, service
    finally:
        broker.stop()
