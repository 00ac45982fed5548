"""The incident register entry and how every service's events fold into it.

Plain Python: the same fold builds the register incrementally (the projector) and answers
"what did this incident look like at time T" from the timeline (time travel), so the two can
never disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from shared.envelope import EventEnvelope
from shared.incident_status import IncidentStatus

S = IncidentStatus
STEP_OF_STATUS: dict[IncidentStatus, int] = {
    S.RECEIVED: 1,
    S.TRIAGED: 1,
    S.UNDER_VERIFICATION: 1,
    S.UNSUBSTANTIATED: 1,
    S.NOT_LINKED: 1,
    S.VERIFIED: 2,
    S.RESPONSE_DETERMINED: 3,
    S.PLANNING: 3,
    S.PLAN_APPROVED: 4,
    S.IMPLEMENTING: 4,
    S.REOPENED: 4,
    S.CLOSURE_REVIEW: 5,
    S.CLOSED: 6,
    S.LESSONS_CAPTURED: 6,
}
"""The IOM step an incident is in: from CLOSED on, what remains is Step 6 (lessons)."""

LIVE_ACTION = {"planned", "in_progress", "blocked", "suspended"}

# Event name -> the milestone timestamp it sets (first occurrence wins).
MILESTONES = {
    "AllegationVerified": "verified_at",
    "ResponseDeterminationApproved": "response_approved_at",
    "PlanApproved": "plan_approved_at",
    "ClosureProposed": "closure_proposed_at",
    "IncidentClosed": "closed_at",
    "LessonsCaptured": "lessons_captured_at",
}


class ActionRecord(BaseModel):
    category: str
    beneficiaries: int = 0
    due_date: date | None = None
    status: str = "planned"
    completed_on: date | None = None
    overdue: bool = False


class RegisterEntry(BaseModel):
    incident_id: str
    tenant: str
    reference: str | None = None
    status: IncidentStatus = S.RECEIVED
    status_time: datetime | None = None
    status_before_hold: IncidentStatus | None = None
    channel: str | None = None
    minerals: list[str] = []
    abuse_types: list[str] = []
    country: str | None = None
    site_ref: str | None = None
    smelter_cids: list[str] = []
    child_involved: bool = False
    immediate_danger: bool = False
    severity_scale: int | None = None
    people_affected: int | None = None
    received_at: datetime | None = None
    verified_at: datetime | None = None
    response_approved_at: datetime | None = None
    plan_approved_at: datetime | None = None
    closure_proposed_at: datetime | None = None
    closed_at: datetime | None = None
    lessons_captured_at: datetime | None = None
    reopened: int = 0
    victims: int = 0
    children: int = 0
    actions: dict[str, ActionRecord] = {}
    open_safety_concerns: int = 0
    lessons: int = 0

    @property
    def step(self) -> int:
        status = self.status_before_hold if self.status is S.ON_HOLD else self.status
        return STEP_OF_STATUS.get(status or S.RECEIVED, 1)

    @property
    def overdue_actions(self) -> int:
        return sum(1 for a in self.actions.values() if a.overdue and a.status in LIVE_ACTION)


def new_entry(event: EventEnvelope) -> RegisterEntry:
    return RegisterEntry(incident_id=event.subject, tenant=event.tenant)


def fold(entry: RegisterEntry, event: EventEnvelope) -> RegisterEntry:
    """Apply one event of any service to the entry (returns the same, mutated entry)."""
    name = event.type.split(".")[3]
    data = event.data
    _status(entry, event, data)
    milestone = MILESTONES.get(name)
    if milestone and getattr(entry, milestone) is None:
        setattr(entry, milestone, event.time)
    handler = _HANDLERS.get(name)
    if handler is not None:
        handler(entry, data, event)
    return entry


def _status(entry: RegisterEntry, event: EventEnvelope, data: dict[str, Any]) -> None:
    """Services publish on separate topics, so events can arrive out of time order across
    services: the status is the one of the latest event that carries one."""
    status = data.get("status")
    if not status:
        return
    if entry.status_time is not None and event.time < entry.status_time:
        return
    new = IncidentStatus(status)
    if new is S.ON_HOLD and entry.status is not S.ON_HOLD:
        entry.status_before_hold = entry.status
    entry.status, entry.status_time = new, event.time


def _received(entry: RegisterEntry, data: dict[str, Any], event: EventEnvelope) -> None:
    entry.reference = data.get("reference")
    entry.channel = data.get("channel")
    entry.minerals = list(data.get("minerals", []))
    entry.abuse_types = list(data.get("alleged_abuses", []))
    entry.country = data.get("country")
    entry.site_ref = data.get("site_ref")
    entry.child_involved = bool(data.get("child_involved"))
    entry.immediate_danger = bool(data.get("immediate_danger"))
    entry.received_at = _time(data.get("received_at")) or event.time


def _triaged(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    for abuse in data.get("alleged_abuses", data.get("additional_abuses", [])):
        if abuse not in entry.abuse_types:
            entry.abuse_types.append(abuse)


def _link(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    cid = data.get("smelter_cid")
    if cid and cid.startswith("CID") and cid not in entry.smelter_cids:
        entry.smelter_cids.append(cid)


def _severity(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    entry.severity_scale = data.get("scale")
    entry.people_affected = data.get("people_affected")


def _danger(entry: RegisterEntry, _data: dict[str, Any], _: EventEnvelope) -> None:
    entry.immediate_danger = True


def _victim(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    entry.victims += 1
    if data.get("is_child"):
        entry.children += 1


def _adopted(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    for action in (
        data.get("actions", []) + data.get("added_actions", []) + data.get("changed_actions", [])
    ):
        record = entry.actions.get(str(action["action_id"]))
        due = _date(action.get("due_date"))
        if record is None:
            entry.actions[str(action["action_id"])] = ActionRecord(
                category=action["category"],
                beneficiaries=len(action.get("beneficiaries", [])),
                due_date=due,
            )
        else:
            record.due_date, record.overdue = due, False


def _action_status(status: str) -> Any:
    def apply(entry: RegisterEntry, data: dict[str, Any], event: EventEnvelope) -> None:
        record = entry.actions.get(str(data.get("action_id")))
        if record is None:
            return
        record.status = status
        if status == "completed":
            record.completed_on = _date(data.get("completed_on")) or event.time.date()

    return apply


def _removed(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    for action_id in data.get("removed_action_ids", []):
        record = entry.actions.get(str(action_id))
        if record is not None and record.status in LIVE_ACTION:
            record.status = "cancelled"


def _overdue(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    record = entry.actions.get(str(data.get("action_id")))
    if record is not None:
        record.overdue = True


def _concern(delta: int) -> Any:
    def apply(entry: RegisterEntry, _data: dict[str, Any], _: EventEnvelope) -> None:
        entry.open_safety_concerns = max(0, entry.open_safety_concerns + delta)

    return apply


def _reopened(entry: RegisterEntry, _data: dict[str, Any], _: EventEnvelope) -> None:
    entry.reopened += 1


def _lesson(entry: RegisterEntry, _data: dict[str, Any], _: EventEnvelope) -> None:
    entry.lessons += 1


_HANDLERS = {
    "AllegationReceived": _received,
    "AllegationTriaged": _triaged,
    "SupplyChainLinkRecorded": _link,
    "SeverityAssessed": _severity,
    "ImmediateDangerFlagged": _danger,
    "VictimRegistered": _victim,
    "PlanAdopted": _adopted,
    "PlanRevisionAdopted": _adopted,
    "ActionStarted": _action_status("in_progress"),
    "ActionBlocked": _action_status("blocked"),
    "ActionUnblocked": _action_status("in_progress"),
    "ActionSuspendedForSafety": _action_status("suspended"),
    "ActionCompleted": _action_status("completed"),
    "ActionCancelled": _action_status("cancelled"),
    "ActionOverdue": _overdue,
    "SafetyConcernRaised": _concern(+1),
    "SafetyConcernResolved": _concern(-1),
    "IncidentReopened": _reopened,
    "LessonRecorded": _lesson,
}


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
