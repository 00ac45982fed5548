"""Reporting through its real HTTP API, built only from the services' topics."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from services.reporting.app import definition
from shared.app import build_runtime
from tests.intake.walkthrough import ok, submit
from tests.plan.walkthrough import SCHOOL, action_body, determined_incident, prepared_plan
from tests.support.system import System, eventually


def events_of(system: System, incident: str) -> list[dict]:
    intake = ok(system.client("intake", "auditor").get(f"/v1/incidents/{incident}/events"))
    plan = ok(system.client("plan", "auditor").get(f"/v1/incidents/{incident}/plan/events"))
    return intake + plan


def approved_plan_incident(system: System) -> str:
    incident = determined_incident(system)
    ids = prepared_plan(system, incident)
    plan = system.client("plan")
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/actions",
            json=action_body("education_schooling", ids["victim"], SCHOOL),
        ),
        201,
    )
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))
    ok(
        system.client("plan", "approver").post(
            f"/v1/incidents/{incident}/plan/approval", json={"note": "Budget confirmed."}
        )
    )
    return incident


def caught_up(system: System, incident: str) -> list[dict]:
    """The reporting timeline once it holds every event intake and plan stored."""
    expected = {e["id"] for e in events_of(system, incident)}
    reporting = system.client("reporting", "auditor")

    def complete() -> list[dict] | None:
        response = reporting.get(f"/v1/incidents/{incident}/timeline")
        if response.status_code == 404:
            return None
        timeline = ok(response)
        return timeline if {e["id"] for e in timeline} == expected else None

    return list(eventually(complete, timeout_s=45))


def test_timeline_is_the_union_of_every_services_events_in_order(system: System) -> None:
    incident = approved_plan_incident(system)
    timeline = caught_up(system, incident)
    assert len(timeline) == len({e["id"] for e in timeline})  # each event exactly once
    times = [e["time"] for e in timeline]
    assert times == sorted(times)
    assert {e["source"] for e in timeline} == {"/remedium/intake", "/remedium/plan"}
    entry = ok(system.client("reporting", "case_manager").get(f"/v1/incidents/{incident}/state"))
    assert entry["status"] == "plan_approved" and entry["step"] == 4
    assert entry["smelter_cids"] == ["CID002050"] and entry["victims"] == 1
    verification = ok(
        system.client("reporting", "auditor").get(f"/v1/incidents/{incident}/verification")
    )
    assert verification["intact"] is True and verification["problems"] == []


def test_state_as_of_a_past_time(system: System) -> None:
    incident = approved_plan_incident(system)
    timeline = caught_up(system, incident)
    reader = system.client("reporting", "case_manager")
    verified = next(e for e in timeline if e["type"].endswith("AllegationVerified.v1"))
    at = verified["time"]
    past = ok(reader.get(f"/v1/incidents/{incident}/state", params={"at": at}))
    assert past["existed"] and past["status"] == "verified" and past["step"] == 2
    before = (
        datetime.fromisoformat(timeline[0]["time"].replace("Z", "+00:00")) - timedelta(seconds=1)
    ).isoformat()
    assert (
        ok(reader.get(f"/v1/incidents/{incident}/state", params={"at": before}))["existed"] is False
    )
    assert (
        reader.get(f"/v1/incidents/{incident}/state", params={"at": "yesterday"}).status_code == 422
    )


def test_register_filters_smelters_kpis_and_suppression(system: System) -> None:
    incident = approved_plan_incident(system)
    other = submit(system.client("intake"), country="RW", minerals=["tin"])
    caught_up(system, incident)
    reader = system.client("reporting", "case_manager")
    eventually(lambda: len(ok(reader.get("/v1/register"))) == 2, timeout_s=60)
    assert [r["incident_id"] for r in ok(reader.get("/v1/register", params={"country": "RW"}))] == [
        other
    ]
    assert [
        r["incident_id"] for r in ok(reader.get("/v1/register", params={"mineral": "cobalt"}))
    ] == [incident]
    by_cid = ok(reader.get("/v1/register", params={"smelter_cid": "CID002050"}))
    assert [r["incident_id"] for r in by_cid] == [incident]
    assert ok(reader.get("/v1/register", params={"step": 1}))[0]["incident_id"] == other
    assert reader.get("/v1/register", params={"smelter_cid": "12"}).status_code == 422

    analyst = system.client("reporting", "analyst")
    kpis = ok(analyst.get("/v1/kpis"))
    assert kpis["incidents"] == 2
    assert kpis["victims_identified"] == "<5" and kpis["children_identified"] == "<5"
    assert kpis["time_to_verify"]["count"] == 1 and kpis["time_to_verify"]["median_days"] >= 0
    assert kpis["time_to_plan_approval"]["count"] == 1
    assert ok(analyst.get("/v1/smelters")) == [
        {
            **ok(analyst.get("/v1/smelters"))[0],
            "smelter_cid": "CID002050",
            "incidents": 1,
            "recurrence": False,
        }
    ]
    assert analyst.get("/v1/register").status_code == 403  # aggregates only
    assert analyst.get(f"/v1/incidents/{incident}/timeline").status_code == 403
    csv_text = analyst.get("/v1/kpis.csv").text
    assert csv_text.startswith("kpi,key,value") and "victims_identified,,<5" in csv_text
    register_csv = reader.get("/v1/register.csv")
    assert register_csv.headers["content-type"].startswith("text/csv")
    assert register_csv.text.splitlines()[0].startswith("incident_id,reference,status,step")
    assert len(register_csv.text.strip().splitlines()) == 3
    foreign = system.client("reporting", "other_tenant")
    assert foreign.get(f"/v1/incidents/{incident}/state").status_code == 404
    assert foreign.get(f"/v1/incidents/{incident}/timeline").status_code == 404


def test_evidence_pack_verifies_offline_and_detects_tampering(
    system: System, tmp_path: Path
) -> None:
    incident = approved_plan_incident(system)
    caught_up(system, incident)
    pack = ok(system.client("reporting", "auditor").get(f"/v1/incidents/{incident}/evidence-pack"))
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack))
    command = [sys.executable, "-m", "shared.cli", "verify-pack", str(path)]
    intact = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "evidence pack intact" in intact.stdout
    pack["events"][3]["data"]["rationale"] = "rewritten"  # alter one stored fact
    path.write_text(json.dumps(pack))
    tampered = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert tampered.returncode == 1
    version = pack["events"][3]["streamversion"]
    assert f"version {version}" in tampered.stdout and "altered" in tampered.stdout


def test_rebuild_from_offset_zero_equals_the_incremental_result(system: System) -> None:
    incident = approved_plan_incident(system)
    submit(system.client("intake"), country="RW")
    caught_up(system, incident)
    reader = system.client("reporting", "case_manager")
    eventually(lambda: len(ok(reader.get("/v1/register"))) == 2, timeout_s=60)
    before_register = ok(reader.get("/v1/register"))
    before_timeline = ok(
        system.client("reporting", "auditor").get(f"/v1/incidents/{incident}/timeline")
    )
    system.services["reporting"].stop()
    settings = system.settings.model_copy(update={"relay_enabled": False})
    runtime = build_runtime(definition, settings)
    progress: list[tuple[int, int]] = []
    applied = runtime.projectors[0].rebuild(lambda done, total: progress.append((done, total)))
    # the topics also hold earlier tests' events (other tenants): at least this test's are replayed
    assert applied >= len(before_timeline) + 2
    assert progress and progress[-1][0] >= applied
    from services.reporting.app import create_app

    system.start("reporting", create_app)
    reader = system.client("reporting", "case_manager")
    assert ok(reader.get("/v1/register")) == before_register
    assert (
        ok(system.client("reporting", "auditor").get(f"/v1/incidents/{incident}/timeline"))
        == before_timeline
    )
