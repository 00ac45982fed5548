"""Plan (Step 3) through its real HTTP API, fed by intake's events over the real broker."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from kafka import TopicPartition
from sqlalchemy import select

from shared.auth import ApiKeys
from shared.database import make_engine, read_transaction
from shared.envelope import verify_chain
from shared.kafka import make_consumer, topic_for
from shared.tables import events, vault_records
from tests.intake.walkthrough import ok, submit
from tests.plan.walkthrough import (
    GUARDIAN_NAME,
    SCHOOL,
    VICTIM_NAME,
    action_body,
    determined_incident,
    prepared_plan,
    register_child,
)
from tests.support.system import System, eventually


def code(response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return str(response.json()["type"]).rsplit(":", 1)[-1]


def test_plan_refuses_an_incident_whose_response_is_not_determined(system: System) -> None:
    incident = submit(system.client("intake"))
    plan = system.client("plan")

    def known_but_refused() -> bool:
        response = plan.post(
            f"/v1/incidents/{incident}/victims",
            json={"age_band": "18_plus", "age_verified": True, "contact_status": "reachable"},
        )
        assert response.status_code == 409, response.text
        return code(response) == "response-not-determined"

    assert eventually(known_but_refused)
    assert (
        "response"
        in plan.post(
            f"/v1/incidents/{incident}/plan",
            json={
                "objectives": ["x"],
                "budget": {"amount": "1.00", "currency": "USD"},
                "exit_strategy": "Hand over to child protection services.",
            },
        )
        .json()["detail"]
        .lower()
    )


def test_step_3_walk_to_an_approved_plan_with_four_eyes(system: System) -> None:
    incident = determined_incident(system)
    ids = prepared_plan(system, incident)
    plan = system.client("plan")
    # a child removed from work needs income or schooling in the same plan
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))
    refused = system.client("plan", "approver").post(
        f"/v1/incidents/{incident}/plan/approval", json={"note": "ok"}
    )
    assert refused.status_code == 409 and code(refused) == "removal-without-income-or-schooling"
    rejected = ok(
        system.client("plan", "approver").post(
            f"/v1/incidents/{incident}/plan/rejection",
            json={"reason": "No schooling for the child removed from work."},
        )
    )
    assert rejected["plan_status"] == "rejected"
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/actions",
            json=action_body("education_schooling", ids["victim"], SCHOOL),
        ),
        201,
    )
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))

    both = ApiKeys(make_engine(system.settings.auth_url())).create(
        tenant=system.tenant, subject="case_manager", roles=["approver"]
    )  # the author's own subject
    own = (
        system.services["plan"]
        .client(both)
        .post(f"/v1/incidents/{incident}/plan/approval", json={"note": "mine"})
    )
    assert own.status_code == 409 and code(own) == "approver-is-author"
    approved = ok(
        system.client("plan", "approver").post(
            f"/v1/incidents/{incident}/plan/approval", json={"note": "Budget confirmed."}
        )
    )
    assert approved["status"] == "plan_approved" and approved["plan_status"] == "approved"
    case = ok(plan.get(f"/v1/incidents/{incident}/case"))
    assert case["blocking_approval"] == [] and case["plan"]["revision"] == 1
    names = [e["type"].split(".")[3] for e in ok(plan.get(f"/v1/incidents/{incident}/plan/events"))]
    assert names[0] == "PlanningStarted" and names[-1] == "PlanApproved"
    listed = ok(plan.get("/v1/plans", params={"status": "plan_approved"}))
    assert [(p["incident_id"], p["children"]) for p in listed] == [(incident, 1)]


def test_withdrawn_consent_blocks_dependent_actions_and_approval(system: System) -> None:
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
    withdrawn = ok(
        plan.post(
            f"/v1/incidents/{incident}/consents/{ids['consent']}/withdrawal",
            json={"reason": "victim_request"},
        )
    )
    assert "PlanActionBlocked" in withdrawn["events"]
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))
    refused = system.client("plan", "approver").post(
        f"/v1/incidents/{incident}/plan/approval", json={"note": "ok"}
    )
    assert refused.status_code == 409 and code(refused) == "consent-withdrawn"


def test_identity_reads_need_need_to_know_and_are_recorded(system: System) -> None:
    incident = determined_incident(system)
    ids = prepared_plan(system, incident)
    author, provider = system.client("plan"), system.client("plan", "provider")
    path = f"/v1/incidents/{incident}/people/{ids['victim']}/identity"
    read = ok(author.get(path, params={"purpose": "arrange school enrolment"}))
    assert read["identity"]["full_name"] == VICTIM_NAME and read["erased"] is False
    assert provider.get(path, params={"purpose": "visit"}).status_code == 403
    ok(author.post(f"/v1/incidents/{incident}/need-to-know", json={"subject": "provider"}))
    # a child case: providers never read identities, even when granted
    assert code(provider.get(path, params={"purpose": "visit"})) == "no-need-to-know"
    assert author.get(path).status_code == 422  # a purpose is required
    accessed = [
        e
        for e in ok(author.get(f"/v1/incidents/{incident}/plan/events"))
        if e["type"].endswith("PersonalDataAccessed.v1")
    ]
    assert len(accessed) == 1 and accessed[0]["data"]["purpose"] == "arrange school enrolment"
    assert (
        system.client("plan", "other_tenant").get(path, params={"purpose": "look up"}).status_code
        == 404
    )


def test_erasure_shreds_the_key_keeps_events_and_respects_legal_hold(system: System) -> None:
    incident = determined_incident(system)
    ids = prepared_plan(system, incident)
    plan = system.client("plan")
    person = f"/v1/incidents/{incident}/people/{ids['victim']}"
    ok(plan.post(f"{person}/legal-hold", json={"reason": "criminal_proceedings"}))
    held = plan.delete(f"{person}/identity")
    assert held.status_code == 409 and code(held) == "legal-hold-active"
    ok(plan.post(f"{person}/legal-hold/release", json={"reason": "proceedings_concluded"}))
    events_before = len(ok(plan.get(f"/v1/incidents/{incident}/plan/events")))
    erased = ok(plan.delete(f"{person}/identity"))
    assert erased["events"] == ["PersonalDataErased"]
    read = ok(plan.get(f"{person}/identity", params={"purpose": "check erasure"}))
    assert read == {"person_id": ids["victim"], "erased": True, "identity": None}
    trail = ok(plan.get(f"/v1/incidents/{incident}/plan/events"))
    assert len(trail) == events_before + 2  # erasure and the audited read after it
    assert ok(plan.get(f"/v1/incidents/{incident}/case"))["version"] == len(trail)  # replay works
    guardian = ok(
        plan.get(
            f"/v1/incidents/{incident}/people/{ids['guardian']}/identity",
            params={"purpose": "contact the family"},
        )
    )
    assert guardian["identity"]["full_name"] == GUARDIAN_NAME  # only the victim was shredded


def test_names_never_reach_events_topics_or_logs(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    incident = determined_incident(system)
    prepared_plan(system, incident)
    ok(
        system.client("plan").get(
            f"/v1/incidents/{incident}/people/{prepared_ids(system, incident)}/identity",
            params={"purpose": "enrol in school"},
        )
    )
    engine = make_engine(system.settings.database_url("plan"))
    with read_transaction(engine) as conn:
        stored = " ".join(str(row) for row in conn.execute(select(events)))
        sealed = b"".join(row.ciphertext for row in conn.execute(select(vault_records)))
    assert "PersonalDataAccessed" in stored
    for name in (VICTIM_NAME, GUARDIAN_NAME):
        assert name not in stored and name.encode() not in sealed
        assert name not in caplog.text
    published = topic_bytes(system.settings.kafka_bootstrap, topic_for("plan"), incident)
    assert b"PlanningStarted" in published
    assert VICTIM_NAME.encode() not in published and GUARDIAN_NAME.encode() not in published


def prepared_ids(system: System, incident: str) -> str:
    case = ok(system.client("plan").get(f"/v1/incidents/{incident}/case"))
    return next(iter(case["victims"]))


def topic_bytes(bootstrap: str, topic: str, incident: str, timeout_s: float = 20) -> bytes:
    consumer = make_consumer(bootstrap, None)
    deadline = time.monotonic() + timeout_s
    while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
        time.sleep(0.2)
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    chunks: list[bytes] = []
    while time.monotonic() < deadline:
        batches = consumer.poll(timeout_ms=500)
        chunks.extend(
            r.value + str(r.headers).encode()
            for b in batches.values()
            for r in b
            if r.key == incident.encode()
        )
        if not batches and chunks:
            break
    consumer.close()
    return b"".join(chunks)


def test_tenants_are_isolated(system: System) -> None:
    incident = determined_incident(system)
    register_child(system.client("plan"), incident)
    foreign = system.client("plan", "other_tenant")
    assert foreign.get(f"/v1/incidents/{incident}/case").status_code == 404
    refused = foreign.post(
        f"/v1/incidents/{incident}/victims",
        json={"age_band": "18_plus", "age_verified": True, "contact_status": "reachable"},
    )
    assert refused.status_code == 404
    assert ok(foreign.get("/v1/plans")) == []
    assert system.client("plan", "analyst").get(f"/v1/incidents/{incident}/case").status_code == 403
    assert foreign.get(f"/v1/incidents/{uuid.uuid4()}/case").status_code == 404


def test_the_hash_chain_of_plan_events_verifies(system: System) -> None:
    incident = determined_incident(system)
    prepared_plan(system, incident)
    from shared.envelope import EventEnvelope

    trail = ok(system.client("plan", "auditor").get(f"/v1/incidents/{incident}/plan/events"))
    assert verify_chain([EventEnvelope.from_structured(e) for e in trail]) == []
