"""Unit tests of the monitoring domain: pure, no I/O. Each walks the Implementation aggregate
through commands and looks at the events it records and the state it folds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from services.monitoring.domain import (
    REMOVED_IN_REVISION,
    ActionStatus,
    AdoptedAction,
    ApproveClosure,
    BlockAction,
    CancelAction,
    CompleteAction,
    EscalateSupplier,
    Implementation,
    ImplementationState,
    MeasureIndicator,
    ProposeClosure,
    RaiseSafetyConcern,
    ReceiveAppeal,
    RecordChildCaseOutcome,
    RecordMonitoringVisit,
    RecordOutcomeCommunicated,
    RejectClosure,
    ReopenIncident,
    ReportProgress,
    ReportRetaliation,
    ResolveSafetyConcern,
    StartAction,
    UnblockAction,
    closure_guards_unmet,
    commands,
    registry,
)
from services.monitoring.domain import events as monitoring_events
from shared.domain import Actor, CommandContext, DomainEvent
from shared.errors import Forbidden, InvalidCommand, NotFound, PreconditionFailed
from shared.incident_status import IncidentStatus as Status

NOW = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
INCIDENT_ID = UUID("7d0c5a4e-9a51-4f0e-8d0b-2f8e4c1b6a10")
OTHER_INCIDENT = UUID("8e1d6b5f-0a62-4f1f-9e1c-3f9f5d2c7b21")
CHILD = UUID("c0000000-0000-4000-8000-000000000002")
ADULT = UUID("a0000000-0000-4000-8000-000000000001")
COMMUNITY = UUID("e0000000-0000-4000-8000-000000000006")
STRANGER = UUID("f0000000-0000-4000-8000-000000000007")
SCHOOLING = UUID(int=101)
STIPEND = UUID(int=102)
WAGES = UUID(int=103)
SHELTER = UUID(int=104)
OEM = "example-electronics"
SUPPLIER = "supplier-kolwezi-1"
SHA_A = "a" * 64
SHA_B = "b" * 64


def ctx(*roles: str, who: str = "cm-1", at: datetime = NOW) -> CommandContext:
    return CommandContext(
        actor=Actor(who, "tenant-a", frozenset(roles or {"case_manager"})), now=at
    )


def approver(who: str = "ap-1", *roles: str, at: datetime = NOW) -> CommandContext:
    return ctx(*(roles or ("approver",)), who=who, at=at)


def later(days: int) -> CommandContext:
    return ctx(at=NOW + timedelta(days=days))


# --- Builders ---------------------------------------------------------------------------------


def adopted(
    action_id: UUID,
    category: str,
    *beneficiaries: UUID,
    due: date | None = None,
    owner: str = OEM,
    **fields: Any,
) -> AdoptedAction:
    return AdoptedAction.model_validate(
        {
            "action_id": action_id,
            "category": category,
            "beneficiaries": list(beneficiaries),
            "owner_org": owner,
            "provider_id": "ngo-bondeko",
            "due_date": due or TODAY + timedelta(days=30),
            "cost": {"amount": "1800.00", "currency": "USD"},
            "indicators": [
                {"name": "Attendance", "unit": "percent", "baseline": "0", "target": "90"}
            ],
            **fields,
        }
    )


def plan_actions() -> list[AdoptedAction]:
    return [
        adopted(SCHOOLING, "education_schooling", CHILD, due=TODAY + timedelta(days=60)),
        adopted(STIPEND, "family_stipend", CHILD),
        adopted(WAGES, "compensation_back_wages", ADULT, owner=SUPPLIER),
    ]


def adopt(
    impl: Implementation,
    revision: int = 1,
    actions: list[AdoptedAction] | None = None,
    *,
    child: bool = True,
    victims: tuple[UUID, ...] = (CHILD, ADULT),
    at: datetime = NOW,
) -> None:
    impl.adopt_plan(
        revision,
        plan_actions() if actions is None else actions,
        list(victims),
        [COMMUNITY],
        child,
        ctx("system", who="system:plan-adoption", at=at),
    )


def new_impl() -> Implementation:
    return Implementation(str(INCIDENT_ID))


def adopted_impl(*, child: bool = True) -> Implementation:
    impl = new_impl()
    adopt(impl, child=child)
    return impl


def start(impl: Implementation, action_id: UUID, on: date = TODAY) -> None:
    impl.start_action(action_id, StartAction(started_on=on), ctx())


def complete(
    impl: Implementation, action_id: UUID, *types: str, on: date = TODAY, at: datetime = NOW
) -> None:
    evidence = [
        {"sha256": f"{n:064x}", "type": kind}
        for n, kind in enumerate(types or ("attendance_record",), start=1)
    ]
    impl.complete_action(
        action_id,
        CompleteAction.model_validate({"evidence": evidence, "completed_on": on}),
        ctx(at=at),
    )


def cancel(impl: Implementation, action_id: UUID) -> None:
    impl.cancel_action(
        action_id, CancelAction(reason="The victim declined this assistance."), ctx()
    )


def visit(impl: Implementation, *, final: bool = True, report_id: UUID | None = None) -> UUID:
    report_id = report_id or next(_fresh_ids)
    impl.record_monitoring_visit(
        RecordMonitoringVisit(
            method="victim_follow_up",
            visited_on=TODAY,
            final=final,
            findings="Children attend school; the stipend is paid monthly.",
            indicator_values=[
                {
                    "name": "Attendance",
                    "unit": "percent",
                    "baseline": "0",
                    "target": "90",
                    "value": "92",
                }
            ],
        ),
        ctx(),
        report_id=report_id,
    )
    return report_id


CHECKLIST = {"objectives_met": True, "no_open_safety_risk": True, "supplier_verified": True}


def propose(impl: Implementation, who: str = "cm-1", **checklist: bool) -> None:
    impl.propose_closure(
        ProposeClosure(
            reason="remediated",
            checklist={**CHECKLIST, **checklist},
            residual_risks=["Older siblings may be drawn to the site in the dry season."],
        ),
        ctx(who=who),
    )


def communicate(impl: Implementation, how: str = "informed_via_safe_channel") -> None:
    impl.record_outcome_communicated(
        RecordOutcomeCommunicated.model_validate(
            {
                "how": how,
                "feedback": "given" if how == "informed_via_safe_channel" else "not_reachable",
                "note": "Three visits by the NGO case worker; the family has moved away.",
            }
        ),
        ctx(),
    )


def child_outcome(
    impl: Implementation, victim_id: UUID, outcome: str = "handed_to_child_protection"
) -> None:
    impl.record_child_case_outcome(victim_id, RecordChildCaseOutcome(outcome=outcome), ctx())


def approve(impl: Implementation, who: str = "ap-2", *roles: str) -> None:
    impl.approve_closure(ApproveClosure(note="Reviewed."), approver(who, *roles))


def finish_all(impl: Implementation) -> None:
    for action_id in (SCHOOLING, STIPEND, WAGES):
        start(impl, action_id)
        complete(impl, action_id)


def in_review(*, child: bool = True) -> Implementation:
    impl = adopted_impl(child=child)
    finish_all(impl)
    visit(impl)
    propose(impl)
    return impl


def ready_to_close() -> Implementation:
    impl = in_review()
    communicate(impl)
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT, "goal_reached")
    return impl


def closed() -> Implementation:
    impl = ready_to_close()
    approve(impl)
    return impl


_fresh_ids = iter(UUID(int=n) for n in range(1000, 100000))


def raise_concern(impl: Implementation, *suspend: UUID, victim_id: UUID | None = CHILD) -> UUID:
    concern_id = next(_fresh_ids)
    impl.raise_safety_concern(
        RaiseSafetyConcern(
            kind="threat_or_intimidation",
            severity="high",
            victim_id=victim_id,
            suspend_action_ids=list(suspend),
        ),
        ctx(),
        concern_id=concern_id,
    )
    return concern_id


def resolve(impl: Implementation, concern_id: UUID) -> None:
    impl.resolve_safety_concern(
        concern_id, ResolveSafetyConcern(resolution="Family relocated by the NGO."), ctx()
    )


def retaliate(impl: Implementation) -> None:
    impl.report_retaliation(
        ReportRetaliation(against="reporter", kind="dismissal"), ctx(), report_id=next(_fresh_ids)
    )


def refused(
    code: str, act: Callable[[], object], error: type[Exception] = PreconditionFailed
) -> None:
    with pytest.raises(error) as caught:
        act()
    assert caught.value.code == code  # type: ignore[attr-defined]


def names(impl: Implementation, since: int = 0) -> list[str]:
    return [event.name() for event in impl.changes[since:]]


def status(impl: Implementation) -> Status | None:
    """The incident's status as monitoring sees it (a call, so checks after commands are not
    narrowed away by the type checker)."""
    return impl.state.status


def status_of(impl: Implementation, action_id: UUID) -> ActionStatus:
    return impl.state.actions[action_id].status


def payload(event: DomainEvent) -> dict[str, Any]:
    return event.model_dump()


# --- The walk through Steps 4 and 5 -----------------------------------------------------------


def test_full_walk_from_plan_approved_to_closed_and_reopened_on_appeal() -> None:
    impl = new_impl()
    adopt(impl)
    assert status(impl) is Status.PLAN_APPROVED
    assert [status_of(impl, a) for a in (SCHOOLING, STIPEND, WAGES)] == ["planned"] * 3
    start(impl, SCHOOLING)
    assert status(impl) is Status.IMPLEMENTING
    impl.report_progress(SCHOOLING, ReportProgress(percent=40, code="on_track"), ctx())
    assert impl.state.actions[SCHOOLING].percent == 40
    start(impl, STIPEND)
    start(impl, WAGES)
    complete(impl, SCHOOLING, "attendance_record", "provider_report")
    complete(impl, STIPEND, "payment_record")
    complete(impl, WAGES, "payment_record")
    assert closure_guards_unmet(impl.state) == [
        "closure-not-proposed",
        "final-visit-missing",
        "child-case-outcome-missing",
    ]
    report_id = visit(impl)
    propose(impl)
    assert status(impl) is Status.CLOSURE_REVIEW
    assert closure_guards_unmet(impl.state) == [
        "outcome-not-communicated",
        "child-case-outcome-missing",
    ]
    communicate(impl)
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT, "goal_reached")
    assert closure_guards_unmet(impl.state) == []
    approve(impl, "ap-2")
    assert status(impl) is Status.CLOSED
    assert closure_guards_unmet(impl.state) == []
    appeal_id = next(_fresh_ids)
    impl.receive_appeal(ReceiveAppeal(grounds="remedy_inadequate"), ctx(), appeal_id=appeal_id)
    impl.reopen(ReopenIncident(reason="appeal", note="Appeal found admissible."), ctx())
    assert status(impl) is Status.REOPENED

    assert names(impl) == [
        "PlanAdopted",
        "ActionStarted",
        "ActionProgressReported",
        "ActionStarted",
        "ActionStarted",
        "ActionCompleted",
        "ActionCompleted",
        "ActionCompleted",
        "MonitoringVisitRecorded",
        "ClosureProposed",
        "VictimInformedOfOutcome",
        "ChildCaseOutcomeRecorded",
        "ChildCaseOutcomeRecorded",
        "ClosureApproved",
        "IncidentClosed",
        "AppealReceived",
        "IncidentReopened",
    ]
    by_name = {e.name(): payload(e) for e in impl.changes}
    adoption = by_name["PlanAdopted"]
    assert adoption["status"] is Status.PLAN_APPROVED and adoption["revision"] == 1
    assert adoption["victim_ids"] == [CHILD, ADULT] and adoption["child_involved"] is True
    assert [a["action_id"] for a in adoption["actions"]] == [SCHOOLING, STIPEND, WAGES]
    assert by_name["MonitoringVisitRecorded"]["report_id"] == report_id
    proposal = by_name["ClosureProposed"]
    assert (proposal["status"], proposal["proposed_by"]) == (Status.CLOSURE_REVIEW, "cm-1")
    assert by_name["ClosureApproved"]["approved_by"] == "ap-2"
    closure = by_name["IncidentClosed"]
    assert (closure["status"], closure["reason"], closure["closed_at"]) == (
        Status.CLOSED,
        "remediated",
        NOW,
    )
    reopened = by_name["IncidentReopened"]
    assert (reopened["status"], reopened["reason"], reopened["appeal_id"]) == (
        Status.REOPENED,
        "appeal",
        appeal_id,
    )
    completed = payload(impl.changes[5])
    assert [e["type"] for e in completed["evidence"]] == ["attendance_record", "provider_report"]


def test_every_event_is_stamped_with_the_incident_and_ctx_now() -> None:
    impl = adopted_impl()
    impl.start_action(SCHOOLING, StartAction(started_on=TODAY), later(2))
    stamps = [(payload(e)["incident_id"], payload(e)["occurred_at"]) for e in impl.changes]
    assert stamps == [(INCIDENT_ID, NOW), (INCIDENT_ID, NOW + timedelta(days=2))]


# --- Before a plan is adopted -----------------------------------------------------------------

Command = Callable[[Implementation, UUID], object]
"""A command on an implementation; the UUID is the action it names (where it names one)."""

COMMANDS: dict[str, Command] = {
    "note_plan_suspended": lambda i, a: i.note_plan_suspended("Plan under review", ctx()),
    "start_action": lambda i, a: start(i, a),
    "report_progress": lambda i, a: i.report_progress(
        a, ReportProgress(percent=5, code="on_track"), ctx()
    ),
    "block_action": lambda i, a: i.block_action(a, BlockAction(reason="funding_delayed"), ctx()),
    "unblock_action": lambda i, a: i.unblock_action(a, UnblockAction(), ctx()),
    "complete_action": lambda i, a: complete(i, a),
    "cancel_action": lambda i, a: cancel(i, a),
    "mark_overdue": lambda i, a: i.mark_overdue(a, TODAY, ctx()),
    "record_monitoring_visit": lambda i, a: visit(i),
    "measure_indicator": lambda i, a: i.measure_indicator(
        MeasureIndicator(
            action_id=a, name="Attendance", unit="percent", target=90, value=50, measured_on=TODAY
        ),
        ctx(),
    ),
    "raise_safety_concern": lambda i, a: raise_concern(i, victim_id=None),
    "resolve_safety_concern": lambda i, a: resolve(i, STRANGER),
    "report_retaliation": lambda i, a: retaliate(i),
    "escalate_supplier": lambda i, a: i.escalate_supplier(
        EscalateSupplier(level="senior_management", reason="No repayment after 60 days."), ctx()
    ),
    "propose_closure": lambda i, a: propose(i),
    "record_outcome_communicated": lambda i, a: communicate(i),
    "record_child_case_outcome": lambda i, a: child_outcome(i, CHILD),
    "approve_closure": lambda i, a: approve(i),
    "reject_closure": lambda i, a: i.reject_closure(
        RejectClosure(reason="Not ready to close yet."), approver()
    ),
    "receive_appeal": lambda i, a: i.receive_appeal(
        ReceiveAppeal(grounds="outcome_disputed"), ctx(), appeal_id=STRANGER
    ),
    "reopen": lambda i, a: i.reopen(ReopenIncident(reason="new_evidence"), ctx()),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_nothing_but_adoption_before_a_plan_is_adopted(command: str) -> None:
    impl = new_impl()
    refused("plan-not-adopted", lambda: COMMANDS[command](impl, SCHOOLING))
    assert impl.changes == [] and status(impl) is None


def test_before_adoption_nothing_is_overdue_and_closure_waits_for_a_plan() -> None:
    impl = new_impl()
    assert impl.overdue_actions(NOW + timedelta(days=400)) == []
    assert closure_guards_unmet(impl.state) == ["plan-not-adopted"]


ACTION_COMMANDS = [
    "start_action",
    "report_progress",
    "block_action",
    "unblock_action",
    "complete_action",
    "cancel_action",
    "mark_overdue",
]


@pytest.mark.parametrize("command", ACTION_COMMANDS)
def test_an_unknown_action_in_the_path_is_not_found(command: str) -> None:
    impl = adopted_impl()
    refused("action-not-found", lambda: COMMANDS[command](impl, STRANGER), NotFound)
    assert names(impl) == ["PlanAdopted"]


def test_an_unknown_action_in_the_body_is_invalid() -> None:
    impl = adopted_impl()
    refused("action-unknown", lambda: COMMANDS["measure_indicator"](impl, STRANGER), InvalidCommand)
    refused(
        "action-unknown",
        lambda: impl.escalate_supplier(
            EscalateSupplier(
                level="sourcing_review", reason="Refuses to fund the stipend.", action_id=STRANGER
            ),
            ctx(),
        ),
        InvalidCommand,
    )


# --- Adoption ---------------------------------------------------------------------------------


def test_adoption_takes_plan_approved_actions_as_plan_publishes_them() -> None:
    """The contract with plan: an item of PlanApproved.actions, as JSON, validates unchanged
    (fields monitoring does not keep, such as ``purpose``, are dropped)."""
    from services.plan.domain.events import PlanAction

    item = {
        "action_id": str(SCHOOLING),
        "category": "education_schooling",
        "beneficiaries": [str(CHILD)],
        "owner_org": OEM,
        "provider_id": "school-kolwezi-3",
        "due_date": "2026-09-01",
        "cost": {"amount": "1800.00", "currency": "USD"},
        "purpose": "service_provision",
        "removes_child_from_work": True,
        "indicators": [{"name": "Attendance", "unit": "%", "baseline": None, "target": "90"}],
    }
    assert set(item) == set(PlanAction.model_fields)  # the payload has plan's exact shape
    action = AdoptedAction.model_validate(item)
    assert action.due_date == date(2026, 9, 1) and action.cost.amount == Decimal("1800.00")
    assert "purpose" not in action.model_dump()
    impl = new_impl()
    adopt(impl, actions=[action])
    assert impl.state.actions[SCHOOLING].removes_child_from_work is True


def test_a_redelivered_or_older_revision_is_ignored_silently() -> None:
    impl = new_impl()
    adopt(impl, revision=2)
    adopt(impl, revision=2)
    adopt(impl, revision=1, actions=[adopted(SHELTER, "shelter", CHILD)])
    assert names(impl) == ["PlanAdopted"]
    assert impl.state.revision == 2 and SHELTER not in impl.state.actions


def test_adoption_refuses_a_malformed_revision() -> None:
    refused("revision-invalid", lambda: adopt(new_impl(), revision=0), InvalidCommand)
    twice = [*plan_actions(), adopted(SCHOOLING, "shelter", CHILD)]
    refused("action-repeated", lambda: adopt(new_impl(), actions=twice), InvalidCommand)


def test_a_revision_adds_changes_and_removes_actions() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    impl.report_progress(SCHOOLING, ReportProgress(percent=30, code="delayed"), ctx())
    start(impl, WAGES)
    complete(impl, WAGES, "payment_record")
    moved = TODAY + timedelta(days=90)
    before = len(impl.changes)
    adopt(
        impl,
        revision=2,
        actions=[
            adopted(SCHOOLING, "education_schooling", CHILD, due=moved),
            adopted(SHELTER, "shelter", CHILD),
        ],
        victims=(CHILD,),
    )
    # STIPEND (planned) is cancelled; WAGES (completed) stays completed.
    assert names(impl, before) == ["PlanRevisionAdopted", "ActionCancelled"]
    revised, cancelled = (payload(e) for e in impl.changes[before:])
    assert [a["action_id"] for a in revised["added"]] == [SHELTER]
    assert [a["action_id"] for a in revised["changed"]] == [SCHOOLING]
    assert revised["removed_action_ids"] == [STIPEND, WAGES]
    assert revised["status"] is None  # still implementing
    assert (cancelled["action_id"], cancelled["reason"]) == (STIPEND, REMOVED_IN_REVISION)
    s = impl.state
    assert s.revision == 2 and s.victim_ids == [CHILD]
    assert s.actions[SCHOOLING].due_date == moved
    assert (s.actions[SCHOOLING].status, s.actions[SCHOOLING].percent) == ("in_progress", 30)
    assert s.actions[SCHOOLING].revision == 2
    assert (s.actions[STIPEND].status, s.actions[STIPEND].cancel_reason) == (
        "cancelled",
        REMOVED_IN_REVISION,
    )
    assert s.actions[STIPEND].removed_in_revision == 2
    assert s.actions[WAGES].status == "completed" and s.actions[WAGES].removed_in_revision == 2
    assert s.actions[SHELTER].status == "planned" and s.actions[SHELTER].revision == 2


def test_a_revision_with_unchanged_terms_lists_nothing_as_changed() -> None:
    impl = adopted_impl()
    adopt(impl, revision=2)
    revised = payload(impl.changes[-1])
    assert (revised["added"], revised["changed"], revised["removed_action_ids"]) == ([], [], [])


def test_a_revision_adding_work_during_closure_review_goes_back_to_implementing() -> None:
    impl = in_review()
    communicate(impl)
    adopt(impl, revision=2, actions=[*plan_actions(), adopted(SHELTER, "shelter", CHILD)])
    assert payload(impl.changes[-1])["status"] is Status.IMPLEMENTING
    assert status(impl) is Status.IMPLEMENTING
    assert impl.state.proposal is None and impl.state.outcome is None
    # The final report predates the new work: a new one is needed.
    assert closure_guards_unmet(impl.state)[:3] == [
        "closure-not-proposed",
        "actions-not-finished",
        "final-visit-missing",
    ]


def test_a_revision_without_new_work_leaves_closure_review_alone() -> None:
    impl = in_review()
    adopt(impl, revision=2)
    assert payload(impl.changes[-1])["status"] is None
    assert status(impl) is Status.CLOSURE_REVIEW and impl.state.proposal is not None


def test_a_revision_after_reopening_moves_back_to_implementing() -> None:
    impl = closed()
    impl.reopen(ReopenIncident(reason="new_evidence"), ctx())
    adopt(impl, revision=2, actions=[*plan_actions(), adopted(SHELTER, "shelter", CHILD)])
    assert payload(impl.changes[-1])["status"] is Status.IMPLEMENTING
    assert status(impl) is Status.IMPLEMENTING


def test_a_revision_on_a_closed_incident_waits_for_a_reopening() -> None:
    impl = closed()
    adopt(impl, revision=2, actions=[*plan_actions(), adopted(SHELTER, "shelter", CHILD)])
    assert payload(impl.changes[-1])["status"] is None
    assert status(impl) is Status.CLOSED and status_of(impl, SHELTER) == "planned"
    refused("incident-closed", lambda: start(impl, SHELTER))
    impl.reopen(ReopenIncident(reason="new_evidence"), ctx())
    start(impl, SHELTER)
    assert payload(impl.changes[-1])["status"] is Status.IMPLEMENTING


def test_a_revision_may_make_the_case_a_child_case() -> None:
    impl = adopted_impl(child=False)
    assert closure_guards_unmet(impl.state)[-1] != "child-case-outcome-missing"
    adopt(impl, revision=2, child=True)
    assert impl.state.child_involved
    assert closure_guards_unmet(impl.state)[-1] == "child-case-outcome-missing"


# --- Plan suspension --------------------------------------------------------------------------


def test_a_plan_suspension_suspends_live_actions_until_a_new_revision() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    impl.block_action(STIPEND, BlockAction(reason="provider_unavailable"), ctx())
    start(impl, WAGES)
    complete(impl, WAGES)
    before = len(impl.changes)
    impl.note_plan_suspended("State investigation asked the company to pause.", ctx())
    impl.note_plan_suspended("State investigation asked the company to pause.", ctx())
    assert names(impl, before) == ["PlanSuspensionNoted"]
    assert payload(impl.changes[-1])["suspended_action_ids"] == [SCHOOLING, STIPEND]
    assert [status_of(impl, a) for a in (SCHOOLING, STIPEND, WAGES)] == [
        "suspended",
        "suspended",
        "completed",
    ]
    refused("action-suspended", lambda: complete(impl, SCHOOLING))
    refused("action-suspended", lambda: impl.unblock_action(STIPEND, UnblockAction(), ctx()))
    adopt(impl, revision=2)
    assert payload(impl.changes[-1])["resumed_action_ids"] == [SCHOOLING, STIPEND]
    assert [status_of(impl, a) for a in (SCHOOLING, STIPEND)] == ["in_progress", "blocked"]
    assert not impl.state.plan_suspended


def test_a_plan_suspension_needs_a_reason() -> None:
    impl = adopted_impl()
    refused("reason-missing", lambda: impl.note_plan_suspended("  ", ctx()), InvalidCommand)


# --- Actions ----------------------------------------------------------------------------------


def test_the_first_start_moves_the_incident_to_implementing_once() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    start(impl, STIPEND)
    first, second = (payload(e) for e in impl.changes[1:])
    assert first["status"] is Status.IMPLEMENTING and second["status"] is None
    assert impl.state.actions[SCHOOLING].started_on == TODAY


def test_an_action_starts_once_and_progresses_only_while_in_progress() -> None:
    impl = adopted_impl()
    progress = ReportProgress(percent=10, code="on_track")
    refused("action-not-started", lambda: impl.report_progress(SCHOOLING, progress, ctx()))
    refused("action-not-started", lambda: complete(impl, SCHOOLING))
    start(impl, SCHOOLING)
    refused("action-already-started", lambda: start(impl, SCHOOLING))
    impl.report_progress(SCHOOLING, progress, ctx())
    assert payload(impl.changes[-1])["code"] == "on_track"


def test_a_blocked_action_neither_progresses_nor_completes_until_unblocked() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    refused("action-not-blocked", lambda: impl.unblock_action(SCHOOLING, UnblockAction(), ctx()))
    impl.block_action(SCHOOLING, BlockAction(reason="funding_delayed"), ctx())
    assert status_of(impl, SCHOOLING) == "blocked"
    assert impl.state.actions[SCHOOLING].block_reason == "funding_delayed"
    refused(
        "action-already-blocked",
        lambda: impl.block_action(SCHOOLING, BlockAction(reason="other"), ctx()),
    )
    refused(
        "action-blocked",
        lambda: impl.report_progress(SCHOOLING, ReportProgress(percent=5, code="delayed"), ctx()),
    )
    refused("action-blocked", lambda: complete(impl, SCHOOLING))
    impl.unblock_action(SCHOOLING, UnblockAction(note="Funds released."), ctx())
    assert status_of(impl, SCHOOLING) == "in_progress"
    complete(impl, SCHOOLING)
    assert status_of(impl, SCHOOLING) == "completed"


def test_an_action_blocked_before_it_started_returns_to_planned() -> None:
    impl = adopted_impl()
    impl.block_action(STIPEND, BlockAction(reason="access_restricted"), ctx())
    refused("action-blocked", lambda: start(impl, STIPEND))
    impl.unblock_action(STIPEND, UnblockAction(), ctx())
    assert status_of(impl, STIPEND) == "planned"
    assert status(impl) is Status.PLAN_APPROVED  # blocking is not starting


FINAL_REFUSALS: dict[str, Callable[[Implementation, UUID], object]] = {
    "start": lambda i, a: start(i, a),
    "progress": lambda i, a: i.report_progress(a, ReportProgress(percent=1, code="at_risk"), ctx()),
    "block": lambda i, a: i.block_action(a, BlockAction(reason="other"), ctx()),
    "unblock": lambda i, a: i.unblock_action(a, UnblockAction(), ctx()),
    "complete": lambda i, a: complete(i, a),
    "cancel": lambda i, a: cancel(i, a),
}


@pytest.mark.parametrize("command", sorted(FINAL_REFUSALS))
def test_completed_and_cancelled_actions_are_final(command: str) -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    complete(impl, SCHOOLING)
    cancel(impl, STIPEND)
    refused("action-completed", lambda: FINAL_REFUSALS[command](impl, SCHOOLING))
    refused("action-cancelled", lambda: FINAL_REFUSALS[command](impl, STIPEND))


def test_blocked_and_suspended_actions_can_be_cancelled_with_a_reason() -> None:
    impl = adopted_impl()
    impl.block_action(STIPEND, BlockAction(reason="beneficiary_unreachable"), ctx())
    concern_id = raise_concern(impl, SCHOOLING)
    cancel(impl, STIPEND)
    cancel(impl, SCHOOLING)
    assert impl.state.actions[SCHOOLING].cancel_reason == "The victim declined this assistance."
    assert impl.state.actions[SCHOOLING].suspended_for == []
    resolve(impl, concern_id)
    assert payload(impl.changes[-1])["resumed_action_ids"] == []
    assert [status_of(impl, a) for a in (SCHOOLING, STIPEND)] == ["cancelled", "cancelled"]
    with pytest.raises(ValidationError):
        CancelAction(reason="No.")


def test_completion_needs_evidence_of_distinct_files() -> None:
    with pytest.raises(ValidationError):
        CompleteAction.model_validate({"evidence": [], "completed_on": TODAY})
    with pytest.raises(ValidationError):
        CompleteAction.model_validate(
            {
                "evidence": [
                    {"sha256": SHA_A, "type": "document"},
                    {"sha256": SHA_A, "type": "payment_record"},
                ],
                "completed_on": TODAY,
            }
        )
    with pytest.raises(ValidationError):
        CompleteAction.model_validate(
            {"evidence": [{"sha256": "A" * 64, "type": "document"}], "completed_on": TODAY}
        )


def test_completion_dates_are_neither_in_the_future_nor_before_the_start() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING, on=TODAY - timedelta(days=3))
    tomorrow = TODAY + timedelta(days=1)
    refused("completed-in-future", lambda: complete(impl, SCHOOLING, on=tomorrow), InvalidCommand)
    refused(
        "completed-before-start",
        lambda: complete(impl, SCHOOLING, on=TODAY - timedelta(days=4)),
        InvalidCommand,
    )
    complete(impl, SCHOOLING, on=TODAY - timedelta(days=3))
    assert impl.state.actions[SCHOOLING].completed_on == TODAY - timedelta(days=3)


def test_a_child_case_takes_no_photo_as_evidence() -> None:
    impl = adopted_impl(child=True)
    start(impl, SCHOOLING)
    refused("photo-in-child-case", lambda: complete(impl, SCHOOLING, "photo"), InvalidCommand)
    adult = adopted_impl(child=False)
    start(adult, WAGES)
    complete(adult, WAGES, "photo")
    assert adult.state.actions[WAGES].evidence[0].type == "photo"


@pytest.mark.parametrize(
    ("code", "act"),
    [
        ("started-in-future", lambda i, d: start(i, SCHOOLING, on=d)),
        (
            "visited-in-future",
            lambda i, d: i.record_monitoring_visit(
                RecordMonitoringVisit(
                    method="site_visit",
                    visited_on=d,
                    findings="Visit planned for next week at the site.",
                ),
                ctx(),
                report_id=STRANGER,
            ),
        ),
        (
            "measured-in-future",
            lambda i, d: i.measure_indicator(
                MeasureIndicator(
                    name="Attendance", unit="percent", target=90, value=80, measured_on=d
                ),
                ctx(),
            ),
        ),
    ],
)
def test_dates_that_record_what_happened_cannot_lie_in_the_future(
    code: str, act: Callable[[Implementation, date], object]
) -> None:
    impl = adopted_impl()
    refused(code, lambda: act(impl, TODAY + timedelta(days=1)), InvalidCommand)
    act(impl, TODAY)
    assert len(impl.changes) == 2


# --- Overdue (the scheduler) ------------------------------------------------------------------

DUE = TODAY + timedelta(days=30)  # STIPEND and WAGES; SCHOOLING is due at +60


def at(days: int) -> datetime:
    return NOW + timedelta(days=days)


def test_an_action_is_overdue_the_day_after_its_due_date() -> None:
    impl = adopted_impl()
    assert impl.overdue_actions(at(30)) == []
    assert impl.overdue_actions(at(31)) == [(STIPEND, DUE), (WAGES, DUE)]
    assert impl.state.overdue_by_owner(at(31).date()) == {OEM: [STIPEND], SUPPLIER: [WAGES]}
    assert impl.changes[1:] == []  # a pure query


def test_overdue_is_recorded_once_per_deadline() -> None:
    impl = adopted_impl()
    impl.mark_overdue(STIPEND, DUE, later(31))
    impl.mark_overdue(STIPEND, DUE, later(31))  # a restarted scheduler
    impl.mark_overdue(STIPEND, DUE, later(45))
    assert names(impl) == ["PlanAdopted", "ActionOverdue"]
    flagged = payload(impl.changes[-1])
    assert flagged == {
        "incident_id": INCIDENT_ID,
        "occurred_at": at(31),
        "action_id": STIPEND,
        "due_date": DUE,
        "owner_org": OEM,
        "detected_at": at(31),
    }
    assert impl.state.actions[STIPEND].overdue_flagged_for == [DUE]
    assert impl.overdue_actions(at(45)) == [(WAGES, DUE)]
    assert status_of(impl, STIPEND) == "planned"  # overdue is derived, never a status
    # Flagged or not, it is still overdue for the owner's view.
    assert impl.state.overdue_by_owner(at(45).date())[OEM] == [STIPEND]


def test_a_revision_that_moves_the_due_date_allows_a_new_overdue() -> None:
    impl = adopted_impl()
    impl.mark_overdue(STIPEND, DUE, later(31))
    new_due = TODAY + timedelta(days=50)
    adopt(
        impl,
        revision=2,
        actions=[
            *plan_actions()[:1],
            adopted(STIPEND, "family_stipend", CHILD, due=new_due),
            plan_actions()[2],
        ],
        at=at(32),
    )
    assert (STIPEND, new_due) not in impl.overdue_actions(at(40))
    impl.mark_overdue(STIPEND, DUE, later(40))  # the old deadline: no longer the deadline
    assert names(impl)[-1] == "PlanRevisionAdopted"
    assert impl.overdue_actions(at(51)) == [(STIPEND, new_due), (WAGES, DUE)]
    impl.mark_overdue(STIPEND, new_due, later(51))
    assert payload(impl.changes[-1])["due_date"] == new_due
    assert impl.state.actions[STIPEND].overdue_flagged_for == [DUE, new_due]


def test_mark_overdue_is_a_no_op_unless_the_action_is_overdue_now() -> None:
    impl = adopted_impl()
    impl.mark_overdue(STIPEND, DUE, later(30))  # not due yet
    start(impl, WAGES)
    complete(impl, WAGES)
    impl.mark_overdue(WAGES, DUE, later(31))  # finished meanwhile
    raise_concern(impl, STIPEND)
    impl.mark_overdue(STIPEND, DUE, later(31))  # suspended for safety
    assert "ActionOverdue" not in names(impl)


@pytest.mark.parametrize(
    ("setup", "overdue"),
    [
        ("planned", True),
        ("in_progress", True),
        ("blocked", True),
        ("suspended", False),
        ("completed", False),
        ("cancelled", False),
    ],
)
def test_which_statuses_can_be_overdue(setup: str, overdue: bool) -> None:
    impl = adopted_impl()
    if setup != "planned":
        start(impl, STIPEND)
    if setup == "blocked":
        impl.block_action(STIPEND, BlockAction(reason="funding_delayed"), ctx())
    if setup == "suspended":
        raise_concern(impl, STIPEND)
    if setup == "completed":
        complete(impl, STIPEND)
    if setup == "cancelled":
        cancel(impl, STIPEND)
    assert status_of(impl, STIPEND) == setup
    assert ((STIPEND, DUE) in impl.overdue_actions(at(31))) is overdue


# --- Safety first (domain.md 3.8) -------------------------------------------------------------


def test_a_safety_concern_moves_to_priority_and_suspends_the_exposing_actions() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    start(impl, WAGES)
    complete(impl, WAGES)
    impl.block_action(STIPEND, BlockAction(reason="access_restricted"), ctx())
    before = len(impl.changes)
    concern_id = raise_concern(impl, SCHOOLING, STIPEND, WAGES)
    assert names(impl, before) == [
        "SafetyConcernRaised",
        "ActionSuspendedForSafety",
        "ActionSuspendedForSafety",
    ]
    raised = payload(impl.changes[before])
    assert (raised["concern_id"], raised["victim_id"], raised["priority"]) == (
        concern_id,
        CHILD,
        True,
    )
    assert "status" not in raised and status(impl) is Status.IMPLEMENTING
    assert impl.state.priority
    assert [payload(e)["action_id"] for e in impl.changes[before + 1 :]] == [SCHOOLING, STIPEND]
    assert [status_of(impl, a) for a in (SCHOOLING, STIPEND, WAGES)] == [
        "suspended",
        "suspended",
        "completed",
    ]
    refused("action-suspended", lambda: complete(impl, SCHOOLING))
    refused(
        "action-suspended",
        lambda: impl.report_progress(SCHOOLING, ReportProgress(percent=9, code="at_risk"), ctx()),
    )
    refused(
        "action-suspended",
        lambda: impl.block_action(SCHOOLING, BlockAction(reason="other"), ctx()),
    )

    resolve(impl, concern_id)
    resolved = payload(impl.changes[-1])
    assert resolved["resumed_action_ids"] == [SCHOOLING, STIPEND]
    assert resolved["priority"] is False and not impl.state.priority
    assert [status_of(impl, a) for a in (SCHOOLING, STIPEND)] == ["in_progress", "blocked"]
    complete(impl, SCHOOLING)


def test_a_planned_action_suspended_for_safety_cannot_start_and_returns_to_planned() -> None:
    impl = adopted_impl()
    concern_id = raise_concern(impl, STIPEND)
    refused("action-suspended", lambda: start(impl, STIPEND))
    resolve(impl, concern_id)
    assert status_of(impl, STIPEND) == "planned"


def test_suspensions_stack_until_every_concern_is_resolved() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    first = raise_concern(impl, SCHOOLING)
    second = raise_concern(impl, SCHOOLING, victim_id=None)
    resolve(impl, first)
    assert payload(impl.changes[-1])["resumed_action_ids"] == []
    assert payload(impl.changes[-1])["priority"] is True
    assert status_of(impl, SCHOOLING) == "suspended" and impl.state.priority
    resolve(impl, second)
    assert status_of(impl, SCHOOLING) == "in_progress" and not impl.state.priority


def test_a_safety_suspension_and_a_plan_suspension_both_hold_an_action() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    concern_id = raise_concern(impl, SCHOOLING)
    impl.note_plan_suspended("Plan suspended pending the audit.", ctx())
    resolve(impl, concern_id)
    assert status_of(impl, SCHOOLING) == "suspended"
    adopt(impl, revision=2)
    assert status_of(impl, SCHOOLING) == "in_progress"


def test_safety_concerns_refuse_unknown_ids_and_double_handling() -> None:
    impl = adopted_impl()
    refused("victim-unknown", lambda: raise_concern(impl, victim_id=STRANGER), InvalidCommand)
    refused("action-unknown", lambda: raise_concern(impl, STRANGER), InvalidCommand)
    refused("concern-not-found", lambda: resolve(impl, STRANGER), NotFound)
    concern_id = raise_concern(impl)
    refused(
        "concern-already-raised",
        lambda: impl.raise_safety_concern(
            RaiseSafetyConcern(kind="other", severity="low"), ctx(), concern_id=concern_id
        ),
    )
    resolve(impl, concern_id)
    refused("concern-already-resolved", lambda: resolve(impl, concern_id))


def test_an_open_safety_concern_blocks_closure() -> None:
    impl = ready_to_close()
    concern_id = raise_concern(impl, victim_id=CHILD)
    assert closure_guards_unmet(impl.state) == ["safety-concern-open"]
    refused("safety-concern-open", lambda: approve(impl))
    resolve(impl, concern_id)
    approve(impl)
    assert status(impl) is Status.CLOSED


def test_a_safety_concern_is_recorded_even_on_a_closed_incident() -> None:
    impl = closed()
    raise_concern(impl)
    assert names(impl)[-1] == "SafetyConcernRaised" and impl.state.priority
    assert status(impl) is Status.CLOSED


def test_retaliation_puts_an_open_incident_into_priority_handling() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    retaliate(impl)
    assert names(impl)[-1] == "RetaliationReported"
    reported = payload(impl.changes[-1])
    assert (reported["against"], reported["kind"], reported["priority"]) == (
        "reporter",
        "dismissal",
        True,
    )
    assert impl.state.priority and status(impl) is Status.IMPLEMENTING


def test_priority_handling_ends_with_the_last_concern_or_with_closure() -> None:
    """Retaliation without a safety concern keeps the case in priority handling until a concern
    is resolved with none left open, or the case is closed."""
    impl = adopted_impl()
    retaliate(impl)
    finish_all(impl)
    visit(impl)
    propose(impl)
    communicate(impl)
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT)
    assert impl.state.priority
    approve(impl)
    assert not impl.state.priority and status(impl) is Status.CLOSED
    concern_id = raise_concern(impl)
    retaliate(impl)  # reopens
    assert impl.state.priority
    resolve(impl, concern_id)
    assert not impl.state.priority


def test_retaliation_on_a_closed_incident_reopens_it() -> None:
    impl = closed()
    assert not impl.state.priority
    before = len(impl.changes)
    retaliate(impl)
    assert names(impl, before) == ["RetaliationReported", "IncidentReopened"]
    reopened = payload(impl.changes[-1])
    assert (reopened["reason"], reopened["status"]) == ("retaliation", Status.REOPENED)
    assert status(impl) is Status.REOPENED and impl.state.priority
    adopt(impl, revision=2, actions=[*plan_actions(), adopted(SHELTER, "shelter", CHILD)])
    assert status(impl) is Status.IMPLEMENTING


def test_a_retaliation_report_is_recorded_once() -> None:
    impl = adopted_impl()
    report = ReportRetaliation(against="witness", kind="threats")
    impl.report_retaliation(report, ctx(), report_id=STRANGER)
    refused(
        "retaliation-already-reported",
        lambda: impl.report_retaliation(report, ctx(), report_id=STRANGER),
    )


# --- Monitoring -------------------------------------------------------------------------------


def test_visits_indicators_and_escalations_are_recorded() -> None:
    impl = adopted_impl()
    report_id = visit(impl, final=False)
    assert impl.state.final_report_id is None and impl.state.visits[0].report_id == report_id
    refused("report-already-recorded", lambda: visit(impl, report_id=report_id))
    for value in ("40", "75"):
        impl.measure_indicator(
            MeasureIndicator(
                action_id=SCHOOLING,
                name="Attendance",
                unit="percent",
                baseline=0,
                target=90,
                value=value,
                measured_on=TODAY,
            ),
            ctx(),
        )
    impl.measure_indicator(
        MeasureIndicator(
            name="Children at the site",
            unit="count",
            baseline=12,
            target=0,
            value=1,
            measured_on=TODAY,
        ),
        ctx(),
    )
    measured = payload(impl.changes[-1])
    assert (measured["indicator"], measured["action_id"]) == ("Children at the site", None)
    assert [(m.indicator, m.value) for m in impl.state.measurements] == [
        ("Attendance", Decimal(75)),
        ("Children at the site", Decimal(1)),
    ]
    impl.escalate_supplier(
        EscalateSupplier(
            level="senior_management", reason="Back wages unpaid after 60 days.", action_id=WAGES
        ),
        ctx(),
    )
    escalated = payload(impl.changes[-1])
    assert (escalated["level"], escalated["action_id"]) == ("senior_management", WAGES)
    assert status(impl) is Status.PLAN_APPROVED  # escalation never moves the incident
    visit(impl, final=True)
    assert impl.state.final_report_id is not None


CLOSED_REFUSALS = [
    "start_action",
    "report_progress",
    "block_action",
    "unblock_action",
    "complete_action",
    "cancel_action",
    "record_monitoring_visit",
    "measure_indicator",
    "escalate_supplier",
    "propose_closure",
    "record_outcome_communicated",
    "record_child_case_outcome",
    "approve_closure",
    "reject_closure",
]


@pytest.mark.parametrize("command", CLOSED_REFUSALS)
def test_a_closed_incident_takes_no_work_until_reopened(command: str) -> None:
    impl = closed()
    refused("incident-closed", lambda: COMMANDS[command](impl, SCHOOLING))


# --- Proposing closure ------------------------------------------------------------------------


def test_proposing_closure_needs_every_action_finished_and_a_final_report() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    complete(impl, SCHOOLING)
    cancel(impl, WAGES)
    start(impl, STIPEND)
    refused("actions-not-finished", lambda: propose(impl))
    impl.block_action(STIPEND, BlockAction(reason="provider_unavailable"), ctx())
    refused("actions-not-finished", lambda: propose(impl))
    impl.unblock_action(STIPEND, UnblockAction(), ctx())
    complete(impl, STIPEND)
    refused("final-visit-missing", lambda: propose(impl))
    visit(impl, final=False)
    refused("final-visit-missing", lambda: propose(impl))
    visit(impl, final=True)
    propose(impl)
    assert status(impl) is Status.CLOSURE_REVIEW
    assert impl.state.proposal is not None and impl.state.proposal.reason == "remediated"
    refused("closure-already-proposed", lambda: propose(impl))


def test_a_plan_whose_actions_were_all_cancelled_before_starting_can_be_closed() -> None:
    impl = adopted_impl(child=False)
    for action_id in (SCHOOLING, STIPEND, WAGES):
        cancel(impl, action_id)
    visit(impl)
    assert status(impl) is Status.PLAN_APPROVED
    impl.propose_closure(
        ProposeClosure(reason="victim_declined", checklist={"decision_documented": True}), ctx()
    )
    communicate(impl, "impossible_documented")
    approve(impl)
    assert status(impl) is Status.CLOSED and impl.state.closure_reason == "victim_declined"


def test_a_closure_proposal_needs_a_reason_and_a_checklist() -> None:
    example = ProposeClosure.model_json_schema()["examples"][0]
    broken: dict[str, Any]
    for broken in (
        {"checklist": {}},
        {"checklist": {"Objectives Met": True}},
        {"reason": "solved"},
        {"reason": None},
    ):
        with pytest.raises(ValidationError):
            ProposeClosure.model_validate({**example, **broken})
    without_checklist = {k: v for k, v in example.items() if k != "checklist"}
    with pytest.raises(ValidationError):
        ProposeClosure.model_validate(without_checklist)


# --- Approving closure ------------------------------------------------------------------------


def test_only_an_approver_or_admin_approves_or_rejects_closure() -> None:
    impl = ready_to_close()
    for act in (
        lambda: approve(impl, "ap-2", "case_manager"),
        lambda: impl.reject_closure(RejectClosure(reason="Not yet verified."), ctx()),
    ):
        refused("approver-role-required", act, Forbidden)
    approve(impl, "root", "admin")
    assert status(impl) is Status.CLOSED and impl.state.approved_by == "root"


def test_four_eyes_the_proposer_cannot_approve() -> None:
    impl = ready_to_close()
    refused("approver-is-proposer", lambda: approve(impl, "cm-1", "approver"))
    assert status(impl) is Status.CLOSURE_REVIEW


def test_approval_needs_a_proposal() -> None:
    impl = adopted_impl()
    finish_all(impl)
    visit(impl)
    refused("closure-not-proposed", lambda: approve(impl))
    refused(
        "closure-not-proposed",
        lambda: impl.reject_closure(RejectClosure(reason="Nothing to reject."), approver()),
    )


def test_the_checklist_must_be_complete() -> None:
    impl = adopted_impl()
    finish_all(impl)
    visit(impl)
    propose(impl, supplier_verified=False)
    communicate(impl)
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT)
    assert closure_guards_unmet(impl.state) == ["checklist-incomplete"]
    refused("checklist-incomplete", lambda: approve(impl))


def test_the_outcome_must_be_communicated_after_the_proposal() -> None:
    impl = adopted_impl()
    refused("closure-not-proposed", lambda: communicate(impl))
    impl = in_review()
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT)
    refused("outcome-not-communicated", lambda: approve(impl))
    communicate(impl, "impossible_documented")
    informed = payload(impl.changes[-1])
    assert (informed["how"], informed["feedback"]) == ("impossible_documented", "not_reachable")
    approve(impl)
    assert status(impl) is Status.CLOSED


def test_an_impossible_communication_is_documented_and_has_no_feedback() -> None:
    with pytest.raises(ValidationError):
        RecordOutcomeCommunicated(how="impossible_documented", feedback="not_reachable")
    with pytest.raises(ValidationError):
        RecordOutcomeCommunicated(
            how="impossible_documented", feedback="given", note="Family moved; three attempts."
        )
    RecordOutcomeCommunicated(how="informed_via_safe_channel", feedback="declined")


def test_in_a_child_case_every_victim_needs_a_child_outcome() -> None:
    """Monitoring knows victims only by id: in a child case it treats every victim as a child
    (presumption of age), so the adult-looking ADULT needs an outcome too."""
    impl = in_review()
    communicate(impl)
    child_outcome(impl, CHILD)
    assert impl.state.children_without_outcome == [ADULT]
    refused("child-case-outcome-missing", lambda: approve(impl))
    child_outcome(impl, ADULT, "goal_reached")
    approve(impl)
    outcomes = [
        payload(e)["outcome"] for e in impl.changes if e.name() == "ChildCaseOutcomeRecorded"
    ]
    assert outcomes == ["handed_to_child_protection", "goal_reached"]


def test_a_case_without_children_needs_and_takes_no_child_outcome() -> None:
    impl = in_review(child=False)
    refused("child-not-involved", lambda: child_outcome(impl, ADULT))
    communicate(impl)
    approve(impl)
    assert status(impl) is Status.CLOSED


def test_a_child_outcome_names_a_victim_of_the_plan() -> None:
    impl = adopted_impl()
    refused("victim-not-found", lambda: child_outcome(impl, STRANGER), NotFound)
    child_outcome(impl, CHILD, "goal_reached")  # before the proposal: a goal reached early
    child_outcome(impl, CHILD)  # recorded again: the latest counts
    assert impl.state.child_outcomes == {CHILD: "handed_to_child_protection"}


def test_closure_guards_unmet_before_the_proposal_lists_everything_in_order() -> None:
    impl = adopted_impl()
    start(impl, SCHOOLING)
    raise_concern(impl)
    assert closure_guards_unmet(impl.state) == [
        "closure-not-proposed",
        "actions-not-finished",
        "final-visit-missing",
        "safety-concern-open",
        "child-case-outcome-missing",
    ]


def test_approval_records_closure_approved_then_incident_closed() -> None:
    impl = ready_to_close()
    before = len(impl.changes)
    impl.approve_closure(ApproveClosure(note="Committee agreed."), approver("ap-9", at=at(3)))
    assert names(impl, before) == ["ClosureApproved", "IncidentClosed"]
    approved, closure = (payload(e) for e in impl.changes[before:])
    assert (approved["approved_by"], approved["note"]) == ("ap-9", "Committee agreed.")
    assert closure["closed_at"] == at(3) and impl.state.closed_at == at(3)
    refused("incident-closed", lambda: approve(impl, "ap-3"))


# --- Rejecting closure ------------------------------------------------------------------------


def test_rejection_returns_to_implementing_and_ends_the_closure_round() -> None:
    impl = ready_to_close()
    impl.reject_closure(
        RejectClosure(reason="The supplier's corrective action is not audited."), approver()
    )
    rejected = payload(impl.changes[-1])
    assert (rejected["status"], rejected["rejected_by"]) == (Status.IMPLEMENTING, "ap-1")
    assert status(impl) is Status.IMPLEMENTING
    assert impl.state.proposal is None and impl.state.outcome is None
    assert impl.state.child_outcomes  # facts about the children stay
    assert closure_guards_unmet(impl.state) == ["closure-not-proposed"]
    propose(impl)
    refused("outcome-not-communicated", lambda: approve(impl))
    communicate(impl)
    approve(impl)
    assert status(impl) is Status.CLOSED
    with pytest.raises(ValidationError):
        RejectClosure(reason="No.")


# --- Appeals and reopening --------------------------------------------------------------------


def test_appeals_are_received_on_closed_incidents_only() -> None:
    impl = in_review()
    appeal = ReceiveAppeal(grounds="outcome_disputed")
    refused("incident-not-closed", lambda: impl.receive_appeal(appeal, ctx(), appeal_id=STRANGER))
    impl = closed()
    impl.receive_appeal(appeal, ctx(), appeal_id=STRANGER)
    refused(
        "appeal-already-received",
        lambda: impl.receive_appeal(appeal, ctx(), appeal_id=STRANGER),
    )


def test_reopening_needs_a_closed_incident_and_a_valid_reason() -> None:
    refused(
        "incident-not-closed",
        lambda: in_review().reopen(ReopenIncident(reason="new_evidence"), ctx()),
    )
    impl = closed()
    refused("appeal-not-received", lambda: impl.reopen(ReopenIncident(reason="appeal"), ctx()))
    with pytest.raises(ValidationError):
        ReopenIncident(reason="recurrence")
    refused(
        "related-incident-is-self",
        lambda: impl.reopen(
            ReopenIncident(reason="recurrence", related_incident_id=INCIDENT_ID), ctx()
        ),
        InvalidCommand,
    )
    impl.reopen(ReopenIncident(reason="recurrence", related_incident_id=OTHER_INCIDENT), ctx())
    reopened = payload(impl.changes[-1])
    assert (reopened["reason"], reopened["related_incident_id"]) == ("recurrence", OTHER_INCIDENT)
    assert status(impl) is Status.REOPENED and impl.state.reopen_count == 1


def test_an_appeal_is_used_by_one_reopening() -> None:
    impl = closed()
    impl.receive_appeal(ReceiveAppeal(grounds="procedure_unfair"), ctx(), appeal_id=STRANGER)
    impl.reopen(ReopenIncident(reason="appeal"), ctx())
    assert payload(impl.changes[-1])["appeal_id"] == STRANGER
    _close_again(impl)
    refused("appeal-not-received", lambda: impl.reopen(ReopenIncident(reason="appeal"), ctx()))


def _close_again(impl: Implementation) -> None:
    visit(impl)
    propose(impl)
    communicate(impl)
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT)
    approve(impl)
    assert status(impl) is Status.CLOSED


def test_a_reopened_case_is_re_assessed_before_it_closes_again() -> None:
    impl = closed()
    impl.reopen(ReopenIncident(reason="new_evidence", note="A second site was named."), ctx())
    assert closure_guards_unmet(impl.state) == [
        "closure-not-proposed",
        "final-visit-missing",
        "child-case-outcome-missing",
    ]
    refused("final-visit-missing", lambda: propose(impl))
    _close_again(impl)
    assert impl.state.reopen_count == 1


def test_starting_after_reopening_moves_back_to_implementing() -> None:
    impl = closed()
    adopt(impl, revision=2, actions=[*plan_actions(), adopted(SHELTER, "shelter", CHILD)])
    impl.reopen(ReopenIncident(reason="new_evidence"), ctx())
    start(impl, SHELTER)
    assert payload(impl.changes[-1])["status"] is Status.IMPLEMENTING
    assert status(impl) is Status.IMPLEMENTING


# --- Snapshots, replay, registry --------------------------------------------------------------


def busy_impl() -> Implementation:
    """Something of everything, and every event type at least once."""
    impl = adopted_impl()
    start(impl, SCHOOLING)
    impl.report_progress(SCHOOLING, ReportProgress(percent=50, code="milestone_reached"), ctx())
    impl.block_action(STIPEND, BlockAction(reason="funding_delayed", note="Bank hold."), ctx())
    impl.unblock_action(STIPEND, UnblockAction(), ctx())
    impl.mark_overdue(STIPEND, DUE, later(31))
    concern_id = raise_concern(impl, SCHOOLING)
    resolve(impl, concern_id)
    raise_concern(impl, victim_id=None)  # stays open in the snapshot
    retaliate(impl)
    impl.escalate_supplier(
        EscalateSupplier(level="industry_mechanism", reason="Smelter ignores the request."),
        ctx(),
    )
    impl.measure_indicator(
        MeasureIndicator(
            action_id=SCHOOLING,
            name="Attendance",
            unit="percent",
            target=90,
            value="87.5",
            measured_on=TODAY,
        ),
        ctx(),
    )
    impl.note_plan_suspended("Suspended pending the audit.", ctx())
    adopt(impl, revision=2, actions=[*plan_actions()[:2], adopted(SHELTER, "shelter", CHILD)])
    complete(impl, SCHOOLING)
    return impl


def closed_busy_impl() -> Implementation:
    impl = busy_impl()
    for concern in impl.state.open_concerns:
        resolve(impl, concern.concern_id)
    for action_id in (STIPEND, SHELTER):
        start(impl, action_id)
        complete(impl, action_id)
    visit(impl)
    propose(impl)
    impl.reject_closure(RejectClosure(reason="Stipend receipts are missing."), approver())
    propose(impl)
    communicate(impl)
    child_outcome(impl, CHILD)
    child_outcome(impl, ADULT)
    approve(impl)
    impl.receive_appeal(ReceiveAppeal(grounds="new_information"), ctx(), appeal_id=STRANGER)
    impl.reopen(ReopenIncident(reason="appeal"), ctx())
    return impl


def test_state_survives_a_json_snapshot() -> None:
    impl = busy_impl()
    snapshot = impl.snapshot()
    restored = Implementation.from_snapshot(str(INCIDENT_ID), snapshot, version=len(impl.changes))
    assert isinstance(restored, Implementation)
    assert restored.state == impl.state
    assert restored.state.actions[SCHOOLING].status == "completed"
    assert list(restored.state.actions) == [SCHOOLING, STIPEND, WAGES, SHELTER]
    # The restored aggregate goes on working from where it was.
    assert restored.overdue_actions(at(31)) == impl.overdue_actions(at(31))
    start(restored, SHELTER)
    assert restored.state.actions[SHELTER].status == "in_progress"
    full = closed_busy_impl()
    assert ImplementationState.model_validate(full.snapshot()) == full.state


def test_empty_state_survives_a_json_snapshot() -> None:
    state = ImplementationState()
    assert ImplementationState.model_validate(state.model_dump(mode="json")) == state


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    impl = closed_busy_impl()
    replayed = new_impl()
    replayed.replay(list(impl.changes))
    assert replayed.state == impl.state
    assert replayed.version == len(impl.changes)


def test_every_recorded_event_round_trips_through_the_registry() -> None:
    impl = closed_busy_impl()
    recorded = set()
    for event in impl.changes:
        event_type = registry.type_of(event)
        assert event_type.startswith("org.remedium.monitoring.")
        assert registry.load(event_type, event.model_dump(mode="json")) == event
        recorded.add(event.name())
    assert recorded == set(registry.names)
    replayed = new_impl()
    replayed.replay(
        [registry.load(registry.type_of(e), e.model_dump(mode="json")) for e in impl.changes]
    )
    assert replayed.state == impl.state


def _event_classes() -> set[str]:
    return {
        cls.__name__
        for cls in vars(monitoring_events).values()
        if isinstance(cls, type)
        and issubclass(cls, monitoring_events.MonitoringEvent)
        and cls is not monitoring_events.MonitoringEvent
    }


def test_every_event_class_is_registered() -> None:
    """Exactly the events of the monitoring interface (domain.md 2.3, Steps 4 and 5)."""
    assert _event_classes() == {
        "PlanAdopted",
        "PlanRevisionAdopted",
        "PlanSuspensionNoted",
        "ActionStarted",
        "ActionProgressReported",
        "ActionBlocked",
        "ActionUnblocked",
        "ActionCompleted",
        "ActionCancelled",
        "ActionOverdue",
        "MonitoringVisitRecorded",
        "IndicatorMeasured",
        "SafetyConcernRaised",
        "ActionSuspendedForSafety",
        "SafetyConcernResolved",
        "RetaliationReported",
        "SupplierEscalated",
        "ClosureProposed",
        "VictimInformedOfOutcome",
        "ChildCaseOutcomeRecorded",
        "ClosureApproved",
        "IncidentClosed",
        "ClosureRejected",
        "AppealReceived",
        "IncidentReopened",
    }
    assert set(registry.names) == _event_classes()


def test_events_that_move_the_incident_carry_its_status() -> None:
    carrying = {
        name for name in registry.names if "status" in getattr(monitoring_events, name).model_fields
    }
    assert carrying == {
        "PlanAdopted",
        "PlanRevisionAdopted",
        "ActionStarted",
        "ClosureProposed",
        "IncidentClosed",
        "ClosureRejected",
        "IncidentReopened",
    }
    impl = closed_busy_impl()
    moving = [e for e in impl.changes if payload(e).get("status") is not None]
    folded = new_impl()
    for event in impl.changes:
        folded.apply(event)
        if event in moving:
            assert folded.state.status is payload(event)["status"]


def test_events_are_frozen_and_no_field_hides_the_event_name() -> None:
    impl = adopted_impl()
    with pytest.raises(ValidationError):
        impl.changes[0].status = Status.CLOSED  # type: ignore[attr-defined]
    for name in registry.names:
        assert "name" not in getattr(monitoring_events, name).model_fields


# --- Personal data ----------------------------------------------------------------------------

IDENTIFYING = {"full_name", "name_of", "contact", "identity", "phone", "address", "email"}


def test_events_name_people_only_by_id() -> None:
    """No event field may carry who a person is; people appear as UUIDs (victim_id) and staff as
    API-key subjects where they are part of the fact."""
    people_fields = set()
    for name in registry.names:
        fields = getattr(monitoring_events, name).model_fields
        assert not IDENTIFYING & set(fields), name
        people_fields |= {f for f in fields if "victim" in f}
    assert people_fields == {"victim_id", "victim_ids"}
    concern = monitoring_events.SafetyConcernRaised.model_fields["victim_id"]
    assert concern.annotation == UUID | None


def test_money_and_measurements_are_written_as_strings_never_floats() -> None:
    impl = busy_impl()
    adoption = impl.changes[0].model_dump_json()
    assert '"amount":"1800.00"' in adoption
    measured = next(e for e in impl.changes if e.name() == "IndicatorMeasured")
    assert '"value":"87.5"' in measured.model_dump_json()


# --- Command shapes (422 before the domain) ---------------------------------------------------


def _command_classes() -> list[type[BaseModel]]:
    return [
        getattr(commands, name)
        for name in commands.__all__
        if isinstance(getattr(commands, name), type)
    ]


@pytest.mark.parametrize("command", _command_classes(), ids=lambda c: c.__name__)
def test_every_command_has_a_valid_example_and_forbids_unknown_fields(
    command: type[BaseModel],
) -> None:
    examples = command.model_json_schema()["examples"]
    assert len(examples) == 1
    command.model_validate(examples[0])
    with pytest.raises(ValidationError):
        command.model_validate({**examples[0], "unexpected": 1})


@pytest.mark.parametrize(
    ("command", "body"),
    [
        (StartAction, {"started_on": "soon"}),
        (ReportProgress, {"percent": 101}),
        (ReportProgress, {"percent": -1}),
        (ReportProgress, {"code": "fine"}),
        (BlockAction, {"reason": "because"}),
        (CompleteAction, {"evidence": [{"sha256": "abc", "type": "document"}]}),
        (CompleteAction, {"evidence": [{"sha256": SHA_B, "type": "selfie"}]}),
        (CancelAction, {"reason": "short"}),
        (RecordMonitoringVisit, {"method": "phone_call"}),
        (RecordMonitoringVisit, {"findings": "All fine."}),
        (MeasureIndicator, {"value": "lots"}),
        (MeasureIndicator, {"name": ""}),
        (RaiseSafetyConcern, {"severity": "extreme"}),
        (RaiseSafetyConcern, {"suspend_action_ids": [str(WAGES), str(WAGES)]}),
        (ResolveSafetyConcern, {"resolution": "ok"}),
        (ReportRetaliation, {"against": "supplier"}),
        (EscalateSupplier, {"level": "ceo"}),
        (ProposeClosure, {"reason": "done"}),
        (RecordOutcomeCommunicated, {"feedback": "happy"}),
        (RecordChildCaseOutcome, {"outcome": "adult_now"}),
        (RejectClosure, {"reason": ""}),
        (ReceiveAppeal, {"grounds": "unhappy"}),
        (ReopenIncident, {"reason": "boredom"}),
        (ReopenIncident, {"related_incident_id": None}),
    ],
)
def test_malformed_commands_are_rejected(command: type[BaseModel], body: dict[str, Any]) -> None:
    example = command.model_json_schema()["examples"][0]
    command.model_validate(example)  # the example itself is valid: only the change breaks it
    with pytest.raises(ValidationError):
        command.model_validate({**example, **body})


def test_closure_reasons_and_monitoring_methods_are_those_of_the_domain_model() -> None:
    from services.monitoring.domain import ClosureReason, MonitoringMethod, ReopenReason

    assert [r.value for r in ClosureReason] == [
        "remediated",
        "victim_declined",
        "contact_lost",
        "handed_to_state_process",
        "unsubstantiated",
        "not_linked",
        "duplicate",
    ]
    assert [m.value for m in MonitoringMethod] == [
        "site_visit",
        "provider_report",
        "victim_follow_up",
        "audit",
        "document_review",
    ]
    assert [r.value for r in ReopenReason] == [
        "new_evidence",
        "recurrence",
        "appeal",
        "retaliation",
    ]
