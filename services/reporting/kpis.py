"""Key performance indicators (domain.md section 4) computed from register entries, and the
small-cell suppression every aggregate shown to analysts goes through.

Plain Python: no framework, no database.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.reporting.register import RegisterEntry

SMALL_CELL = 5
SUPPRESSED = "<5"


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
        "by_status": dict(Counter(str(e.status) for e in entries)),
        "by_step": {str(k): v for k, v in sorted(Counter(e.step for e in entries).items())},
        "time_to_verify": _summary(_days(e.received_at, e.verified_at) for e in entries),
        "time_to_plan_approval": _summary(
            _days(e.verified_at, e.plan_approved_at) for e in entries
        ),
        "time_to_closure": _summary(_days(e.received_at, e.closed_at) for e in entries),
        "actions_on_time": actions_on_time(entries, today),
        "victims_assisted_by_category": victims_assisted(entries),
        "children_identified": suppress(sum(e.children for e in entries)),
        "victims_identified": suppress(sum(e.victims for e in entries)),
        "recurrence": recurrence(entries),
    }


def actions_on_time(entries: list[RegisterEntry], today: date) -> dict[str, Any]:
    """Actions completed by their due date, over actions that were due (or completed)."""
    due = on_time = 0
    for entry in entries:
        for action in entry.actions.values():
            if action.due_date is None or action.status == "cancelled":
                continue
            if action.status == "completed" or action.due_date < today:
                due += 1
                done = action.completed_on
                on_time += int(done is not None and done <= action.due_date)
    percent = round(100 * on_time / due, 1) if due else None
    return {"due": due, "on_time": on_time, "percent": percent}


def victims_assisted(entries: list[RegisterEntry]) -> dict[str, int | str]:
    """People reached by completed actions, per action category (small cells suppressed)."""
    totals: Counter[str] = Counter()
    for entry in entries:
        for action in entry.actions.values():
            if action.status == "completed":
                totals[action.category] += action.beneficiaries
    return {category: suppress(count) for category, count in sorted(totals.items())}


def recurrence(
    entries: list[RegisterEntry], window: timedelta = timedelta(days=730)
) -> dict[str, Any]:
    """Smelters (CIDs) linked to more than one verified incident within 24 months, and reopened
    incidents."""
    by_cid: dict[str, list[datetime]] = {}
    for entry in entries:
        if entry.verified_at is None:
            continue
        for cid in entry.smelter_cids:
            by_cid.setdefault(cid, []).append(entry.verified_at)
    recurring = sorted(
        cid for cid, times in by_cid.items() if len(times) > 1 and max(times) - min(times) <= window
    )
    return {
        "recurring_smelters": recurring,
        "reopened_incidents": sum(e.reopened > 0 for e in entries),
    }


def dashboard_data(entries: list[RegisterEntry]) -> dict[str, Any]:
    """What the dashboard charts: incidents by step and status, by mineral and country,
    time-to-closure distribution and overdue actions."""
    closure_days = [
        d for d in (_days(e.received_at, e.closed_at) for e in entries) if d is not None
    ]
    buckets = ["0-30", "31-90", "91-180", "181-365", ">365"]
    limits = [30, 90, 180, 365]
    distribution = Counter(
        next((buckets[i] for i, limit in enumerate(limits) if days <= limit), buckets[-1])
        for days in closure_days
    )
    return {
        "by_step": {str(k): v for k, v in sorted(Counter(e.step for e in entries).items())},
        "by_status": dict(sorted(Counter(str(e.status) for e in entries).items())),
        "by_mineral": dict(sorted(Counter(m for e in entries for m in e.minerals).items())),
        "by_country": dict(sorted(Counter(e.country or "??" for e in entries).items())),
        "time_to_closure_days": {bucket: distribution.get(bucket, 0) for bucket in buckets},
        "overdue_actions": sum(e.overdue_actions for e in entries),
        "overdue_by_incident": {
            e.reference or e.incident_id: e.overdue_actions for e in entries if e.overdue_actions
        },
    }
