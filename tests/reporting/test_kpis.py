"""The register fold and the KPIs as plain Python: no broker, no database, no HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.reporting.kpis import actions_on_time, recurrence, suppress, victims_assisted
from services.reporting.register import ActionRecord, RegisterEntry, fold
from shared.envelope import EventEnvelope

INCIDENT = str(uuid.uuid4())
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACTION = str(uuid.uuid4())


def event(service: str, name: str, at: datetime, **data: Any) -> EventEnvelope:
    return EventEnvelope(
        id=str(uuid.uuid4()),
        source=f"/remedium/{service}",
        type=f"org.remedium.{service}.{name}.v1",
        subject=INCIDENT,
        time=at,
        tenant="acme",
        streamid=INCIDENT,
        streamversion=1,
        actor="test",
        correlationid="c",
        causationid="c",
        data=data,
    )


def adopted(**terms: Any) -> EventEnvelope:
    action = {
        "action_id": ACTION,
        "category": "education_schooling",
        "beneficiaries": ["v1"],
        "owner_org": "example-electronics",
        "due_date": "2026-09-01",
        **terms,
    }
    return event("monitoring", "PlanAdopted", T0, actions=[action], community_ids=[])


def entry_after(*events: EventEnvelope) -> RegisterEntry:
    entry = RegisterEntry(incident_id=INCIDENT, tenant="acme")
    for item in events:
        fold(entry, item)
    return entry


def test_small_cells_of_people_are_suppressed() -> None:
    assert [suppress(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]


def test_a_suspended_action_resumes_to_where_it_was() -> None:
    started = event("monitoring", "ActionStarted", T0, action_id=ACTION, status="implementing")
    blocked = event("monitoring", "ActionBlocked", T0, action_id=ACTION)
    suspended = event("monitoring", "ActionSuspendedForSafety", T0, action_id=ACTION)
    resolved = event("monitoring", "SafetyConcernResolved", T0, resumed_action_ids=[ACTION])
    entry = entry_after(adopted(), started, blocked, suspended)
    assert entry.actions[ACTION].status == "suspended"
    fold(entry, resolved)
    assert entry.actions[ACTION].status == "blocked"
    fold(entry, event("monitoring", "ActionUnblocked", T0, action_id=ACTION))
    assert entry.actions[ACTION].status == "in_progress"
    never_started = entry_after(adopted(), blocked)
    fold(never_started, event("monitoring", "ActionUnblocked", T0, action_id=ACTION))
    assert never_started.actions[ACTION].status == "planned"


def test_a_new_due_date_clears_the_overdue_flag() -> None:
    overdue = event("monitoring", "ActionOverdue", T0, action_id=ACTION)
    entry = entry_after(adopted(), overdue)
    assert entry.overdue_actions == 1
    revision = event(
        "monitoring",
        "PlanRevisionAdopted",
        T0,
        added=[],
        changed=[{**adopted().data["actions"][0], "due_date": "2026-12-01"}],
        removed_action_ids=[],
        resumed_action_ids=[],
        status=None,
    )
    fold(entry, revision)
    assert entry.overdue_actions == 0 and entry.actions[ACTION].due_date == date(2026, 12, 1)


def test_the_register_keeps_the_latest_closure_and_counts_reopenings() -> None:
    first = T0 + timedelta(days=100)
    second = T0 + timedelta(days=200)
    entry = entry_after(
        event("intake", "AllegationReceived", T0, received_at=T0.isoformat(), status="received"),
        event("monitoring", "IncidentClosed", first, closed_at=first.isoformat(), status="closed"),
        event("monitoring", "IncidentReopened", first, reason="appeal", status="reopened"),
    )
    assert entry.closed_at is None and str(entry.status) == "reopened" and entry.step == 4
    closed_again = second.isoformat()
    fold(
        entry,
        event("monitoring", "IncidentClosed", second, closed_at=closed_again, status="closed"),
    )
    assert entry.closed_at == second and entry.closures == 2
    assert entry.reopened == 1 and entry.reopen_reasons == ["appeal"]
    assert str(entry.status) == "closed" and entry.step == 6


def test_actions_on_time_count_only_what_is_due() -> None:
    today = date(2026, 6, 1)
    entry = RegisterEntry(
        incident_id=INCIDENT,
        tenant="acme",
        actions={
            "on-time": _action("completed", date(2026, 5, 1), completed_on=date(2026, 4, 30)),
            "late": _action("completed", date(2026, 5, 1), completed_on=date(2026, 5, 9)),
            "flagged": _action("in_progress", date(2026, 7, 1), overdue=True),
            "past-due": _action("planned", date(2026, 5, 30)),
            "not-due": _action("planned", date(2026, 8, 1)),
            "cancelled": _action("cancelled", date(2026, 5, 1)),
        },
    )
    assert actions_on_time([entry], today) == {
        "due": 4,
        "on_time": 1,
        "overdue_open": 1,
        "percent": 25.0,
    }


def test_victims_assisted_counts_distinct_people_not_communities() -> None:
    people = [f"v{i}" for i in range(5)]
    entry = RegisterEntry(
        incident_id=INCIDENT,
        tenant="acme",
        community_ids=["community-1"],
        actions={
            "a": _action("completed", date(2026, 5, 1), beneficiary_ids=people[:3]),
            "b": _action(
                "completed", date(2026, 5, 1), beneficiary_ids=[*people[2:], "community-1"]
            ),
            "c": _action("completed", date(2026, 5, 1), category="medical", beneficiary_ids=["v1"]),
            "d": _action(
                "in_progress", date(2026, 5, 1), category="shelter", beneficiary_ids=people
            ),
        },
    )
    assert victims_assisted([entry]) == {"education_schooling": 5, "medical": "<5"}


def test_recurrence_at_a_site_or_smelter_within_12_and_24_months() -> None:
    first = _verified("KOL-ASM-017", ["CID002050"], T0)
    same_site = _verified("KOL-ASM-017", [], T0 + timedelta(days=300))
    same_smelter = _verified("KAM-ASM-002", ["CID002050"], T0 + timedelta(days=700))
    elsewhere = _verified("LUB-ASM-100", ["CID000211"], T0 + timedelta(days=10))
    never_verified = RegisterEntry(incident_id="x", tenant="acme", site_ref="KOL-ASM-017")
    entries = [same_smelter, first, elsewhere, same_site, never_verified]
    assert recurrence(entries) == {
        "within_12_months": {"incidents": 1, "sites": 1, "smelters": []},
        "within_24_months": {"incidents": 2, "sites": 1, "smelters": ["CID002050"]},
        "reopened_incidents": 0,
        "reopened_for_recurrence": 0,
    }


def _action(status: str, due: date, **fields: Any) -> ActionRecord:
    return ActionRecord.model_validate(
        {"category": "education_schooling", "status": status, "due_date": due, **fields}
    )


def _verified(site: str, cids: list[str], at: datetime) -> RegisterEntry:
    return RegisterEntry(
        incident_id=str(uuid.uuid4()),
        tenant="acme",
        site_ref=site,
        smelter_cids=cids,
        verified_at=at,
    )
