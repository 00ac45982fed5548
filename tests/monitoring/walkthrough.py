"""Steps 4-5 request bodies and helpers shared by the monitoring tests (and the six-step walk).

Every helper goes through the real APIs: intake for steps 1-2, plan for step 3, and monitoring,
which learns of the approved plan only from plan's events on the broker.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

import httpx

from tests.intake.walkthrough import ok
from tests.plan.walkthrough import SCHOOL, action_body, determined_incident, prepared_plan
from tests.support.system import System, eventually

CHECKLIST = {
    "objectives_met": True,
    "no_open_safety_risk": True,
    "victim_informed_via_safe_channel": True,
    "supplier_corrective_actions_verified": True,
    "exit_strategy_in_place": True,
}
ATTENDANCE = {
    "name": "School attendance",
    "unit": "percent of school days",
    "baseline": "0",
    "target": "90",
}


def sha256() -> str:
    """The hash of a (fresh) evidence file."""
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


def evidence_body(kind: str = "provider_report", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "evidence": [{"sha256": sha256(), "type": kind}],
        "completed_on": date.today().isoformat(),
        "note": "Confirmed by the provider's case worker.",
    }
    body.update(overrides)
    return body


def visit_body(final: bool = False, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "victim_follow_up",
        "visited_on": date.today().isoformat(),
        "final": final,
        "findings": "The child attends school every day and was not seen at the washing site.",
        "indicator_values": [{**ATTENDANCE, "value": "92"}],
        "recommendations": ["Hand over to the provincial child-protection service."],
    }
    body.update(overrides)
    return body


def proposal_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reason": "remediated",
        "checklist": dict(CHECKLIST),
        "residual_risks": ["Seasonal demand may draw older siblings to the site."],
        "note": "Handed over to provincial child protection for follow-up.",
    }
    body.update(overrides)
    return body


OUTCOME = {
    "how": "informed_via_safe_channel",
    "feedback": "given",
    "note": "Informed through the NGO case worker with the guardian present.",
}


def approved_plan(
    system: System, schooling_due: date | None = None, incident: str | None = None
) -> dict[str, str]:
    """An incident (``incident`` once its response is determined, else a new one) whose plan (an
    immediate-safety removal and a schooling action with an attendance indicator, for one child)
    plan has approved. Keys: incident, victim, guardian, consent, removal, schooling."""
    incident = incident or determined_incident(system)
    ids = prepared_plan(system, incident)
    plan = system.client("plan")
    overrides: dict[str, Any] = {"indicators": [ATTENDANCE]}
    if schooling_due is not None:
        overrides["due_date"] = schooling_due.isoformat()
    schooling = ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/actions",
            json=action_body("education_schooling", ids["victim"], SCHOOL, **overrides),
        ),
        201,
    )
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))
    ok(
        system.client("plan", "approver").post(
            f"/v1/incidents/{incident}/plan/approval", json={"note": "Budget confirmed."}
        )
    )
    return {"incident": incident, **ids, "schooling": str(schooling["action_id"])}


def implementation(system: System, incident: str, who: str = "case_manager") -> dict[str, Any]:
    return ok(system.client("monitoring", who).get(f"/v1/incidents/{incident}/implementation"))


def wait_for_revision(system: System, incident: str, revision: int) -> dict[str, Any]:
    """Monitoring's view once it has adopted ``revision`` of the plan from plan's topic."""
    monitoring = system.client("monitoring")

    def adopted() -> dict[str, Any] | None:
        response = monitoring.get(f"/v1/incidents/{incident}/implementation")
        if response.status_code != 200:
            return None
        view: dict[str, Any] = response.json()
        return view if view["revision"] >= revision else None

    return dict(eventually(adopted))


def adopted_incident(system: System, schooling_due: date | None = None) -> dict[str, str]:
    """``approved_plan`` once monitoring has adopted it (status plan_approved)."""
    ids = approved_plan(system, schooling_due)
    wait_for_revision(system, ids["incident"], 1)
    return ids


def act(
    client: httpx.Client, incident: str, action: str, step: str, body: dict[str, Any]
) -> dict[str, Any]:
    """POST /v1/incidents/{incident}/actions/{action}/{step}, expecting 200."""
    return ok(client.post(f"/v1/incidents/{incident}/actions/{action}/{step}", json=body))


def implementing_incident(system: System) -> dict[str, str]:
    """An incident with an approved plan, adopted by monitoring, and its removal action started
    (status implementing). Keys as :func:`approved_plan`."""
    ids = adopted_incident(system)
    started = act(
        system.client("monitoring", "provider"),
        ids["incident"],
        ids["removal"],
        "start",
        {"started_on": date.today().isoformat(), "note": "Child removed from the pit."},
    )
    assert started["status"] == "implementing", started
    return ids


def completed_implementation(system: System) -> dict[str, str]:
    """``implementing_incident`` with both actions completed with evidence and a final
    monitoring visit recorded: closure may be proposed."""
    ids = implementing_incident(system)
    incident = ids["incident"]
    provider = system.client("monitoring", "provider")
    act(provider, incident, ids["schooling"], "start", {"started_on": date.today().isoformat()})
    act(provider, incident, ids["removal"], "completion", evidence_body("provider_report"))
    act(provider, incident, ids["schooling"], "completion", evidence_body("attendance_record"))
    ok(
        system.client("monitoring", "monitor").post(
            f"/v1/incidents/{incident}/monitoring-visits", json=visit_body(final=True)
        ),
        201,
    )
    return ids


def closed_incident(system: System) -> dict[str, str]:
    """An incident walked to CLOSED through the real APIs: actions completed, final visit,
    closure proposed by the case manager, outcome communicated, the child handed to child
    protection, closure approved by an approver (four eyes). Keys as :func:`approved_plan`."""
    ids = completed_implementation(system)
    incident = ids["incident"]
    cm = system.client("monitoring")
    ok(cm.post(f"/v1/incidents/{incident}/closure-proposal", json=proposal_body()))
    ok(cm.post(f"/v1/incidents/{incident}/outcome-communication", json=OUTCOME))
    ok(
        cm.post(
            f"/v1/incidents/{incident}/victims/{ids['victim']}/child-outcome",
            json={"outcome": "handed_to_child_protection", "note": "File handed over."},
        )
    )
    closed = ok(
        system.client("monitoring", "approver").post(
            f"/v1/incidents/{incident}/closure-approval", json={"note": "Reviewed."}
        )
    )
    assert closed["status"] == "closed", closed
    return ids
