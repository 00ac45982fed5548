"""Monitoring (Steps 4-5) through its real HTTP API, with the real store, fed by intake's and
plan's events over the real broker."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from kafka import TopicPartition

from shared.auth import ApiKeys
from shared.database import make_engine
from shared.envelope import EventEnvelope, verify_chain
from shared.kafka import make_consumer, topic_for
from tests.intake.walkthrough import ok, submit
from tests.monitoring.walkthrough import (
    OUTCOME,
    act,
    adopted_incident,
    approved_plan,
    closed_incident,
    completed_implementation,
    evidence_body,
    implementation,
    implementing_incident,
    proposal_body,
    visit_body,
    wait_for_revision,
)
from tests.plan.walkthrough import SCHOOL, action_body, determined_incident
from tests.support.system import System, eventually

TODAY = date.today().isoformat()


def code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return str(response.json()["type"]).rsplit(":", 1)[-1]


def refused(response: httpx.Response, status: int, expected: str) -> None:
    assert response.status_code == status, response.text
    assert code(response) == expected, response.text


def event_names(system: System, incident: str) -> list[str]:
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    return [str(e["type"]).split(".")[3] for e in trail]


def actions_of(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(k): v for k, v in view["actions"].items()}


# --- adoption --------------------------------------------------------------------------------
def test_monitoring_adopts_the_approved_plan_from_plans_topic(system: System) -> None:
    incident = determined_incident(system)
    monitoring = system.client("monitoring")
    refused(monitoring.get(f"/v1/incidents/{incident}/implementation"), 404, "not-found")

    ids = approved_plan(system, incident=incident)
    view = wait_for_revision(system, incident, 1)
    assert view["status"] == "plan_approved" and view["revision"] == 1
    assert view["child_involved"] is True and view["victim_ids"] == [ids["victim"]]
    actions = actions_of(view)
    assert set(actions) == {ids["removal"], ids["schooling"]}
    assert {a["status"] for a in actions.values()} == {"planned"}
    assert actions[ids["schooling"]]["provider_id"] == SCHOOL
    assert view["blocking_closure"] == [
        "closure-not-proposed",
        "actions-not-finished",
        "final-visit-missing",
        "child-case-outcome-missing",
    ]
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    assert [e["type"].split(".")[3] for e in trail] == ["PlanAdopted"]
    assert trail[0]["actor"] == "system:plan-adoption"
    board = ok(monitoring.get("/v1/actions", params={"owner_org": "example-electronics"}))
    assert {a["action_id"] for a in board if a["incident_id"] == incident} == set(actions)


# --- step 4: the action lifecycle -----------------------------------------------------------
def test_action_lifecycle_start_progress_block_complete_cancel(system: System) -> None:
    ids = implementing_incident(system)
    incident, removal, schooling = ids["incident"], ids["removal"], ids["schooling"]
    provider = system.client("monitoring", "provider")
    cm = system.client("monitoring")

    progress = {"percent": 40, "code": "on_track", "note": "Child is at the transit centre."}
    assert act(provider, incident, removal, "progress", progress)["events"] == [
        "ActionProgressReported"
    ]
    refused(
        provider.post(f"/v1/incidents/{incident}/actions/{schooling}/progress", json=progress),
        409,
        "action-not-started",
    )
    refused(
        provider.post(
            f"/v1/incidents/{incident}/actions/{removal}/start", json={"started_on": TODAY}
        ),
        409,
        "action-already-started",
    )
    future = (date.today() + timedelta(days=2)).isoformat()
    refused(
        provider.post(
            f"/v1/incidents/{incident}/actions/{schooling}/start", json={"started_on": future}
        ),
        422,
        "started-in-future",
    )

    act(provider, incident, schooling, "block", {"reason": "funding_delayed", "note": "Bank."})
    assert actions_of(implementation(system, incident))[schooling]["status"] == "blocked"
    refused(
        provider.post(
            f"/v1/incidents/{incident}/actions/{schooling}/start", json={"started_on": TODAY}
        ),
        409,
        "action-blocked",
    )
    act(provider, incident, schooling, "unblock", {"note": "Funds released."})
    act(provider, incident, schooling, "start", {"started_on": TODAY})

    no_evidence = provider.post(
        f"/v1/incidents/{incident}/actions/{removal}/completion",
        json=evidence_body(evidence=[]),
    )
    assert no_evidence.status_code == 422, no_evidence.text
    refused(
        provider.post(
            f"/v1/incidents/{incident}/actions/{removal}/completion",
            json=evidence_body("photo"),
        ),
        422,
        "photo-in-child-case",
    )
    evidence = evidence_body("provider_report")
    act(provider, incident, removal, "completion", evidence)
    refused(
        provider.post(f"/v1/incidents/{incident}/actions/{removal}/progress", json=progress),
        409,
        "action-completed",
    )

    cancel = {"reason": "The family moved and enrolled the child in another school."}
    refused(
        provider.post(f"/v1/incidents/{incident}/actions/{schooling}/cancellation", json=cancel),
        403,
        "forbidden",
    )
    short = cm.post(
        f"/v1/incidents/{incident}/actions/{schooling}/cancellation", json={"reason": "moved"}
    )
    assert short.status_code == 422, short.text
    act(cm, incident, schooling, "cancellation", cancel)

    actions = actions_of(implementation(system, incident))
    assert actions[removal]["status"] == "completed" and actions[removal]["percent"] == 100
    assert actions[removal]["evidence"] == evidence["evidence"]
    assert actions[schooling]["status"] == "cancelled"
    assert actions[schooling]["cancel_reason"] == cancel["reason"]
    assert event_names(system, incident) == [
        "PlanAdopted",
        "ActionStarted",
        "ActionProgressReported",
        "ActionBlocked",
        "ActionUnblocked",
        "ActionStarted",
        "ActionCompleted",
        "ActionCancelled",
    ]


def test_unknown_action_is_404(system: System) -> None:
    ids = adopted_incident(system)
    refused(
        system.client("monitoring", "provider").post(
            f"/v1/incidents/{ids['incident']}/actions/{uuid.uuid4()}/start",
            json={"started_on": TODAY},
        ),
        404,
        "action-not-found",
    )


# --- plan revisions from plan's events ------------------------------------------------------
def test_a_new_plan_revision_is_adopted_with_added_and_dropped_actions(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    plan = system.client("plan")
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/revisions",
            json={"reason": "Monitoring found the stipend is needed to keep the child in school."},
        )
    )
    stipend = ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/actions",
            json=action_body("family_stipend", ids["victim"], "ngo-bondeko"),
        ),
        201,
    )["action_id"]
    ok(
        plan.post(
            f"/v1/incidents/{incident}/plan/actions/{ids['schooling']}/removal",
            json={"reason": "Schooling is now paid by the provincial programme."},
        )
    )
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))
    ok(
        system.client("plan", "approver").post(
            f"/v1/incidents/{incident}/plan/approval", json={"note": "Revision 2 approved."}
        )
    )

    view = wait_for_revision(system, incident, 2)
    actions = actions_of(view)
    assert view["status"] == "implementing"
    assert actions[stipend]["status"] == "planned" and actions[stipend]["revision"] == 2
    assert actions[ids["schooling"]]["status"] == "cancelled"
    assert actions[ids["schooling"]]["cancel_reason"] == "removed_in_revision"
    assert actions[ids["removal"]]["status"] == "in_progress"
    assert event_names(system, incident)[-2:] == ["PlanRevisionAdopted", "ActionCancelled"]


def test_a_plan_suspension_suspends_live_actions_until_a_new_revision(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    plan = system.client("plan")
    reason = {"reason": "A labour inspection asks that no one approach the site for now."}
    assert (
        system.client("plan", "provider")
        .post(f"/v1/incidents/{incident}/plan/suspension", json=reason)
        .status_code
        == 403
    )
    ok(plan.post(f"/v1/incidents/{incident}/plan/suspension", json=reason))
    again = plan.post(f"/v1/incidents/{incident}/plan/suspension", json=reason)
    assert again.status_code == 409 and again.json()["type"].endswith("plan-not-approved")

    def suspended() -> dict[str, Any] | None:
        view = implementation(system, incident)
        return view if view["plan_suspended"] else None

    view = eventually(suspended)
    assert view["plan_suspension_reason"] == reason["reason"]
    actions = actions_of(view)
    assert {actions[ids["removal"]]["status"], actions[ids["schooling"]]["status"]} == {"suspended"}
    refused = system.client("monitoring", "provider").post(
        f"/v1/incidents/{incident}/actions/{ids['schooling']}/start",
        json={"started_on": date.today().isoformat()},
    )
    assert refused.status_code == 409

    ok(plan.post(f"/v1/incidents/{incident}/plan/revisions", json={"reason": "Inspection over."}))
    ok(plan.post(f"/v1/incidents/{incident}/plan/submission", json={}))
    ok(
        system.client("plan", "approver").post(
            f"/v1/incidents/{incident}/plan/approval", json={"note": "Work may resume."}
        )
    )
    resumed = wait_for_revision(system, incident, 2)
    assert resumed["plan_suspended"] is False
    actions = actions_of(resumed)
    assert actions[ids["removal"]]["status"] == "in_progress"
    assert actions[ids["schooling"]]["status"] == "planned"
    assert "PlanSuspensionNoted" in event_names(system, incident)


# --- monitoring visits and indicators --------------------------------------------------------
def test_monitoring_visit_and_indicator_values(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    monitor = system.client("monitoring", "monitor")
    visit = ok(monitor.post(f"/v1/incidents/{incident}/monitoring-visits", json=visit_body()), 201)
    assert visit["events"] == ["MonitoringVisitRecorded"] and visit["report_id"]
    ok(
        monitor.post(
            f"/v1/incidents/{incident}/indicators",
            json={
                "action_id": ids["schooling"],
                "name": "School attendance",
                "unit": "percent of school days",
                "baseline": "0",
                "target": "90",
                "value": "75.5",
                "measured_on": TODAY,
            },
        )
    )
    refused(
        monitor.post(
            f"/v1/incidents/{incident}/indicators",
            json={
                "action_id": str(uuid.uuid4()),
                "name": "School attendance",
                "unit": "percent",
                "target": "90",
                "value": "75",
                "measured_on": TODAY,
            },
        ),
        422,
        "action-unknown",
    )
    future = (date.today() + timedelta(days=1)).isoformat()
    refused(
        monitor.post(
            f"/v1/incidents/{incident}/monitoring-visits", json=visit_body(visited_on=future)
        ),
        422,
        "visited-in-future",
    )
    view = implementation(system, incident)
    assert view["visits"] == [
        {
            "report_id": visit["report_id"],
            "method": "victim_follow_up",
            "visited_on": TODAY,
            "final": False,
        }
    ]
    assert view["final_report_id"] is None
    [measurement] = view["measurements"]
    assert measurement["action_id"] == ids["schooling"]
    assert (measurement["baseline"], measurement["target"], measurement["value"]) == (
        "0",
        "90",
        "75.5",
    )
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    recorded = next(e for e in trail if e["type"].endswith(".MonitoringVisitRecorded.v1"))
    assert recorded["data"]["indicator_values"][0]["value"] == "92"


# --- safety --------------------------------------------------------------------------------
def test_safety_concern_priority_handling_and_suspension_of_exposing_actions(
    system: System,
) -> None:
    ids = implementing_incident(system)
    incident, removal, schooling = ids["incident"], ids["removal"], ids["schooling"]
    verifier = system.client("monitoring", "verifier")
    raised = ok(
        verifier.post(
            f"/v1/incidents/{incident}/safety-concerns",
            json={
                "kind": "threat_or_intimidation",
                "severity": "high",
                "victim_id": ids["victim"],
                "suspend_action_ids": [removal],
                "note": "Site foreman asked the family who spoke to the auditors.",
            },
        ),
        201,
    )
    assert raised["events"] == ["SafetyConcernRaised", "ActionSuspendedForSafety"]
    view = implementation(system, incident)
    assert view["priority"] is True
    assert actions_of(view)[removal]["status"] == "suspended"
    assert actions_of(view)[schooling]["status"] == "planned"

    provider = system.client("monitoring", "provider")
    refused(
        provider.post(
            f"/v1/incidents/{incident}/actions/{removal}/progress",
            json={"percent": 50, "code": "on_track"},
        ),
        409,
        "action-suspended",
    )
    refused(
        verifier.post(
            f"/v1/incidents/{incident}/safety-concerns",
            json={"kind": "violence", "severity": "high", "victim_id": str(uuid.uuid4())},
        ),
        422,
        "victim-unknown",
    )
    concern = raised["concern_id"]
    resolution = {"resolution": "Family relocated by the NGO; the foreman was removed."}
    refused(
        provider.post(
            f"/v1/incidents/{incident}/safety-concerns/{concern}/resolution", json=resolution
        ),
        403,
        "forbidden",
    )
    cm = system.client("monitoring")
    ok(cm.post(f"/v1/incidents/{incident}/safety-concerns/{concern}/resolution", json=resolution))
    refused(
        cm.post(f"/v1/incidents/{incident}/safety-concerns/{concern}/resolution", json=resolution),
        409,
        "concern-already-resolved",
    )
    view = implementation(system, incident)
    assert view["priority"] is False
    assert actions_of(view)[removal]["status"] == "in_progress"
    act(provider, incident, removal, "progress", {"percent": 50, "code": "on_track"})


def test_retaliation_puts_the_case_into_priority_handling(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    reported = ok(
        system.client("monitoring", "monitor").post(
            f"/v1/incidents/{incident}/retaliation-reports",
            json={"against": "reporter", "kind": "dismissal", "note": "Contract not renewed."},
        ),
        201,
    )
    assert reported["events"] == ["RetaliationReported"] and reported["status"] == "implementing"
    assert implementation(system, incident)["priority"] is True


def test_retaliation_reopens_a_closed_incident(system: System) -> None:
    ids = closed_incident(system)
    incident = ids["incident"]
    reported = ok(
        system.client("monitoring", "provider").post(
            f"/v1/incidents/{incident}/retaliation-reports",
            json={"against": "victim", "kind": "threats"},
        ),
        201,
    )
    assert reported["events"] == ["RetaliationReported", "IncidentReopened"]
    view = implementation(system, incident)
    assert view["status"] == "reopened" and view["priority"] is True
    assert view["reopen_count"] == 1


# --- step 5: closure guards ------------------------------------------------------------------
def test_each_closure_guard_refuses_naming_what_is_missing(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    cm = system.client("monitoring")
    approver = system.client("monitoring", "approver")
    provider = system.client("monitoring", "provider")
    propose = f"/v1/incidents/{incident}/closure-proposal"
    approve = f"/v1/incidents/{incident}/closure-approval"

    refused(approver.post(approve, json={}), 409, "closure-not-proposed")
    refused(cm.post(propose, json=proposal_body()), 409, "actions-not-finished")
    act(provider, incident, ids["removal"], "completion", evidence_body())
    act(
        cm,
        incident,
        ids["schooling"],
        "cancellation",
        {"reason": "The victim declined schooling and chose vocational training."},
    )
    refused(cm.post(propose, json=proposal_body()), 409, "final-visit-missing")
    ok(
        system.client("monitoring", "monitor").post(
            f"/v1/incidents/{incident}/monitoring-visits", json=visit_body(final=True)
        ),
        201,
    )

    checklist = {"objectives_met": True, "supplier_corrective_actions_verified": False}
    assert ok(cm.post(propose, json=proposal_body(checklist=checklist)))["status"] == (
        "closure_review"
    )
    refused(cm.post(propose, json=proposal_body()), 409, "closure-already-proposed")
    refused(cm.post(approve, json={}), 403, "forbidden")
    refused(approver.post(approve, json={}), 409, "checklist-incomplete")
    rejected = ok(
        approver.post(
            f"/v1/incidents/{incident}/closure-rejection",
            json={"reason": "The supplier's corrective action is not verified by an audit."},
        )
    )
    assert rejected["status"] == "implementing"
    ok(cm.post(propose, json=proposal_body(reason="victim_declined")))

    concern = ok(
        provider.post(
            f"/v1/incidents/{incident}/safety-concerns",
            json={"kind": "re_trafficking_risk", "severity": "medium"},
        ),
        201,
    )["concern_id"]
    assert implementation(system, incident)["blocking_closure"] == [
        "safety-concern-open",
        "outcome-not-communicated",
        "child-case-outcome-missing",
    ]
    refused(approver.post(approve, json={}), 409, "safety-concern-open")
    ok(
        cm.post(
            f"/v1/incidents/{incident}/safety-concerns/{concern}/resolution",
            json={"resolution": "The recruiter left the area; the family is in contact."},
        )
    )
    refused(approver.post(approve, json={}), 409, "outcome-not-communicated")
    impossible = cm.post(
        f"/v1/incidents/{incident}/outcome-communication",
        json={"how": "impossible_documented", "feedback": "given"},
    )
    assert impossible.status_code == 422, impossible.text
    ok(cm.post(f"/v1/incidents/{incident}/outcome-communication", json=OUTCOME))
    refused(approver.post(approve, json={}), 409, "child-case-outcome-missing")
    refused(
        cm.post(
            f"/v1/incidents/{incident}/victims/{uuid.uuid4()}/child-outcome",
            json={"outcome": "goal_reached"},
        ),
        404,
        "victim-not-found",
    )
    ok(
        cm.post(
            f"/v1/incidents/{incident}/victims/{ids['victim']}/child-outcome",
            json={"outcome": "goal_reached", "note": "Enrolled in vocational training."},
        )
    )
    assert implementation(system, incident)["blocking_closure"] == []
    closed = ok(approver.post(approve, json={"note": "Reviewed with the committee."}))
    assert closed["events"] == ["ClosureApproved", "IncidentClosed"]
    view = implementation(system, incident)
    assert view["status"] == "closed" and view["closure_reason"] == "victim_declined"
    assert view["approved_by"] == "approver" and view["closed_at"]


def test_closure_needs_four_eyes(system: System) -> None:
    ids = completed_implementation(system)
    incident = ids["incident"]
    keys = ApiKeys(make_engine(system.settings.auth_url()))
    both = keys.create(
        tenant=system.tenant, subject="cm-and-approver", roles=["case_manager", "approver"]
    )
    dual = system.services["monitoring"].client(both)
    ok(dual.post(f"/v1/incidents/{incident}/closure-proposal", json=proposal_body()))
    ok(dual.post(f"/v1/incidents/{incident}/outcome-communication", json=OUTCOME))
    ok(
        dual.post(
            f"/v1/incidents/{incident}/victims/{ids['victim']}/child-outcome",
            json={"outcome": "handed_to_child_protection"},
        )
    )
    refused(
        dual.post(f"/v1/incidents/{incident}/closure-approval", json={}),
        409,
        "approver-is-proposer",
    )
    closed = ok(
        system.client("monitoring", "approver").post(
            f"/v1/incidents/{incident}/closure-approval", json={}
        )
    )
    assert closed["status"] == "closed"


# --- step 5: appeals and reopening ----------------------------------------------------------
def test_appeal_then_reopening_and_closing_again(system: System) -> None:
    ids = closed_incident(system)
    incident = ids["incident"]
    cm = system.client("monitoring")
    reopen = f"/v1/incidents/{incident}/reopening"
    refused(cm.post(reopen, json={"reason": "appeal"}), 409, "appeal-not-received")
    refused(
        system.client("monitoring", "provider").post(
            f"/v1/incidents/{incident}/actions/{ids['removal']}/progress",
            json={"percent": 10, "code": "on_track"},
        ),
        409,
        "incident-closed",
    )
    appeal = ok(
        cm.post(
            f"/v1/incidents/{incident}/appeals",
            json={"grounds": "remedy_inadequate", "note": "Back wages missed the last month."},
        ),
        201,
    )["appeal_id"]
    reopened = ok(cm.post(reopen, json={"reason": "appeal", "note": "Appeal upheld."}))
    assert reopened["status"] == "reopened"
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    assert trail[-1]["data"]["appeal_id"] == appeal
    refused(cm.post(reopen, json={"reason": "new_evidence"}), 409, "incident-not-closed")
    view = implementation(system, incident)
    assert view["blocking_closure"] == [
        "closure-not-proposed",
        "final-visit-missing",
        "child-case-outcome-missing",
    ]

    # the reopened case is re-assessed and closed again
    ok(
        system.client("monitoring", "monitor").post(
            f"/v1/incidents/{incident}/monitoring-visits", json=visit_body(final=True)
        ),
        201,
    )
    ok(cm.post(f"/v1/incidents/{incident}/closure-proposal", json=proposal_body()))
    ok(cm.post(f"/v1/incidents/{incident}/outcome-communication", json=OUTCOME))
    ok(
        cm.post(
            f"/v1/incidents/{incident}/victims/{ids['victim']}/child-outcome",
            json={"outcome": "goal_reached"},
        )
    )
    closed = ok(
        system.client("monitoring", "approver").post(
            f"/v1/incidents/{incident}/closure-approval", json={}
        )
    )
    assert closed["status"] == "closed"


def test_reopening_for_a_recurrence_names_the_new_incident(system: System) -> None:
    ids = closed_incident(system)
    incident = ids["incident"]
    cm = system.client("monitoring")
    reopen = f"/v1/incidents/{incident}/reopening"
    missing = cm.post(reopen, json={"reason": "recurrence"})
    assert missing.status_code == 422, missing.text
    refused(
        cm.post(reopen, json={"reason": "recurrence", "related_incident_id": incident}),
        422,
        "related-incident-is-self",
    )
    refused(
        cm.post(reopen, json={"reason": "recurrence", "related_incident_id": str(uuid.uuid4())}),
        422,
        "related-incident-unknown",
    )
    foreign = submit(system.client("intake", "other_tenant"), site_ref="KOL-ASM-017")
    recurrence = submit(system.client("intake"), site_ref="KOL-ASM-017")
    body = {
        "reason": "recurrence",
        "related_incident_id": recurrence,
        "note": "Children seen again at the same washing site.",
    }

    def reopened_once_intake_reported_it() -> dict[str, Any] | None:
        response = cm.post(reopen, json=body)
        if response.status_code == 422 and code(response) == "related-incident-unknown":
            return None  # monitoring has not heard of the new allegation yet
        return ok(response)

    reopened = eventually(reopened_once_intake_reported_it)
    refused(
        cm.post(reopen, json={**body, "related_incident_id": foreign}),
        422,
        "related-incident-unknown",
    )
    assert reopened["status"] == "reopened"
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    assert trail[-1]["data"]["reason"] == "recurrence"
    assert trail[-1]["data"]["related_incident_id"] == recurrence


# --- intake's hold, concurrency and retries ---------------------------------------------------
def test_work_pauses_while_intake_has_the_incident_on_hold(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    intake = system.client("intake")
    provider = system.client("monitoring", "provider")
    progress = f"/v1/incidents/{incident}/actions/{ids['removal']}/progress"
    ok(
        intake.post(
            f"/v1/incidents/{incident}/hold", json={"reason": "state_investigation_request"}
        )
    )

    def paused() -> bool:
        response = provider.post(progress, json={"percent": 20, "code": "delayed"})
        if response.status_code == 200:
            return False
        refused(response, 409, "incident-on-hold")
        return True

    eventually(paused)
    ok(intake.post(f"/v1/incidents/{incident}/resume", json={}))
    eventually(
        lambda: provider.post(progress, json={"percent": 20, "code": "delayed"}).status_code == 200
    )


def test_if_match_and_idempotency_key(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    provider = system.client("monitoring", "provider")
    version = int(
        system.client("monitoring")
        .get(f"/v1/incidents/{incident}/implementation")
        .headers["ETag"]
        .strip('"')
    )
    progress = f"/v1/incidents/{incident}/actions/{ids['removal']}/progress"
    body = {"percent": 30, "code": "on_track"}
    stale = provider.post(progress, json=body, headers={"If-Match": f'"{version - 1}"'})
    refused(stale, 412, "if-match-failed")
    first = provider.post(progress, json=body, headers={"Idempotency-Key": "visit-7"})
    again = provider.post(progress, json=body, headers={"Idempotency-Key": "visit-7"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.headers["ETag"] == f'"{version + 1}"'
    assert event_names(system, incident).count("ActionProgressReported") == 1


# --- tenants and roles -----------------------------------------------------------------------
def test_tenants_are_isolated_and_roles_enforced(system: System) -> None:
    ids = implementing_incident(system)
    incident = ids["incident"]
    foreign = system.client("monitoring", "other_tenant")
    refused(foreign.get(f"/v1/incidents/{incident}/implementation"), 404, "not-found")
    refused(
        foreign.post(
            f"/v1/incidents/{incident}/actions/{ids['schooling']}/start",
            json={"started_on": TODAY},
        ),
        404,
        "not-found",
    )
    refused(
        system.client("monitoring", "other_approver").post(
            f"/v1/incidents/{incident}/closure-approval", json={}
        ),
        404,
        "not-found",
    )
    assert ok(foreign.get("/v1/actions")) == []
    assert ok(foreign.get("/v1/overdue")) == []

    analyst = system.client("monitoring", "analyst")
    refused(analyst.get(f"/v1/incidents/{incident}/implementation"), 403, "forbidden")
    refused(
        analyst.post(
            f"/v1/incidents/{incident}/actions/{ids['schooling']}/start",
            json={"started_on": TODAY},
        ),
        403,
        "forbidden",
    )
    refused(
        system.client("monitoring", "reporter").post(
            f"/v1/incidents/{incident}/closure-proposal", json=proposal_body()
        ),
        403,
        "forbidden",
    )
    refused(
        system.client("monitoring", "provider").get(
            f"/v1/incidents/{incident}/implementation/events"
        ),
        403,
        "forbidden",
    )
    anonymous = httpx.Client(base_url=system.services["monitoring"].url)
    assert anonymous.get(f"/v1/incidents/{incident}/implementation").status_code == 401


# --- the topic ------------------------------------------------------------------------------
def topic_events(bootstrap: str, incident: str, expected: int, timeout_s: float = 30) -> list[str]:
    """Event names of ``incident`` on monitoring's topic, in order, once ``expected`` arrived."""
    topic = topic_for("monitoring")
    consumer = make_consumer(bootstrap, None)
    deadline = time.monotonic() + timeout_s
    try:
        while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
            time.sleep(0.2)
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        names: list[str] = []
        while time.monotonic() < deadline and len(names) < expected:
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    if record.key == incident.encode():
                        headers = {k: v.decode() for k, v in record.headers}
                        names.append(headers["ce_type"].split(".")[3])
        return names
    finally:
        consumer.close()


def test_events_are_published_on_the_monitoring_topic_and_chain_verifies(
    system: System,
) -> None:
    ids = closed_incident(system)
    incident = ids["incident"]
    trail = ok(
        system.client("monitoring", "auditor").get(
            f"/v1/incidents/{incident}/implementation/events"
        )
    )
    assert verify_chain([EventEnvelope.from_structured(e) for e in trail]) == []
    stored = [str(e["type"]).split(".")[3] for e in trail]
    assert stored[0] == "PlanAdopted" and stored[-2:] == ["ClosureApproved", "IncidentClosed"]
    published = eventually(
        lambda: topic_events(system.settings.kafka_bootstrap, incident, len(stored)) or None
    )
    assert published == stored
