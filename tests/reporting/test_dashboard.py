"""The dashboard page served by the running reporting service, in a real headless Chromium,
with data from incidents walked through the real services."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from shared.gateway import create_gateway
from tests.intake.walkthrough import ok
from tests.monitoring.walkthrough import closed_incident
from tests.reporting.browser import chromium, looks_blank, png_pixels
from tests.reporting.journeys import overdue_incident, registered
from tests.support.servers import RunningService
from tests.support.system import System, eventually

CHARTS = [
    "by_step",
    "by_status",
    "by_mineral",
    "by_country",
    "time_to_closure_days",
    "overdue_by_owner",
    "overdue_by_category",
]
READ_CHARTS = """charts => Object.fromEntries(charts.map(name => [name, Object.fromEntries(
    [...document.querySelectorAll(`svg[data-chart="${name}"] rect[data-key]`)]
        .map(bar => [bar.dataset.key, Number(bar.dataset.value)]))]))"""


def test_dashboard_draws_the_incidents_in_chromium(system: System, tmp_path: Path) -> None:
    closed = closed_incident(system)["incident"]
    overdue_incident(system)
    registered(system, closed, "closed")
    analyst = system.client("reporting", "analyst")
    data: dict[str, Any] = eventually(
        lambda: (d := ok(analyst.get("/v1/dashboard")))["overdue_actions"] == 2 and d,
        timeout_s=60,
    )
    url = system.services["reporting"].url + "/dashboard"

    with chromium(tmp_path / "profile") as browser:
        page = browser.new_page()
        page.goto(url)
        assert "Enter an API key" in page.inner_text("#status")
        page.fill("#api-key", system.keys["analyst"])
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-state=rendered]", timeout=30_000)

        drawn = page.evaluate(READ_CHARTS, CHARTS)
        steps = {str(step): data["by_step"].get(str(step), 0) for step in range(1, 7)}
        assert drawn["by_step"] == steps and steps["6"] == 1 and steps["4"] == 1
        assert drawn["by_status"] == data["by_status"] == {"closed": 1, "plan_approved": 1}
        assert drawn["by_mineral"] == {"cobalt": 2} and drawn["by_country"] == {"CD": 2}
        assert drawn["time_to_closure_days"] == data["time_to_closure_days"]
        assert sum(drawn["time_to_closure_days"].values()) == 1
        assert drawn["overdue_by_owner"] == {"example-electronics": 2}
        assert drawn["overdue_by_category"] == {"education_schooling": 1, "immediate_safety": 1}
        assert page.inner_text("#overdue_total") == "2"
        assert "2 incidents" in page.inner_text("#status")
        widths = page.eval_on_selector_all(
            'svg[data-chart="by_status"] rect', "bars => bars.map(b => b.getBBox().width)"
        )
        assert all(width > 0 for width in widths)  # laid out, not just in the DOM

        screenshot = page.screenshot(full_page=True)
        _keep(screenshot, tmp_path)
        width, height, _ = png_pixels(screenshot)
        assert width >= 1280 and height >= 600
        assert not looks_blank(screenshot)

        page.reload()  # the key stays in the tab's session storage, not in the URL
        page.wait_for_selector("body[data-state=rendered]", timeout=30_000)
        assert system.keys["analyst"] not in page.url
        blank = browser.new_page()
        blank.goto("about:blank")
        assert looks_blank(blank.screenshot())  # the check above can fail

        gateway = _gateway(system)
        try:  # behind the gateway the page lives at /reporting/dashboard and still finds its data
            proxied = browser.new_page()
            proxied.goto(gateway.url + "/dashboard")
            assert proxied.url.endswith("/reporting/dashboard")
            proxied.fill("#api-key", system.keys["analyst"])
            proxied.click("button[type=submit]")
            proxied.wait_for_selector("body[data-state=rendered]", timeout=30_000)
            assert proxied.evaluate(READ_CHARTS, CHARTS) == drawn
        finally:
            gateway.stop()


def test_dashboard_says_when_the_key_is_refused(system: System, tmp_path: Path) -> None:
    with chromium(tmp_path / "profile") as browser:
        page = browser.new_page()
        page.goto(system.services["reporting"].url + "/dashboard")
        page.fill("#api-key", "not-a-key")
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-state=error]", timeout=30_000)
        assert "HTTP 401" in page.inner_text("#status")
        page.fill("#api-key", system.keys["reporter"])  # a portal key sees no aggregates
        page.click("button[type=submit]")
        page.wait_for_function("document.getElementById('status').textContent.includes('403')")


def _gateway(system: System) -> RunningService:
    upstreams = {"reporting": system.services["reporting"].url}
    return RunningService(
        create_gateway(system.settings.model_copy(update={"gateway_upstreams": upstreams}))
    ).start()


def _keep(screenshot: bytes, tmp_path: Path) -> None:
    path = tmp_path / "dashboard.png"
    path.write_bytes(screenshot)
    if directory := os.environ.get("REMEDIUM_SCREENSHOT_DIR"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(directory) / "dashboard.png")
