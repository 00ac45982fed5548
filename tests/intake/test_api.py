"""Intake through its real HTTP API, with the real store and the real broker."""

from __future__ import annotations

import threading
import uuid

from tests.intake.conftest import IntakeUnderTest
from tests.intake.walkthrough import (
    STEP2,
    allegation,
    attach_evidence_and_link,
    evidence_id_of,
    ok,
    submit,
    to_triaged,
    to_under_verification,
    to_verified,
)

PROBLEM = "application/problem+json"


def problem_code(response) -> str:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    return str(response.json()["type"]).rsplit(":", 1)[-1]


def test_full_walk_through_steps_1_and_2(intake: IntakeUnderTest) -> None:
    reporter, cm = intake.client("reporter"), intake.client("case_manager")
    verifier, approver = intake.client("verifier"), intake.client("approver")
    created = cm.post("/v1/incidents", json=allegation())  # a case manager may submit too
    body = ok(created, 201)
    incident = body["incident_id"]
    assert created.headers["ETag"] == '"2"' and created.headers["Location"].endswith(incident)
    assert body["status"] == "received" and body["reference"].startswith("INC-")
    assert ok(reporter.post("/v1/incidents", json=allegation()), 201)["status"] == "received"

    to_verified(cm, verifier, incident)
    assert ok(cm.get(f"/v1/incidents/{incident}"))["status"] == "verified"
    for path, payload in STEP2:
        ok(cm.post(f"/v1/incidents/{incident}/{path}", json=payload))
    approved = ok(
        approver.post(
            f"/v1/incidents/{incident}/response-approval",
            json={"note": "Budget and owner confirmed."},
        )
    )
    assert approved["status"] == "response_determined"
    state = ok(cm.get(f"/v1/incidents/{incident}"))
    assert state["sourcing"]["decision"] == "continue_with_mitigation"
    events = ok(intake.client("auditor").get(f"/v1/incidents/{incident}/events"))
    names = [e["type"].split(".")[3] for e in events]
    assert names[:2] == ["AllegationReceived", "ReporterRegistered"]
    assert names[-1] == "ResponseDeterminationApproved"
    assert [e["streamversion"] for e in events] == list(range(1, len(events) + 1))
    listed = ok(cm.get("/v1/incidents", params={"status": "response_determined"}))
    assert [item["incident_id"] for item in listed["items"]] == [incident]


def test_each_guard_refuses_with_a_409_naming_what_is_missing(intake: IntakeUnderTest) -> None:
    cm, verifier, approver = intake.client(), intake.client("verifier"), intake.client("approver")
    incident = submit(cm)
    refused = cm.post(f"/v1/incidents/{incident}/triage", json={"credibility": "high"})
    assert refused.status_code == 409 and problem_code(refused) == "case-manager-not-assigned"
    ok(cm.post(f"/v1/incidents/{incident}/case-manager", json={"case_manager_id": "cm-1"}))
    refused = cm.post(f"/v1/incidents/{incident}/triage", json={"credibility": "high"})
    assert refused.status_code == 409 and "duplicate" in refused.json()["detail"].lower()

    danger = submit(cm, immediate_danger=True)
    to_triaged(cm, danger)
    ok(
        cm.post(
            f"/v1/incidents/{danger}/verifier",
            json={
                "verifier_id": "v-1",
                "organisation": "Assessors",
                "conflict_of_interest_declared_none": True,
            },
        )
    )
    refused = cm.post(f"/v1/incidents/{danger}/verification", json={})
    assert refused.status_code == 409 and "protect" in refused.json()["detail"].lower()
    ok(
        cm.post(
            f"/v1/incidents/{danger}/protection-actions",
            json={"measure": "removal_from_work", "provider_ref": "IOM Kinshasa"},
        )
    )
    ok(cm.post(f"/v1/incidents/{danger}/verification", json={}))

    finding = {
        "finding": "substantiated",
        "rationale": "Interview records and the audit report agree.",
    }
    refused = verifier.post(f"/v1/incidents/{danger}/finding", json=finding)
    assert refused.status_code == 409 and "evidence" in refused.json()["detail"].lower()
    sha = attach_evidence_and_link(verifier, danger)
    refused = verifier.post(f"/v1/incidents/{danger}/finding", json=finding)
    assert refused.status_code == 409 and "link" in refused.json()["detail"].lower()
    ok(
        verifier.post(
            f"/v1/incidents/{danger}/supply-chain-links",
            json={
                "role": "smelter_refiner",
                "entity_ref": "Refinery",
                "smelter_cid": "CID000211",
                "rmi_status": "conformant",
                "link_confidence": "probable",
                "evidence_refs": [evidence_id_of(cm, danger, sha)],
            },
        )
    )
    ok(verifier.post(f"/v1/incidents/{danger}/finding", json=finding))

    refused = approver.post(f"/v1/incidents/{danger}/response-approval", json={"note": "ok"})
    assert refused.status_code == 409 and problem_code(refused) != "wrong-status"
    for path, payload in STEP2[:4]:
        ok(cm.post(f"/v1/incidents/{danger}/{path}", json=payload))
    refused = approver.post(f"/v1/incidents/{danger}/response-approval", json={"note": "ok"})
    assert refused.status_code == 409 and "sourcing" in refused.json()["detail"].lower()


def test_unsubstantiated_path_requires_telling_a_contactable_reporter(
    intake: IntakeUnderTest,
) -> None:
    cm, verifier = intake.client(), intake.client("verifier")
    incident = submit(cm)
    to_under_verification(cm, incident)
    finding = {
        "finding": "unsubstantiated",
        "rationale": "The site was closed before the alleged period; records confirm it.",
        "reporter_notice": "not_contactable",
    }
    refused = verifier.post(f"/v1/incidents/{incident}/finding", json=finding)
    assert refused.status_code == 409
    finding["reporter_notice"] = "informed_via_safe_channel"
    assert (
        ok(verifier.post(f"/v1/incidents/{incident}/finding", json=finding))["status"]
        == "unsubstantiated"
    )


def test_invalid_input_gets_a_422_problem_and_stores_nothing(intake: IntakeUnderTest) -> None:
    cm, verifier = intake.client(), intake.client("verifier")
    bad_cid = cm.post("/v1/incidents", json=allegation(country="Congo"))
    assert bad_cid.status_code == 422 and problem_code(bad_cid) == "invalid-request"
    assert "Amani" not in bad_cid.text  # never echo submitted values back
    malformed = cm.post(
        "/v1/incidents", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422 and problem_code(malformed) == "malformed-json"
    incident = submit(cm)
    to_under_verification(cm, incident)
    wrong_cid = verifier.post(
        f"/v1/incidents/{incident}/supply-chain-links",
        json={
            "role": "smelter_refiner",
            "entity_ref": "Refinery",
            "smelter_cid": "CID12",
            "rmi_status": "active",
            "link_confidence": "probable",
            "evidence_refs": [],
        },
    )
    assert wrong_cid.status_code == 422
    too_big = cm.post(
        "/v1/incidents", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert too_big.status_code == 413 and problem_code(too_big) == "payload-too-large"
    assert ok(cm.get(f"/v1/incidents/{incident}"))["version"] == 7
    unknown = cm.post(f"/v1/incidents/{uuid.uuid4()}/triage", json={"credibility": "low"})
    assert unknown.status_code == 404 and problem_code(unknown) == "not-found"


def test_a_concurrent_write_loses_with_409_and_no_update_is_lost(intake: IntakeUnderTest) -> None:
    cm = intake.client()
    incident = submit(cm)
    results: list[int] = []
    barrier = threading.Barrier(6)

    def assign(i: int) -> None:
        client = intake.client()
        barrier.wait()
        response = client.post(
            f"/v1/incidents/{incident}/case-manager",
            json={"case_manager_id": f"cm-{i}"},
            headers={"If-Match": '"2"'},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=assign, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [412] * 5
    assert ok(cm.get(f"/v1/incidents/{incident}"))["version"] == 3
    stale = cm.post(
        f"/v1/incidents/{incident}/case-manager",
        json={"case_manager_id": "cm-x"},
        headers={"If-Match": '"2"'},
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 3


def test_racing_writers_without_if_match_get_409_not_a_lost_update(intake: IntakeUnderTest) -> None:
    """Writers that read the same version and append concurrently: the store lets one win."""
    cm = intake.client()
    incident = submit(cm)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def flag() -> None:
        client = intake.client()
        barrier.wait()
        statuses.append(
            client.post(
                f"/v1/incidents/{incident}/immediate-danger",
                json={"reason": "child_in_hazardous_work"},
            ).status_code
        )

    threads = [threading.Thread(target=flag) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 409} and 200 in statuses
    events = ok(intake.client("auditor").get(f"/v1/incidents/{incident}/events"))
    assert len(events) == 2 + statuses.count(200)  # every 200 is an event, every 409 none


def test_a_retried_idempotency_key_returns_the_first_response(intake: IntakeUnderTest) -> None:
    reporter, cm = intake.client("reporter"), intake.client()
    headers = {"Idempotency-Key": "portal-42-submission-7"}
    first = reporter.post("/v1/incidents", json=allegation(), headers=headers)
    second = reporter.post("/v1/incidents", json=allegation(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and first.headers["ETag"] == second.headers["ETag"]
    assert len(ok(cm.get("/v1/incidents"))["items"]) == 1
    reused = reporter.post("/v1/incidents", json=allegation(country="RW"), headers=headers)
    assert reused.status_code == 422 and problem_code(reused) == "idempotency-key-reused"


def test_concurrent_retries_with_one_key_create_one_incident(intake: IntakeUnderTest) -> None:
    statuses, bodies = [], []
    barrier = threading.Barrier(5)

    def send() -> None:
        client = intake.client("reporter")
        barrier.wait()
        response = client.post(
            "/v1/incidents", json=allegation(), headers={"Idempotency-Key": "same"}
        )
        statuses.append(response.status_code)
        bodies.append(response.json()["incident_id"])

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 5 and len(set(bodies)) == 1
    assert len(ok(intake.client().get("/v1/incidents"))["items"]) == 1


def test_batch_submission_is_idempotent_per_item(intake: IntakeUnderTest) -> None:
    reporter = intake.client("reporter")
    batch = {
        "allegations": [allegation(), allegation(country="RW", minerals=["tin"]), allegation()]
    }
    batch["allegations"][2]["reporter"] = {
        "relationship": "co_worker",
        "anonymity": "anonymous",
        "consent_to_contact": False,
        "retaliation_risk": "high",
    }
    first = ok(reporter.post("/v1/incidents/batch", json=batch, headers={"Idempotency-Key": "b-1"}))
    again = ok(reporter.post("/v1/incidents/batch", json=batch, headers={"Idempotency-Key": "b-1"}))
    assert [r["status"] for r in first["results"]] == [201, 201, 201]
    assert first == again
    assert first["results"][2]["result"]["reply_token"]
    assert len(ok(intake.client().get("/v1/incidents"))["items"]) == 3
    tin = ok(intake.client().get("/v1/incidents", params={"mineral": "tin"}))["items"]
    assert [i["country"] for i in tin] == ["RW"]


def test_anonymous_reporter_follows_up_with_the_reply_token(intake: IntakeUnderTest) -> None:
    reporter = intake.client("reporter")
    anonymous = allegation(
        reporter={
            "relationship": "co_worker",
            "anonymity": "anonymous",
            "consent_to_contact": False,
            "retaliation_risk": "high",
        }
    )
    body = ok(reporter.post("/v1/incidents", json=anonymous), 201)
    token = body["reply_token"]
    status = ok(reporter.get("/v1/reports/status", headers={"Reply-Token": token}))
    assert status == {
        "reference": body["reference"],
        "status": "received",
        "updated_at": status["updated_at"],
    }
    assert reporter.get("/v1/reports/status", headers={"Reply-Token": "x" * 32}).status_code == 404
    foreign = intake.client("other_tenant")
    assert foreign.get("/v1/reports/status", headers={"Reply-Token": token}).status_code == 404
    assert reporter.get("/v1/reports/status").status_code == 422


def test_another_tenant_gets_404_and_roles_are_enforced(intake: IntakeUnderTest) -> None:
    cm, foreign = intake.client(), intake.client("other_tenant")
    incident = submit(cm)
    assert foreign.get(f"/v1/incidents/{incident}").status_code == 404
    assert foreign.get(f"/v1/incidents/{incident}/events").status_code == 404
    refused = foreign.post(f"/v1/incidents/{incident}/case-manager", json={"case_manager_id": "x"})
    assert refused.status_code == 404
    assert ok(foreign.get("/v1/incidents"))["items"] == []
    link = cm.post(
        f"/v1/incidents/{incident}/duplicates", json={"other_incident_id": submit(foreign)}
    )
    assert link.status_code == 404
    reporter = intake.client("reporter")
    assert reporter.get(f"/v1/incidents/{incident}").status_code == 403
    assert intake.client("analyst").get("/v1/incidents").status_code == 403
    assert (
        intake.client("verifier")
        .post(f"/v1/incidents/{incident}/response-approval", json={"note": "x"})
        .status_code
        == 403
    )
    assert intake.service.client().get("/v1/incidents").status_code == 401
    assert intake.service.client("rk_nope_nope").get("/v1/incidents").status_code == 401


def test_cursor_pagination_walks_every_incident_once(intake: IntakeUnderTest) -> None:
    cm = intake.client()
    created = {submit(cm) for _ in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = ok(cm.get("/v1/incidents", params=params))
        seen.extend(item["incident_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and set(seen) == created
    assert cm.get("/v1/incidents", params={"cursor": "!!"}).status_code == 422


def test_ops_endpoints(intake: IntakeUnderTest) -> None:
    client = intake.service.client()
    assert ok(client.get("/healthz")) == {"status": "alive"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "remedium_events_appended_total" in metrics.text
    spec = ok(client.get("/openapi.json"))
    submit_op = spec["paths"]["/v1/incidents"]["post"]
    assert "examples" in str(spec["components"]["schemas"]["SubmitAllegation"])
    assert "422" in submit_op["responses"]
