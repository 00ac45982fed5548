"""Request bodies and the steps 1-2 walk, reused by several tests."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx

REPORTER_NAME = "Amani Kabila-Mwamba"


def allegation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "ngo_report",
        "alleged_abuses": ["wfcl_hazardous_work", "debt_bondage"],
        "ilo_indicators": ["debt_bondage", "withholding_of_wages"],
        "minerals": ["cobalt"],
        "country": "CD",
        "site_type": "asm",
        "site_ref": "KOL-ASM-017",
        "alleged_actors": ["Example Minerals Trading SARL"],
        "child_involved": True,
        "immediate_danger": False,
        "summary": f"Children dig ore at the site; {REPORTER_NAME} saw wages withheld.",
        "reporter": {
            "relationship": "ngo",
            "anonymity": "confidential",
            "contact": f"{REPORTER_NAME}, +243 81 555 0101",
            "consent_to_contact": True,
            "retaliation_risk": "high",
        },
    }
    body.update(overrides)
    return body


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def submit(client: httpx.Client, **overrides: Any) -> str:
    return str(ok(client.post("/v1/incidents", json=allegation(**overrides)), 201)["incident_id"])


def to_triaged(cm: httpx.Client, incident: str) -> None:
    ok(cm.post(f"/v1/incidents/{incident}/case-manager", json={"case_manager_id": "cm-0042"}))
    ok(cm.post(f"/v1/incidents/{incident}/duplicate-check", json={"duplicates_found": False}))
    ok(cm.post(f"/v1/incidents/{incident}/triage", json={"credibility": "high"}))


def to_under_verification(cm: httpx.Client, incident: str) -> None:
    to_triaged(cm, incident)
    ok(
        cm.post(
            f"/v1/incidents/{incident}/verifier",
            json={
                "verifier_id": "ver-0007",
                "organisation": "Independent Assessors Ltd",
                "conflict_of_interest_declared_none": True,
            },
        )
    )
    ok(cm.post(f"/v1/incidents/{incident}/verification", json={}))


def attach_evidence_and_link(
    client: httpx.Client, incident: str, confidence: str = "probable"
) -> str:
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    ok(
        client.post(
            f"/v1/incidents/{incident}/evidence",
            json={
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
    )
    return sha


def to_verified(cm: httpx.Client, verifier: httpx.Client, incident: str) -> None:
    to_under_verification(cm, incident)
    sha = attach_evidence_and_link(verifier, incident)
    evidence_id = evidence_id_of(cm, incident, sha)
    ok(
        verifier.post(
            f"/v1/incidents/{incident}/supply-chain-links",
            json={
                "role": "smelter_refiner",
                "entity_ref": "Example Cobalt Refinery Co.",
                "smelter_cid": "CID002050",
                "rmi_status": "active",
                "link_confidence": "probable",
                "evidence_refs": [evidence_id],
            },
        )
    )
    ok(
        verifier.post(
            f"/v1/incidents/{incident}/finding",
            json={
                "finding": "substantiated",
                "rationale": "Interviews and the audit report agree; purchases link the site.",
            },
        )
    )


def evidence_id_of(client: httpx.Client, incident: str, sha: str) -> str:
    state = ok(client.get(f"/v1/incidents/{incident}"))
    return next(str(e["evidence_id"]) for e in state["evidence"] if e["sha256"] == sha)


STEP2 = [
    (
        "involvement",
        {
            "involvement": "directly_linked",
            "rationale": "We buy cobalt from the refinery supplied by the site.",
        },
    ),
    ("leverage", {"leverage": "medium", "basis": "The refinery supplies 15% of our cobalt."}),
    ("severity", {"scale": 4, "scope": "group", "people_affected": 23, "irremediable": False}),
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
        {
            "decision": "continue_with_mitigation",
            "rationale": "Disengaging would end the leverage needed for remedy.",
        },
    ),
]
