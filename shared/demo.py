"""Demo data: realistic incidents walked through the real HTTP API, one per stage of the
process, so a new installation shows every step and state.

Everything goes through the gateway exactly as a client's calls would: the events are real,
chained, published and projected. The people named here are invented; their names go to the
identity vault like any other. Keys for the tenant ``demo`` are created in the auth database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from shared.auth import ApiKeys
from shared.database import make_engine
from shared.migrations import AUTH_MIGRATIONS, upgrade
from shared.settings import Settings

TENANT = "demo"
ROLES = {
    "case_manager": ["case_manager", "verifier"],
    "approver": ["approver"],
    "provider": ["provider"],
    "monitor": ["monitor"],
}

MAIN_PATH = [
    "received",
    "triaged",
    "under_verification",
    "verified",
    "response_determined",
    "planning",
    "plan_approved",
    "implementing",
    "closure_review",
    "closed",
    "lessons_captured",
]
"""The stages of an incident that goes all the way, in order; each includes the ones before."""

BRANCHES = {
    "on_hold": "triaged",
    "unsubstantiated": "under_verification",
    "not_linked": "under_verification",
    "reopened": "closed",
}
"""Stages off the main path, and the main-path stage they branch from."""

STAGES = MAIN_PATH + list(BRANCHES)
"""One demo incident is seeded for each."""

SITES = [
    ("cobalt", "CD", "KOL-ASM-017", "CID002050", "wfcl_hazardous_work"),
    ("mica", "IN", "KOD-MICA-004", "not_yet_identified", "child_labour_below_minimum_age"),
    ("tin", "RW", "RUB-TIN-021", "CID001070", "debt_bondage"),
    ("gold", "GH", "OBU-GLD-112", "CID000211", "forced_labour"),
    ("tantalum", "CD", "NUM-3T-008", "CID000211", "human_trafficking"),
]


class DemoError(RuntimeError):
    """A call of the walk was refused: the message carries the problem document."""


@dataclass
class Demo:
    """Clients for each role of the demo tenant, all through the gateway."""

    gateway: str
    keys: dict[str, str]
    wait_s: float = 60.0

    def client(self, service: str, role: str = "case_manager") -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.gateway}/{service}",
            headers={"Authorization": f"Bearer {self.keys[role]}"},
            timeout=30,
        )

    def call(
        self, service: str, path: str, body: dict[str, Any], role: str = "case_manager"
    ) -> dict[str, Any]:
        """POST a command; retry while a projection has not yet heard of an earlier step."""
        deadline = time.monotonic() + self.wait_s
        with self.client(service, role) as client:
            while True:
                answer = client.post(path, json=body)
                if answer.is_success:
                    return answer.json() if answer.content else {}
                if time.monotonic() < deadline and _not_yet(answer):
                    time.sleep(0.3)
                    continue
                raise DemoError(f"POST /{service}{path}: {answer.status_code} {answer.text}")

    def get(self, service: str, path: str) -> dict[str, Any]:
        with self.client(service) as client:
            answer = client.get(path)
            if not answer.is_success:
                raise DemoError(f"GET /{service}{path}: {answer.status_code} {answer.text}")
            result: dict[str, Any] = answer.json()
            return result


NOT_YET = ("response-not-determined", "plan-not-adopted", "incident-not-closed", "not-found")


def _not_yet(answer: httpx.Response) -> bool:
    """Problems that mean "another service has not yet heard of an earlier step", not "no".

    Services learn of each other only from the topics, so the next service may answer 404 or
    409 for a moment after the previous one accepted a command."""
    if answer.status_code not in (404, 409):
        return False
    return str(answer.json().get("type", "")).endswith(NOT_YET)


def create_demo_keys(settings: Settings) -> dict[str, str]:
    upgrade(AUTH_MIGRATIONS, settings.auth_url())
    keys = ApiKeys(make_engine(settings.auth_url()))
    return {
        role: keys.create(tenant=TENANT, subject=f"demo-{role}", roles=roles)
        for role, roles in ROLES.items()
    }


def seed_demo(
    gateway: str,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[str, str]]:
    """Create one demo incident per stage; returns (incident id, stage) pairs."""
    demo = Demo(gateway, create_demo_keys(settings))
    seeded: list[tuple[str, str]] = []
    for index, stage in enumerate(STAGES):
        incident = walk(demo, stage, SITES[index % len(SITES)])
        seeded.append((incident, stage))
        if progress is not None:
            progress(index + 1, len(STAGES))
    return seeded


def walk(demo: Demo, stage: str, site: tuple[str, str, str, str, str]) -> str:
    """Take a new incident at ``site`` to ``stage``."""
    incident = _submit(demo, site)
    along = BRANCHES.get(stage, stage)
    reached = MAIN_PATH.index(along)
    ids: dict[str, str] = {}
    for step in MAIN_PATH[1 : reached + 1]:
        STEPS[step](demo, incident, site, ids)
    if stage in BRANCHES:
        BRANCH_STEPS[stage](demo, incident)
    return incident


# --- steps 0-2: intake --------------------------------------------------------------------------
def _submit(demo: Demo, site: tuple[str, str, str, str, str]) -> str:
    mineral, country, site_ref, _cid, abuse = site
    child = abuse.startswith(("wfcl", "child"))
    answer = demo.call(
        "intake",
        "/v1/incidents",
        {
            "channel": "ngo_report",
            "alleged_abuses": [abuse],
            "ilo_indicators": ["withholding_of_wages"],
            "minerals": [mineral],
            "country": country,
            "site_type": "asm",
            "site_ref": site_ref,
            "child_involved": child,
            "immediate_danger": False,
            "summary": f"Workers at {site_ref} describe {abuse.replace('_', ' ')}.",
            "reporter": {
                "relationship": "ngo",
                "anonymity": "confidential",
                "contact": "Demo NGO field office",
                "consent_to_contact": True,
                "retaliation_risk": "medium",
            },
        },
    )
    return str(answer["incident_id"])


def _triage(demo: Demo, incident: str) -> None:
    base = f"/v1/incidents/{incident}"
    demo.call("intake", f"{base}/case-manager", {"case_manager_id": "cm-demo-01"})
    demo.call("intake", f"{base}/duplicate-check", {"duplicates_found": False})
    demo.call("intake", f"{base}/triage", {"credibility": "high"})


def _start_verification(demo: Demo, incident: str) -> None:
    base = f"/v1/incidents/{incident}"
    demo.call(
        "intake",
        f"{base}/verifier",
        {
            "verifier_id": "ver-demo-07",
            "organisation": "Independent Assessors Ltd",
            "conflict_of_interest_declared_none": True,
        },
    )
    demo.call("intake", f"{base}/verification", {})


RATIONALES = {
    "unsubstantiated": "Site visit and interviews did not support the report.",
    "not_linked": "The site sells to no refiner in our supply chain (purchase records checked).",
}


def _finding(demo: Demo, incident: str, finding: str) -> None:
    demo.call(
        "intake",
        f"/v1/incidents/{incident}/finding",
        {
            "finding": finding,
            "rationale": RATIONALES[finding],
            "reporter_notice": "informed_via_safe_channel",
        },
    )


def _verify(demo: Demo, incident: str, site: tuple[str, str, str, str, str]) -> None:
    base = f"/v1/incidents/{incident}"
    sha = hashlib.sha256(f"audit-report-{incident}".encode()).hexdigest()
    demo.call(
        "intake",
        f"{base}/evidence",
        {
            "type": "audit_report",
            "sha256": sha,
            "source_reliability": "B",
            "sensitivity": "confidential",
            "media_type": "application/pdf",
            "size_bytes": 48213,
            "retention_class": "case_file",
            "legal_hold": False,
        },
    )
    evidence = next(
        e["evidence_id"] for e in demo.get("intake", base)["evidence"] if e["sha256"] == sha
    )
    demo.call(
        "intake",
        f"{base}/supply-chain-links",
        {
            "role": "smelter_refiner",
            "entity_ref": "Example Refinery Co.",
            "smelter_cid": site[3],
            "rmi_status": "active",
            "link_confidence": "probable",
            "evidence_refs": [evidence],
        },
    )
    demo.call(
        "intake",
        f"{base}/finding",
        {"finding": "substantiated", "rationale": "Interviews and the audit report agree."},
    )


def _determine_response(demo: Demo, incident: str) -> None:
    base = f"/v1/incidents/{incident}"
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "involvement",
            {"involvement": "directly_linked", "rationale": "We buy from the refiner."},
        ),
        ("leverage", {"leverage": "medium", "basis": "The refiner supplies 15% of our volume."}),
        ("severity", {"scale": 4, "scope": "group", "people_affected": 12, "irremediable": False}),
        (
            "response",
            {
                "response_types": ["immediate_protection", "systemic_supplier"],
                "response_level": "joint_with_supplier",
                "state_process_referral": False,
            },
        ),
        (
            "sourcing-decision",
            {"decision": "continue_with_mitigation", "rationale": "Keep the leverage for remedy."},
        ),
    ]
    for path, body in steps:
        demo.call("intake", f"{base}/{path}", body)
    demo.call("intake", f"{base}/response-approval", {"note": "Budget confirmed."}, "approver")


# --- step 3: plan -------------------------------------------------------------------------------
def _planned(demo: Demo, incident: str, ids: dict[str, str]) -> None:
    """A child victim with guardian, consent and needs, and a complete plan in draft."""
    base = f"/v1/incidents/{incident}"
    today = date.today()
    victim = demo.call(
        "plan",
        f"{base}/victims",
        {
            "age_band": "13_14",
            "age_verified": False,
            "gender": "female",
            "provider_ref": "ngo-demo",
            "contact_status": "reachable",
            "identity": {"full_name": "Demo Child", "contact": "via the NGO field office"},
        },
    )["victim_id"]
    demo.call(
        "plan",
        f"{base}/victims/{victim}/guardian",
        {"relationship": "parent", "identity": {"full_name": "Demo Guardian"}},
    )
    now = datetime.now(UTC)
    demo.call(
        "plan",
        f"{base}/victims/{victim}/consents",
        {
            "given_by": "guardian",
            "purposes": ["service_provision", "case_management"],
            "recipients": ["ngo-demo", "school-demo"],
            "method": "written",
            "language": "fr",
            "interpreter_used": False,
            "given_at": (now - timedelta(minutes=1)).isoformat(),
            "expires_at": (now + timedelta(days=365)).isoformat(),
            "best_interests_note": "School with a family stipend keeps the child out of the pit.",
            "child_views_recorded": True,
        },
    )
    demo.call(
        "plan",
        f"{base}/victims/{victim}/needs-assessments",
        {
            "provider_id": "ngo-demo",
            "assessed_on": today.isoformat(),
            "needs": ["education_schooling", "family_stipend"],
            "risk_level": "high",
        },
    )
    demo.call(
        "plan",
        f"{base}/plan",
        {
            "objectives": ["The child is out of hazardous work and in school"],
            "budget": {"amount": "4000.00", "currency": "USD"},
            "exit_strategy": "Hand over to child protection after two school years.",
        },
    )
    actions = [
        demo.call("plan", f"{base}/plan/actions", _action(category, victim, provider, removes))[
            "action_id"
        ]
        for category, provider, removes in [
            ("immediate_safety", "ngo-demo", True),
            ("education_schooling", "school-demo", False),
        ]
    ]
    demo.call(
        "plan",
        f"{base}/plan/funding",
        {
            "funder_kind": "oem",
            "funder_name": "Demo Electronics Inc.",
            "amount": "4000.00",
            "currency": "USD",
        },
    )
    demo.call(
        "plan",
        f"{base}/plan/consultation",
        {
            "victim_ids": [victim],
            "method": "with_guardian",
            "consulted_on": today.isoformat(),
            "views_recorded": True,
        },
    )
    ids.update(victim=str(victim), safety=str(actions[0]), school=str(actions[1]))


def _approve_plan(demo: Demo, incident: str) -> None:
    base = f"/v1/incidents/{incident}"
    demo.call("plan", f"{base}/plan/submission", {})
    demo.call("plan", f"{base}/plan/approval", {"note": "Budget confirmed."}, "approver")


def _action(category: str, victim: str, provider: str, removes: bool) -> dict[str, Any]:
    return {
        "category": category,
        "beneficiaries": [victim],
        "owner_org": "demo-electronics",
        "provider_id": provider,
        "due_date": (date.today() + timedelta(days=120)).isoformat(),
        "cost": {"amount": "2000.00", "currency": "USD"},
        "purpose": "service_provision",
        "removes_child_from_work": removes,
        "indicators": [],
    }


# --- steps 4-5: monitoring ----------------------------------------------------------------------
def _start_actions(demo: Demo, incident: str, ids: dict[str, str]) -> None:
    today = date.today().isoformat()
    for action in (ids["safety"], ids["school"]):
        demo.call(
            "monitoring",
            f"/v1/incidents/{incident}/actions/{action}/start",
            {"started_on": today, "note": "Started with the provider."},
            "provider",
        )


def _propose_closure(demo: Demo, incident: str, ids: dict[str, str]) -> None:
    base = f"/v1/incidents/{incident}"
    today = date.today().isoformat()
    for action in (ids["safety"], ids["school"]):
        demo.call(
            "monitoring",
            f"{base}/actions/{action}/completion",
            {
                "evidence": [
                    {
                        "sha256": hashlib.sha256(f"{action}-report".encode()).hexdigest(),
                        "type": "provider_report",
                    }
                ],
                "completed_on": today,
                "note": "Completed as planned.",
            },
            "provider",
        )
    demo.call(
        "monitoring",
        f"{base}/monitoring-visits",
        {
            "method": "victim_follow_up",
            "visited_on": today,
            "final": True,
            "findings": "The child attends school; the stipend is paid monthly.",
            "indicator_values": [],
            "recommendations": ["Hand over to child protection."],
        },
        "monitor",
    )
    demo.call(
        "monitoring",
        f"{base}/closure-proposal",
        {"reason": "remediated", "checklist": {"objectives_met": True}, "residual_risks": []},
    )


def _approve_closure(demo: Demo, incident: str, ids: dict[str, str]) -> None:
    base = f"/v1/incidents/{incident}"
    demo.call(
        "monitoring",
        f"{base}/outcome-communication",
        {"how": "informed_via_safe_channel", "feedback": "given"},
    )
    demo.call(
        "monitoring",
        f"{base}/victims/{ids['victim']}/child-outcome",
        {"outcome": "handed_to_child_protection", "note": "Handed to child protection."},
    )
    demo.call("monitoring", f"{base}/closure-approval", {"note": "Reviewed."}, "approver")


# --- step 6: lessons ----------------------------------------------------------------------------
def _capture_lessons(demo: Demo, incident: str) -> None:
    base = f"/v1/incidents/{incident}"
    demo.call(
        "reporting",
        f"{base}/lessons",
        {
            "category": "dd_gap",
            "text": "Refiner audits did not trace material back to the artisanal site.",
            "follow_up_action": "Add site-level traceability checks.",
            "owner": "responsible-sourcing",
            "share_scope": "industry_anonymised",
        },
    )
    demo.call("reporting", f"{base}/lessons-captured", {})


# --- the stages, as steps taken one after the other ---------------------------------------------
Site = tuple[str, str, str, str, str]
Step = Callable[[Demo, str, Site, dict[str, str]], None]

STEPS: dict[str, Step] = {
    "triaged": lambda demo, incident, site, ids: _triage(demo, incident),
    "under_verification": lambda demo, incident, site, ids: _start_verification(demo, incident),
    "verified": lambda demo, incident, site, ids: _verify(demo, incident, site),
    "response_determined": lambda demo, incident, site, ids: _determine_response(demo, incident),
    "planning": lambda demo, incident, site, ids: _planned(demo, incident, ids),
    "plan_approved": lambda demo, incident, site, ids: _approve_plan(demo, incident),
    "implementing": lambda demo, incident, site, ids: _start_actions(demo, incident, ids),
    "closure_review": lambda demo, incident, site, ids: _propose_closure(demo, incident, ids),
    "closed": lambda demo, incident, site, ids: _approve_closure(demo, incident, ids),
    "lessons_captured": lambda demo, incident, site, ids: _capture_lessons(demo, incident),
}


def _put_on_hold(demo: Demo, incident: str) -> None:
    demo.call("intake", f"/v1/incidents/{incident}/hold", {"reason": "state_investigation_request"})


def _reopen(demo: Demo, incident: str) -> None:
    demo.call(
        "monitoring",
        f"/v1/incidents/{incident}/reopening",
        {"reason": "new_evidence", "note": "A new audit found children at the site again."},
    )


BRANCH_STEPS: dict[str, Callable[[Demo, str], None]] = {
    "on_hold": _put_on_hold,
    "unsubstantiated": lambda demo, incident: _finding(demo, incident, "unsubstantiated"),
    "not_linked": lambda demo, incident: _finding(demo, incident, "not_linked"),
    "reopened": _reopen,
}
