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

# Event name -> the milestone timestamp it sets (first occurrence wins). A closure is not a
# milestone: a reopened incident closes again, and the register keeps the latest closure.
MILESTONES = {
    "AllegationVerified": "verified_at",
    "ResponseDeterminationApproved": "response_approved_at",
    "PlanApproved": "plan_approved_at",
    "ClosureProposed": "closure_proposed_at",
    "LessonsCaptured": "lessons_captured_at",
}
FINDINGS = {"AllegationVerified", "AllegationUnsubstantiated", "IncidentNotLinked"}
"""The verification findings that end Step 1 (time to verify runs up to the first of them)."""


class ActionRecord(BaseModel):
    """One action of the adopted plan as reporting needs it: no personal data, beneficiaries
    only as the pseudonymous ids the plan gave them."""

    category: str
    owner_org: str | None = None
    beneficiary_ids: list[str] = []
    due_date: date | None = None
    status: str = "planned"
    started: bool = False
    status_before_suspension: str | None = None
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
    finding_at: datetime | None = None
    verified_at: datetime | None = None
    response_approved_at: datetime | None = None
    plan_approved_at: datetime | None = None
    closure_proposed_at: datetime | None = None
    closed_at: datetime | None = None
    lessons_captured_at: datetime | None = None
    closures: int = 0
    reopened: int = 0
    reopen_reasons: list[str] = []
    victims: int = 0
    children: int = 0
    community_ids: list[str] = []
    actions: dict[str, ActionRecord] = {}
    open_safety_concerns: int = 0
    lessons: int = 0
    lesson_categories: list[str] = []
    lesson_share_scopes: list[str] = []

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
    if name in FINDINGS and entry.finding_at is None:
        entry.finding_at = event.time
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
    """Monitoring's PlanAdopted (``actions``) or PlanRevisionAdopted (``added``, ``changed``;
    removed actions are cancelled by their own ActionCancelled events)."""
    for community in data.get("community_ids", []):
        if str(community) not in entry.community_ids:
            entry.community_ids.append(str(community))
    for action in data.get("actions", []) + data.get("added", []) + data.get("changed", []):
        terms = {
            "category": action["category"],
            "owner_org": action.get("owner_org"),
            "beneficiary_ids": [str(b) for b in action.get("beneficiaries", [])],
            "due_date": _date(action.get("due_date")),
        }
        record = entry.actions.get(str(action["action_id"]))
        if record is None:
            entry.actions[str(action["action_id"])] = ActionRecord.model_validate(terms)
        else:
            if record.due_date != terms["due_date"]:
                record.overdue = False  # a new deadline is not overdue yet
            for field, value in terms.items():
                setattr(record, field, value)
    _resume(entry, data.get("resumed_action_ids", []))


def _action_status(status: str) -> Any:
    def apply(entry: RegisterEntry, data: dict[str, Any], event: EventEnvelope) -> None:
        record = entry.actions.get(str(data.get("action_id")))
        if record is None:
            return
        record.status = status
        if status == "completed":
            record.completed_on = _date(data.get("completed_on")) or event.time.date()

    return apply


def _started(entry: RegisterEntry, data: dict[str, Any], event: EventEnvelope) -> None:
    _action_status("in_progress")(entry, data, event)
    record = entry.actions.get(str(data.get("action_id")))
    if record is not None:
        record.started = True


def _unblocked(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    """Back to ``in_progress`` when the action was started, else ``planned`` (as monitoring)."""
    record = entry.actions.get(str(data.get("action_id")))
    if record is not None:
        record.status = "in_progress" if record.started else "planned"


def _suspend(entry: RegisterEntry, action_ids: list[Any]) -> None:
    for action_id in action_ids:
        record = entry.actions.get(str(action_id))
        if record is not None and record.status in LIVE_ACTION:
            if record.status != "suspended":
                record.status_before_suspension = record.status
            record.status = "suspended"


def _resume(entry: RegisterEntry, action_ids: list[Any]) -> None:
    for action_id in action_ids:
        record = entry.actions.get(str(action_id))
        if record is not None and record.status == "suspended":
            record.status = record.status_before_suspension or (
                "in_progress" if record.started else "planned"
            )
            record.status_before_suspension = None


def _suspended_for_safety(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    _suspend(entry, [data.get("action_id")])


def _plan_suspended(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    _suspend(entry, data.get("suspended_action_ids", []))


def _overdue(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    record = entry.actions.get(str(data.get("action_id")))
    if record is not None:
        record.overdue = True


def _concern(delta: int) -> Any:
    def apply(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
        entry.open_safety_concerns = max(0, entry.open_safety_concerns + delta)
        _resume(entry, data.get("resumed_action_ids", []))

    return apply


def _closed(entry: RegisterEntry, data: dict[str, Any], event: EventEnvelope) -> None:
    entry.closed_at = _time(data.get("closed_at")) or event.time
    entry.closures += 1


def _reopened(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    """An open incident has no closure date: time to closure counts its next closure."""
    entry.closed_at = None
    entry.reopened += 1
    entry.reopen_reasons.append(str(data.get("reason")))


def _lesson(entry: RegisterEntry, data: dict[str, Any], _: EventEnvelope) -> None:
    entry.lessons += 1
    entry.lesson_categories.append(str(data.get("category")))
    entry.lesson_share_scopes.append(str(data.get("share_scope")))


_HANDLERS = {
    "AllegationReceived": _received,
    "AllegationTriaged": _triaged,
    "SupplyChainLinkRecorded": _link,
    "SeverityAssessed": _severity,
    "ImmediateDangerFlagged": _danger,
    "VictimRegistered": _victim,
    "PlanAdopted": _adopted,
    "PlanRevisionAdopted": _adopted,
    "PlanSuspensionNoted": _plan_suspended,
    "ActionStarted": _started,
    "ActionBlocked": _action_status("blocked"),
    "ActionUnblocked": _unblocked,
    "ActionSuspendedForSafety": _suspended_for_safety,
    "ActionCompleted": _action_status("completed"),
    "ActionCancelled": _action_status("cancelled"),
    "ActionOverdue": _overdue,
    "SafetyConcernRaised": _concern(+1),
    "SafetyConcernResolved": _concern(-1),
    "IncidentClosed": _closed,
    "IncidentReopened": _reopened,
    "LessonRecorded": _lesson,
}


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
