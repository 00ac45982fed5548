"""Key performance indicators (domain.md section 4) computed from register entries, and the
small-cell suppression every count of people shown to analysts goes through.

Plain Python: no framework, no database.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.reporting.register import LIVE_ACTION, ActionRecord, RegisterEntry

SMALL_CELL = 5
SUPPRESSED = "<5"
RECURRENCE_WINDOWS = {
    "within_12_months": timedelta(days=365),
    "within_24_months": timedelta(days=730),
}
CLOSURE_BUCKETS = [("0-30", 30), ("31-90", 90), ("91-180", 180), ("181-365", 365), (">365", None)]


def counts(values: Iterable[str]) -> dict[str, int]:
    """How often each value occurs, by value."""
    return dict(sorted(Counter(values).items()))


def suppress(count: int) -> int | str:
    """Counts of people under 5 (but not 0) are shown as "<5" so no one can be singled out."""
    return SUPPRESSED if 0 < count < SMALL_CELL else count


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 86400, 2)


def _summary(values: Iterable[float | None]) -> dict[str, Any]:
    present = sorted(v for v in values if v is not None)
    if not present:
        return {"count": 0, "median_days": None, "mean_days": None}
    return {
        "count": len(present),
        "median_days": round(statistics.median(present), 2),
        "mean_days": round(statistics.fmean(present), 2),
    }


def kpis(entries: list[RegisterEntry], today: date | None = None) -> dict[str, Any]:
    today = today or datetime.now(UTC).date()
    return {
        "incidents": len(entries),
        "by_status": counts(str(e.status) for e in entries),
        "by_step": by_step(entries),
        "time_to_verify": _summary(_days(e.received_at, e.finding_at) for e in entries),
        "time_to_response_approval": _summary(
            _days(e.verified_at, e.response_approved_at) for e in entries
        ),
        "time_to_plan_approval": _summary(
            _days(e.verified_at, e.plan_approved_at) for e in entries
        ),
        "time_to_closure": _summary(_days(e.received_at, e.closed_at) for e in entries),
        "actions_on_time": actions_on_time(entries, today),
        "victims_identified": suppress(sum(e.victims for e in entries)),
        "children_identified": suppress(sum(e.children for e in entries)),
        "victims_assisted_by_category": victims_assisted(entries),
        "recurrence": recurrence(entries),
        "lessons": lessons(entries),
    }


def by_step(entries: list[RegisterEntry]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(e.step for e in entries).items())}


def _is_due(action: ActionRecord, today: date) -> bool:
    """Completed, flagged overdue by monitoring's scheduler, or past its due date."""
    if action.due_date is None or action.status == "cancelled":
        return False
    return action.status == "completed" or action.overdue or action.due_date < today


def actions_on_time(entries: list[RegisterEntry], today: date) -> dict[str, Any]:
    """Actions completed by their due date, over the actions that are due (domain.md 4)."""
    due = [a for e in entries for a in e.actions.values() if _is_due(a, today)]
    on_time = sum(
        1
        for a in due
        if a.completed_on is not None and a.due_date is not None and a.completed_on <= a.due_date
    )
    return {
        "due": len(due),
        "on_time": on_time,
        "overdue_open": sum(e.overdue_actions for e in entries),
        "percent": round(100 * on_time / len(due), 1) if due else None,
    }


def victims_assisted(entries: list[RegisterEntry]) -> dict[str, int | str]:
    """Distinct people reached by completed actions, per action category (community
    beneficiaries are not people; small cells suppressed)."""
    reached: dict[str, set[str]] = {}
    for entry in entries:
        community = set(entry.community_ids)
        for action in entry.actions.values():
            if action.status == "completed":
                people = {b for b in action.beneficiary_ids if b not in community}
                reached.setdefault(action.category, set()).update(people)
    return {category: suppress(len(people)) for category, people in sorted(reached.items())}


def recurrence(entries: list[RegisterEntry]) -> dict[str, Any]:
    """New verified incidents at a site or smelter (CID) that already had a verified incident
    within 12 or 24 months before, and reopened incidents. Smelter CIDs are public
    identifiers and are named; sites are only counted."""
    verified = sorted((e for e in entries if e.verified_at is not None), key=_verified_at)
    result: dict[str, Any] = {}
    for label, window in RECURRENCE_WINDOWS.items():
        seen: dict[str, list[datetime]] = {}
        recurring_incidents: set[str] = set()
        sites: set[str] = set()
        smelters: set[str] = set()
        for entry in verified:
            for place in _places(entry):
                earlier = seen.setdefault(place, [])
                if any(_verified_at(entry) - t <= window for t in earlier):
                    recurring_incidents.add(entry.incident_id)
                    (smelters if place.startswith("cid:") else sites).add(place)
                earlier.append(_verified_at(entry))
        result[label] = {
            "incidents": len(recurring_incidents),
            "sites": len(sites),
            "smelters": sorted(s.removeprefix("cid:") for s in smelters),
        }
    result["reopened_incidents"] = sum(e.reopened > 0 for e in entries)
    result["reopened_for_recurrence"] = sum("recurrence" in e.reopen_reasons for e in entries)
    return result


def _verified_at(entry: RegisterEntry) -> datetime:
    assert entry.verified_at is not None
    return entry.verified_at


def _places(entry: RegisterEntry) -> list[str]:
    places = [f"cid:{cid}" for cid in entry.smelter_cids]
    if entry.site_ref:
        places.append(f"site:{entry.site_ref}")
    return places


def lessons(entries: list[RegisterEntry]) -> dict[str, Any]:
    """Lessons learned (Step 6) by category and by how far they may be shared."""
    return {
        "recorded": sum(e.lessons for e in entries),
        "incidents_with_lessons_captured": sum(e.lessons_captured_at is not None for e in entries),
        "by_category": counts(c for e in entries for c in e.lesson_categories),
        "by_share_scope": counts(s for e in entries for s in e.lesson_share_scopes),
    }


def closure_distribution(entries: list[RegisterEntry]) -> dict[str, int]:
    """How many closed incidents took 0-30, 31-90, ... days from receipt to closure."""
    counts = dict.fromkeys((label for label, _ in CLOSURE_BUCKETS), 0)
    for entry in entries:
        days = _days(entry.received_at, entry.closed_at)
        if days is None:
            continue
        label = next(lbl for lbl, limit in CLOSURE_BUCKETS if limit is None or days <= limit)
        counts[label] += 1
    return counts


def dashboard_data(entries: list[RegisterEntry]) -> dict[str, Any]:
    """What the dashboard charts: incidents by step and status, by mineral and country, the
    time-to-closure distribution and overdue actions (by owner organisation and category).
    Counts of incidents and actions, never of people."""
    overdue = [
        a for e in entries for a in e.actions.values() if a.overdue and a.status in LIVE_ACTION
    ]
    return {
        "incidents": len(entries),
        "by_step": by_step(entries),
        "by_status": counts(str(e.status) for e in entries),
        "by_mineral": counts(m for e in entries for m in e.minerals),
        "by_country": counts(e.country or "unknown" for e in entries),
        "time_to_closure_days": closure_distribution(entries),
        "overdue_actions": len(overdue),
        "overdue_by_owner": counts(a.owner_org or "unassigned" for a in overdue),
        "overdue_by_category": counts(a.category for a in overdue),
    }
