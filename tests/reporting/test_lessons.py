"""Step 6 through reporting's HTTP API: lessons learned once the incident is closed, and the
move to LESSONS_CAPTURED (domain.md 2.4: at least one lesson, or "none" with a rationale)."""

from __future__ import annotations

from typing import Any

from tests.intake.walkthrough import ok
from tests.monitoring.walkthrough import closed_incident, implementing_incident
from tests.reporting.journeys import registered
from tests.support.system import System, eventually

ROOT_CAUSE = {
    "category": "root_cause",
    "text": "Families took loans from the site's trader; repayment in ore kept children digging.",
    "follow_up_action": "Fund a savings group with the cooperative before the next season.",
    "owner": "responsible-sourcing",
    "share_scope": "internal",
}
DD_GAP = {
    "category": "dd_gap",
    "text": "The refinery was RMAP-conformant, yet RMAP is not a material validation: "
    "purchases from the artisanal site went unseen for two years.",
    "owner": "responsible-sourcing",
    "share_scope": "industry_anonymised",
}


def problem_code(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return str(response.json()["type"]).rsplit(":", 1)[-1]


def test_lessons_are_recorded_after_closure_and_capture_moves_the_incident(
    system: System,
) -> None:
    incident = closed_incident(system)["incident"]
    registered(system, incident, "closed")
    cm = system.client("reporting")
    base = f"/v1/incidents/{incident}"

    first = ok(cm.post(f"{base}/lessons", json=ROOT_CAUSE), 201)
    ok(cm.post(f"{base}/lessons", json=DD_GAP), 201)
    ok(
        cm.post(
            f"{base}/due-diligence-updates",
            json={
                "area": "risk_assessment",
                "description": "Rate artisanal cobalt sites that supply RMAP refiners as high "
                "risk until site-level audits exist.",
                "owner": "responsible-sourcing",
            },
        )
    )
    bad = cm.post(f"{base}/lessons", json={**ROOT_CAUSE, "category": "gossip"})
    assert bad.status_code == 422
    bad = cm.post(f"{base}/lessons", json={**ROOT_CAUSE, "share_scope": "press"})
    assert bad.status_code == 422
    analyst = system.client("reporting", "analyst")
    assert analyst.post(f"{base}/lessons", json=DD_GAP).status_code == 403

    captured = ok(cm.post(f"{base}/lessons-captured", json={}))
    assert captured["events"] == ["LessonsCaptured"]
    again = cm.post(f"{base}/lessons", json=ROOT_CAUSE)
    assert again.status_code == 409 and problem_code(again) == "lessons-already-captured"

    entry = registered(system, incident, "lessons_captured")
    assert entry["step"] == 6 and entry["lessons"] == 2
    lessons = ok(cm.get(f"{base}/lessons"))
    assert lessons["captured"] is True
    assert [(x["lesson_id"], x["category"], x["share_scope"]) for x in lessons["lessons"]] == [
        (first["lesson_id"], "root_cause", "internal"),
        (lessons["lessons"][1]["lesson_id"], "dd_gap", "industry_anonymised"),
    ]
    assert [x["area"] for x in lessons["updates"]] == ["risk_assessment"]

    kpis = eventually(
        lambda: (k := ok(analyst.get("/v1/kpis")))["lessons"]["recorded"] == 2 and k,
        timeout_s=60,
    )
    assert kpis["lessons"] == {
        "recorded": 2,
        "incidents_with_lessons_captured": 1,
        "by_category": {"dd_gap": 1, "root_cause": 1},
        "by_share_scope": {"industry_anonymised": 1, "internal": 1},
    }
    assert analyst.get(f"{base}/lessons").status_code == 403  # case text: not an aggregate


def test_no_lesson_needs_a_rationale(system: System) -> None:
    incident = closed_incident(system)["incident"]
    registered(system, incident, "closed")
    cm = system.client("reporting")
    base = f"/v1/incidents/{incident}"
    missing = cm.post(f"{base}/lessons-captured", json={})
    assert missing.status_code == 409 and problem_code(missing) == "lesson-missing"
    too_short = cm.post(f"{base}/lessons-captured", json={"none_rationale": "none"})
    assert too_short.status_code == 422
    ok(
        cm.post(
            f"{base}/lessons-captured",
            json={"none_rationale": "Handled by the existing procedure; nothing new learned."},
        )
    )
    assert registered(system, incident, "lessons_captured")["lessons"] == 0
    assert ok(cm.get(f"{base}/lessons"))["captured"] is True


def test_lessons_wait_for_closure(system: System) -> None:
    incident = implementing_incident(system)["incident"]
    registered(system, incident, "implementing")
    cm = system.client("reporting")
    base = f"/v1/incidents/{incident}"
    early = cm.post(f"{base}/lessons", json=ROOT_CAUSE)
    assert early.status_code == 409 and problem_code(early) == "incident-not-closed"
    assert "implementing" in early.json()["detail"]
    early = cm.post(f"{base}/lessons-captured", json={"none_rationale": "Nothing to add here."})
    assert early.status_code == 409 and problem_code(early) == "incident-not-closed"
    assert ok(cm.get(f"{base}/lessons")) | {"status": ""} == {
        "incident_id": incident,
        "status": "",
        "lessons": [],
        "updates": [],
        "captured": False,
    }
    unknown = cm.post("/v1/incidents/7b0b4a36-9f2e-4c55-8a51-0d4f3c2e1a90/lessons", json=ROOT_CAUSE)
    assert unknown.status_code == 404
    foreign = system.client("reporting", "other_tenant")
    assert foreign.post(f"{base}/lessons", json=ROOT_CAUSE).status_code == 404
