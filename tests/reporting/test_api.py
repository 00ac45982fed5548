"""Reporting through its real HTTP API, built only from the four services' topics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from tests.intake.walkthrough import ok, submit
from tests.monitoring.walkthrough import closed_incident
from tests.reporting.journeys import caught_up, events_of, overdue_incident, registered
from tests.support.system import System, eventually


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _capture_lessons(system: System, incident: str) -> None:
    registered(system, incident, "closed")
    ok(
        system.client("reporting").post(
            f"/v1/incidents/{incident}/lessons-captured",
            json={"none_rationale": "A single-site case; the procedure worked as written."},
        )
    )


def test_timeline_is_the_union_of_all_four_services_events_in_order(system: System) -> None:
    incident = closed_incident(system)["incident"]
    _capture_lessons(system, incident)
    timeline = caught_up(system, incident)
    stored = events_of(system, incident)
    assert sorted(e["id"] for e in timeline) == sorted(e["id"] for e in stored)
    assert len(timeline) == len({e["id"] for e in timeline})  # each event exactly once
    assert [e["time"] for e in timeline] == sorted(e["time"] for e in timeline)
    assert {e["source"] for e in timeline} == {
        "/remedium/intake",
        "/remedium/plan",
        "/remedium/monitoring",
        "/remedium/reporting",
    }
    by_id = {e["id"]: e for e in stored}
    assert all(e == by_id[e["id"]] for e in timeline)  # as stored, hash chain included
    entry = registered(system, incident, "lessons_captured")
    assert entry["step"] == 6 and entry["smelter_cids"] == ["CID002050"]
    assert entry["actions"] == {"completed": 2} and entry["closures"] == 1
    verification = ok(
        system.client("reporting", "auditor").get(f"/v1/incidents/{incident}/verification")
    )
    assert verification["intact"] is True and verification["problems"] == []
    assert len(verification["streams"]) == 4
    assert (
        system.client("reporting", "analyst")
        .get(f"/v1/incidents/{incident}/verification")
        .status_code
        == 403
    )


def test_state_as_of_any_past_time(system: System) -> None:
    incident = closed_incident(system)["incident"]
    registered(system, incident, "closed")
    timeline = caught_up(system, incident)
    reader = system.client("reporting", "case_manager")

    def state_at(event_name: str) -> dict:
        event = next(e for e in timeline if e["type"].endswith(f".{event_name}.v1"))
        return ok(reader.get(f"/v1/incidents/{incident}/state", params={"at": event["time"]}))

    assert state_at("AllegationVerified")["status"] == "verified"
    assert state_at("PlanApproved")["step"] == 4
    in_review = state_at("ClosureProposed")
    assert in_review["status"] == "closure_review" and in_review["closed_at"] is None
    closed = state_at("IncidentClosed")
    assert closed["status"] == "closed" and closed["actions"] == {"completed": 2}
    before = (_time(timeline[0]["time"]) - timedelta(seconds=1)).isoformat()
    past = ok(reader.get(f"/v1/incidents/{incident}/state", params={"at": before}))
    assert past["existed"] is False
    bad = reader.get(f"/v1/incidents/{incident}/state", params={"at": "yesterday"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    foreign = system.client("reporting", "other_tenant")
    assert foreign.get(f"/v1/incidents/{incident}/state").status_code == 404
    assert foreign.get(f"/v1/incidents/{incident}/timeline").status_code == 404


def test_register_filters_on_every_field(system: System) -> None:
    closed = closed_incident(system)["incident"]
    overdue = overdue_incident(system)["incident"]
    received = submit(system.client("intake"), country="RW", minerals=["tin"])
    registered(system, closed, "closed")
    reader = system.client("reporting", "case_manager")

    def ids(**params: object) -> set[str]:
        return {r["incident_id"] for r in ok(reader.get("/v1/register", params=params))}

    eventually(lambda: ids(overdue=True) == {overdue}, timeout_s=60)
    assert ids() == {closed, overdue, received}
    assert ids(overdue=False) == {closed, received}
    assert ids(status="closed") == {closed}
    assert ids(step=6) == {closed} and ids(step=4) == {overdue} and ids(step=1) == {received}
    assert ids(mineral="tin") == {received} and ids(mineral="cobalt") == {closed, overdue}
    assert ids(country="RW") == {received} and ids(country="CD") == {closed, overdue}
    assert ids(smelter_cid="CID002050") == {closed, overdue}
    assert ids(severity=4) == {closed, overdue} and ids(severity=1) == set()
    assert ids(status="closed", overdue=True) == set()
    for bad in ({"smelter_cid": "12"}, {"severity": 9}, {"step": 0}, {"overdue": "maybe"}):
        assert reader.get("/v1/register", params=bad).status_code == 422
    csv_text = ok_text(reader.get("/v1/register.csv", params={"overdue": True}))
    header, *rows = csv_text.strip().splitlines()
    assert header.startswith("incident_id,reference,status,step") and len(rows) == 1
    assert rows[0].startswith(overdue) and rows[0].endswith(",2")
    assert system.client("reporting", "analyst").get("/v1/register").status_code == 403


def ok_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.text


def test_kpis_from_closure_overdue_work_and_recurrence(system: System) -> None:
    closed = closed_incident(system)["incident"]
    overdue = overdue_incident(system)["incident"]
    registered(system, closed, "closed")
    analyst = system.client("reporting", "analyst")

    def overdue_seen() -> dict | None:
        kpis = ok(analyst.get("/v1/kpis"))
        return kpis if kpis["actions_on_time"]["overdue_open"] == 2 else None

    kpis = eventually(overdue_seen, timeout_s=60)
    assert kpis["incidents"] == 2 and kpis["by_status"] == {"closed": 1, "plan_approved": 1}
    assert kpis["time_to_verify"]["count"] == 2
    assert kpis["time_to_plan_approval"]["count"] == 2
    assert kpis["time_to_closure"]["count"] == 1 and kpis["time_to_closure"]["median_days"] >= 0
    # the closed incident's two actions were completed on time; the other's two are overdue
    assert kpis["actions_on_time"] == {"due": 4, "on_time": 2, "overdue_open": 2, "percent": 50.0}
    # one child reached by each completed category: a cell under 5 people is suppressed
    assert kpis["victims_assisted_by_category"] == {
        "education_schooling": "<5",
        "immediate_safety": "<5",
    }
    assert kpis["victims_identified"] == "<5" and kpis["children_identified"] == "<5"
    # both incidents: the same site and smelter, verified minutes apart
    for window in ("within_12_months", "within_24_months"):
        assert kpis["recurrence"][window] == {"incidents": 1, "sites": 1, "smelters": ["CID002050"]}
    assert ok(analyst.get("/v1/smelters"))[0] | {"first_linked_at": "", "last_linked_at": ""} == {
        "smelter_cid": "CID002050",
        "incidents": 2,
        "recurrence": True,
        "first_linked_at": "",
        "last_linked_at": "",
    }
    csv_lines = ok_text(analyst.get("/v1/kpis.csv")).splitlines()
    assert csv_lines[0] == "kpi,key,value"
    assert "victims_assisted_by_category,education_schooling,<5" in csv_lines
    assert "actions_on_time,percent,50.0" in csv_lines
    people = [line for line in csv_lines if line.startswith("victims")]
    assert people and not any(line.endswith((",1", ",2", ",3", ",4")) for line in people)
    dashboard = ok(analyst.get("/v1/dashboard"))
    assert dashboard["overdue_by_owner"] == {"example-electronics": 2}
    assert sum(dashboard["time_to_closure_days"].values()) == 1
    assert analyst.get(f"/v1/incidents/{overdue}/timeline").status_code == 403
    assert analyst.get(f"/v1/incidents/{overdue}/state").status_code == 403
    assert analyst.get(f"/v1/incidents/{overdue}/evidence-pack").status_code == 403


def test_evidence_pack_verifies_offline_and_names_what_was_tampered_with(
    system: System, tmp_path: Path
) -> None:
    incident = closed_incident(system)["incident"]
    caught_up(system, incident)
    pack = ok(system.client("reporting", "auditor").get(f"/v1/incidents/{incident}/evidence-pack"))
    assert {e["source"] for e in pack["events"]} >= {"/remedium/intake", "/remedium/monitoring"}
    path = tmp_path / "pack.json"
    command = [sys.executable, "-m", "shared.cli", "verify-pack", str(path)]

    def verify(document: dict) -> subprocess.CompletedProcess[str]:
        path.write_text(json.dumps(document))
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    intact = verify(pack)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "evidence pack intact" in intact.stdout

    altered = json.loads(json.dumps(pack))
    target = next(e for e in altered["events"] if e["type"].endswith(".IncidentClosed.v1"))
    target["data"]["reason"] = "victim_declined"  # rewrite one stored fact
    result = verify(altered)
    assert result.returncode == 1
    assert f"version {target['streamversion']}" in result.stdout and "altered" in result.stdout

    truncated = json.loads(json.dumps(pack))
    monitoring = [e for e in truncated["events"] if e["source"] == "/remedium/monitoring"]
    last = max(monitoring, key=lambda e: e["streamversion"])
    truncated["events"].remove(last)  # the chain still holds: only the heads show the cut
    result = verify(truncated)
    assert result.returncode == 1 and "missing from the end" in result.stdout

    path.write_text("{not json")
    assert subprocess.run(command, capture_output=True, timeout=60).returncode == 2


def test_rebuild_command_replays_from_offset_zero_to_the_same_result(
    system: System, tmp_path: Path
) -> None:
    incident = closed_incident(system)["incident"]
    overdue_incident(system)
    submit(system.client("intake"), country="RW")
    _capture_lessons(system, incident)
    caught_up(system, incident)
    reader = system.client("reporting", "case_manager")
    eventually(lambda: len(ok(reader.get("/v1/register", params={"overdue": True}))) == 1)
    eventually(lambda: len(ok(reader.get("/v1/register"))) == 3)
    before = _reporting_views(system, incident)
    system.services["reporting"].stop()

    settings = system.settings
    env = {
        **os.environ,
        "REMEDIUM_DATA_DIR": str(settings.data_dir),
        "REMEDIUM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "REMEDIUM_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "REMEDIUM_KAFKA_MAX_POLL_INTERVAL_MS": str(settings.kafka_max_poll_interval_ms),
        "COLUMNS": "120",
    }
    remedium = str(Path(sys.executable).with_name("remedium"))
    rebuilt = subprocess.run(
        [remedium, "rebuild", "reporting"], capture_output=True, text=True, env=env, timeout=300
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    applied = int(rebuilt.stdout.split("incident-register: ")[1].split()[0])
    # the shared topics also hold earlier tests' events: at least this test's are replayed
    assert applied >= len(before["timeline"])

    from services.reporting.app import create_app

    system.start("reporting", create_app)
    assert _reporting_views(system, incident) == before


def _reporting_views(system: System, incident: str) -> dict[str, object]:
    reader = system.client("reporting", "case_manager")
    auditor = system.client("reporting", "auditor")
    analyst = system.client("reporting", "analyst")
    return {
        "register": ok(reader.get("/v1/register")),
        "timeline": ok(auditor.get(f"/v1/incidents/{incident}/timeline")),
        "lessons": ok(reader.get(f"/v1/incidents/{incident}/lessons")),
        "smelters": ok(analyst.get("/v1/smelters")),
        "kpis": ok(analyst.get("/v1/kpis")),
        "dashboard": ok(analyst.get("/v1/dashboard")),
    }
