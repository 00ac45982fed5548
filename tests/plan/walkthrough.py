"""Step 3 request bodies and helpers shared by the plan tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tests.intake.walkthrough import STEP2, ok, submit, to_verified
from tests.support.system import System, eventually

VICTIM_NAME = "Neema Kasongo-Lumbu"
GUARDIAN_NAME = "Faustin Kasongo-Lumbu"
PROVIDER = "ngo-bondeko"
SCHOOL = "school-kolwezi-3"


def determined_incident(system: System) -> str:
    """An incident walked through intake to RESPONSE_DETERMINED."""
    cm, verifier = system.client("intake"), system.client("intake", "verifier")
    incident = submit(cm)
    to_verified(cm, verifier, incident)
    for path, payload in STEP2:
        ok(cm.post(f"/v1/incidents/{incident}/{path}", json=payload))
    approver = system.client("intake", "approver")
    ok(approver.post(f"/v1/incidents/{incident}/response-approval", json={"note": "Approved."}))
    return incident


def identity(name: str) -> dict[str, Any]:
    return {"full_name": name, "contact": f"{name}, via the NGO field office", "notes": "Swahili"}


def register_child(plan: httpx.Client, incident: str) -> str:
    """Registers a child victim, waiting until plan has heard of the determined response."""
    body = {
        "age_band": "13_14",
        "age_verified": False,
        "gender": "female",
        "provider_ref": PROVIDER,
        "contact_status": "reachable",
        "identity": identity(VICTIM_NAME),
    }

    def attempt() -> str | None:
        response = plan.post(f"/v1/incidents/{incident}/victims", json=body)
        if response.status_code == 409 and "response-not-determined" in response.text:
            return None
        return str(ok(response, 201)["victim_id"])

    return str(eventually(attempt))


def consent_body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "given_by": "guardian",
        "purposes": ["service_provision", "data_sharing_with_provider", "case_management"],
        "recipients": [PROVIDER, SCHOOL],
        "method": "written",
        "language": "sw",
        "interpreter_used": True,
        "given_at": (now - timedelta(minutes=5)).isoformat(),
        "expires_at": (now + timedelta(days=365)).isoformat(),
        "best_interests_note": "Schooling with a family stipend keeps the child out of the pit.",
        "child_views_recorded": True,
    }
    body.update(overrides)
    return body


def action_body(category: str, victim: str, provider: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": category,
        "beneficiaries": [victim],
        "owner_org": "example-electronics",
        "provider_id": provider,
        "due_date": (date.today() + timedelta(days=90)).isoformat(),
        "cost": {"amount": "1800.00", "currency": "USD"},
        "purpose": "service_provision",
        "removes_child_from_work": False,
        "indicators": [],
    }
    body.update(overrides)
    return body


def prepared_plan(system: System, incident: str) -> dict[str, str]:
    """A child victim with guardian, consent, needs assessment, and a complete plan in draft."""
    plan = system.client("plan")
    victim = register_child(plan, incident)
    guardian = ok(
        plan.post(
            f"/v1/incidents/{incident}/victims/{victim}/guardian",
            json={"relationship": "parent", "identity": identity(GUARDIAN_NAME)},
        ),
        201,
    )
    consent = ok(
        plan.post(f"/v1/incidents/{incident}/victims/{victim}/consents", json=consent_body()), 201
    )
    ok(
        plan.post(
            f"/v1/incidents/{incident}/victims/{victim}/needs-assessments",
            json={
                "provider_id": PROVIDER,
                "assessed_on": date.today().isoformat(),
                "needs": ["education_schooling", "family_stipend"],
                "risk_level": "high",
            },
        ),
        201,
    )
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan",
            json={
                "objectives": ["The child is out of hazardous work and in school"],
                "budget": {"amount": "5000.00", "currency": "USD"},
                "exit_strategy": "Hand over to child protection after two school years.",
            },
        ),
        201,
    )
    removal = ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/actions",
            json=action_body("immediate_safety", victim, PROVIDER, removes_child_from_work=True),
        ),
        201,
    )
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/funding",
            json={
                "funder_kind": "oem",
                "funder_name": "Example Electronics Inc.",
                "amount": "5000.00",
                "currency": "USD",
            },
        ),
        201,
    )
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/consultation",
            json={
                "victim_ids": [victim],
                "method": "with_guardian",
                "consulted_on": date.today().isoformat(),
                "views_recorded": True,
            },
        )
    )
    return {
        "victim": victim,
        "guardian": str(guardian["guardian_id"]),
        "consent": str(consent["consent_id"]),
        "removal": str(removal["action_id"]),
    }
