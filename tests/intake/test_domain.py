"""Unit tests of the intake domain: pure, no I/O. Each walks the Incident aggregate through
commands and looks at the events it records and the state it folds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from services.intake.domain import (
    ApproveResponseDetermination,
    AssessInvolvement,
    AssessLeverage,
    AssessSeverity,
    AssignCaseManager,
    AssignVerifier,
    AttachEvidence,
    DetermineResponse,
    FlagImmediateDanger,
    Incident,
    IncidentState,
    LinkDuplicate,
    PutOnHold,
    RecordDuplicateCheck,
    RecordFinding,
    RecordSourcingDecision,
    RecordSupplyChainLink,
    ReferToAuthorities,
    Resume,
    StartVerification,
    SubmitAllegation,
    TakeImmediateProtectionAction,
    TriageAllegation,
    allowed_next_steps,
    commands,
    evidence_id_for,
    registry,
)
from services.intake.domain.enums import LinkConfidence
from services.intake.domain.events import AllegationReceived
from shared.domain import Actor, CommandContext
from shared.errors import Forbidden, InvalidCommand, PreconditionFailed
from shared.incident_status import IncidentStatus as Status

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INCIDENT_ID = UUID("7d0c5a4e-9a51-4f0e-8d0b-2f8e4c1b6a10")
REPORTER_ID = UUID("3f2b8c1d-6e7a-4b5c-9d0e-1a2b3c4d5e6f")
OTHER_INCIDENT_ID = UUID("0b9f6d1e-4c1a-4a57-9d1e-6f0e2b8a9c31")
CONTACT = "Jane Doe +243 812 345 678"
SUMMARY = "Jane Doe says her son Pierre, 12, washes ore at the pit of Mr Kabila every day."
SHA_A = "a" * 64
SHA_B = "b" * 64


def ctx(*roles: str, at: datetime = NOW) -> CommandContext:
    return CommandContext(
        actor=Actor("user-1", "tenant-a", frozenset(roles or {"case_manager"})), now=at
    )


def submit_command(reporter: dict[str, Any] | None = None, **fields: Any) -> SubmitAllegation:
    body: dict[str, Any] = {
        "channel": "ngo_report",
        "alleged_abuses": ["wfcl_hazardous_work"],
        "minerals": ["cobalt"],
        "country": "CD",
        "site_type": "asm",
        "child_involved": True,
        "immediate_danger": False,
        "summary": SUMMARY,
        "reporter": {
            "relationship": "family",
            "anonymity": "confidential",
            "contact": CONTACT,
            "consent_to_contact": True,
            "retaliation_risk": "high",
            **(reporter or {}),
        },
        **fields,
    }
    return SubmitAllegation.model_validate(body)


def submitted(
    *, contact_ref: str | None = "vault:contact:1", has_reply_token: bool = False, **fields: Any
) -> Incident:
    return Incident.submit(
        INCIDENT_ID,
        submit_command(**fields),
        ctx(),
        reference="INC-2026-0001",
        summary_ref="vault:summary:1",
        reporter_id=REPORTER_ID,
        contact_ref=contact_ref,
        has_reply_token=has_reply_token,
    )


def ready_for_triage(**fields: Any) -> Incident:
    incident = submitted(**fields)
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), ctx())
    incident.record_duplicate_check(RecordDuplicateCheck(duplicates_found=False), ctx())
    return incident


def triaged(**fields: Any) -> Incident:
    incident = ready_for_triage(**fields)
    incident.triage(TriageAllegation(credibility="high"), ctx())
    return incident


def verifier(coi_free: bool = True, verifier_id: str = "ver-1") -> AssignVerifier:
    return AssignVerifier(
        verifier_id=verifier_id,
        organisation="Independent Assessors Ltd",
        conflict_of_interest_declared_none=coi_free,
    )


def under_verification(**fields: Any) -> Incident:
    incident = triaged(**fields)
    incident.assign_verifier(verifier(), ctx())
    incident.start_verification(StartVerification(), ctx())
    return incident


def evidence(sha256: str = SHA_A) -> AttachEvidence:
    return AttachEvidence(
        type="audit_report",
        sha256=sha256,
        source_reliability="B",
        sensitivity="confidential",
        media_type="application/pdf",
        size_bytes=1024,
        retention_class="case_file",
    )


def link(
    confidence: str = "probable",
    refs: list[UUID] | None = None,
    role: str = "smelter_refiner",
    cid: str | None = "CID002050",
    entity: str = "Example Cobalt Refinery Co.",
) -> RecordSupplyChainLink:
    return RecordSupplyChainLink(
        role=role,
        entity_ref=entity,
        smelter_cid=cid,
        link_confidence=confidence,
        evidence_refs=[evidence_id_for(INCIDENT_ID, SHA_A)] if refs is None else refs,
    )


def finding(kind: str = "substantiated", **fields: Any) -> RecordFinding:
    return RecordFinding(
        finding=kind, rationale="Interviews and the audit report agree on the facts.", **fields
    )


def verified() -> Incident:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    incident.record_supply_chain_link(link(), ctx())
    incident.record_finding(finding(), ctx())
    return incident


RATIONALE = "A reasoned rationale of at least twenty characters."
ASSESSMENTS: dict[str, Callable[[Incident], None]] = {
    "involvement-not-assessed": lambda i: i.assess_involvement(
        AssessInvolvement(involvement="directly_linked", rationale=RATIONALE), ctx()
    ),
    "leverage-not-assessed": lambda i: i.assess_leverage(
        AssessLeverage(leverage="medium", basis=RATIONALE), ctx()
    ),
    "severity-not-assessed": lambda i: i.assess_severity(
        AssessSeverity(scale=4, people_affected=23, scope="group", irremediable=False), ctx()
    ),
    "response-not-determined": lambda i: i.determine_response(
        DetermineResponse(
            response_types=["immediate_protection", "systemic_supplier"],
            response_level="joint_with_supplier",
            state_process_referral=False,
        ),
        ctx(),
    ),
    "sourcing-decision-not-recorded": lambda i: i.record_sourcing_decision(
        RecordSourcingDecision(decision="continue_with_mitigation", rationale=RATIONALE), ctx()
    ),
}


def assessed() -> Incident:
    incident = verified()
    for assess in ASSESSMENTS.values():
        assess(incident)
    return incident


def approve(incident: Incident, *roles: str) -> None:
    incident.approve_response_determination(
        ApproveResponseDetermination(note="Approved by committee."), ctx(*(roles or ("approver",)))
    )


def refused(
    code: str, action: Callable[[], object], error: type[Exception] = PreconditionFailed
) -> None:
    with pytest.raises(error) as caught:
        action()
    assert caught.value.code == code  # type: ignore[attr-defined]


def status_of(incident: Incident) -> Status:
    return incident.state.status


def names(incident: Incident) -> list[str]:
    return [event.name() for event in incident.changes]


# --- The walk through Steps 1 and 2 -----------------------------------------------------------


def test_full_walk_from_allegation_to_approved_response_determination() -> None:
    incident = submitted(immediate_danger=True)
    assert status_of(incident) is Status.RECEIVED
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), ctx())
    incident.record_duplicate_check(RecordDuplicateCheck(duplicates_found=False), ctx())
    incident.triage(
        TriageAllegation(credibility="high", additional_ilo_indicators=["debt_bondage"]), ctx()
    )
    assert status_of(incident) is Status.TRIAGED
    incident.take_immediate_protection_action(
        TakeImmediateProtectionAction(measure="removal_from_work", provider_ref="IOM Kinshasa"),
        ctx(),
    )
    incident.assign_verifier(verifier(), ctx())
    incident.start_verification(StartVerification(), ctx())
    assert status_of(incident) is Status.UNDER_VERIFICATION
    incident.attach_evidence(evidence(), ctx())
    incident.record_supply_chain_link(link(), ctx())
    incident.record_finding(finding("partially_substantiated"), ctx())
    assert status_of(incident) is Status.VERIFIED
    for assess in ASSESSMENTS.values():
        assess(incident)
    assert status_of(incident) is Status.VERIFIED  # assessments and sourcing never move it
    approve(incident)

    assert status_of(incident) is Status.RESPONSE_DETERMINED
    assert names(incident) == [
        "AllegationReceived",
        "ReporterRegistered",
        "CaseManagerAssigned",
        "DuplicateCheckCompleted",
        "AllegationTriaged",
        "ImmediateProtectionActionTaken",
        "VerifierAssigned",
        "VerificationStarted",
        "EvidenceAttached",
        "SupplyChainLinkRecorded",
        "AllegationVerified",
        "InvolvementAssessed",
        "LeverageAssessed",
        "SeverityAssessed",
        "ResponseLevelDetermined",
        "SourcingDecisionRecorded",
        "ResponseDeterminationApproved",
    ]
    approval = incident.changes[-1].model_dump()
    assert approval["approved_by"] == "user-1"
    assert approval["response_level"] == "joint_with_supplier"
    assert approval["sourcing_decision"] == "continue_with_mitigation"
    assert approval["status"] == Status.RESPONSE_DETERMINED
    verified_event = incident.changes[10].model_dump()
    assert verified_event["link_confidence"] == LinkConfidence.PROBABLE
    assert verified_event["evidence_count"] == 1
    assert incident.state.ilo_indicators == ["debt_bondage"]
    assert allowed_next_steps(incident.state) == []


def test_every_event_is_stamped_with_the_incident_and_ctx_now() -> None:
    later = NOW + timedelta(hours=5)
    incident = submitted()
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), ctx(at=later))
    first, second, third = (event.model_dump() for event in incident.changes)
    assert first["occurred_at"] == NOW and first["received_at"] == NOW
    assert third["occurred_at"] == later
    assert {first["incident_id"], second["incident_id"], third["incident_id"]} == {INCIDENT_ID}


def test_received_at_may_precede_submission_but_not_lie_in_the_future() -> None:
    earlier = NOW - timedelta(days=3)
    assert submitted(received_at=earlier).state.received_at == earlier
    refused(
        "received-in-future",
        lambda: submitted(received_at=NOW + timedelta(minutes=1)),
        InvalidCommand,
    )


# --- Step 0 guards ----------------------------------------------------------------------------


def test_triage_needs_a_case_manager() -> None:
    incident = submitted()
    incident.record_duplicate_check(RecordDuplicateCheck(duplicates_found=False), ctx())
    refused(
        "case-manager-not-assigned",
        lambda: incident.triage(TriageAllegation(credibility="low"), ctx()),
    )


def test_triage_needs_the_duplicate_check() -> None:
    incident = submitted()
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), ctx())
    refused(
        "duplicate-check-not-done",
        lambda: incident.triage(TriageAllegation(credibility="low"), ctx()),
    )


def test_triage_needs_found_duplicates_to_be_linked() -> None:
    incident = submitted()
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), ctx())
    incident.record_duplicate_check(RecordDuplicateCheck(duplicates_found=True), ctx())
    refused(
        "duplicate-not-linked", lambda: incident.triage(TriageAllegation(credibility="low"), ctx())
    )
    incident.link_duplicate(LinkDuplicate(other_incident_id=OTHER_INCIDENT_ID), ctx())
    incident.triage(TriageAllegation(credibility="low"), ctx())
    assert status_of(incident) is Status.TRIAGED


def test_triage_needs_an_abuse_type_which_triage_itself_may_add() -> None:
    incident = ready_for_triage(alleged_abuses=[])
    refused(
        "alleged-abuse-missing",
        lambda: incident.triage(TriageAllegation(credibility="medium"), ctx()),
    )
    incident.triage(
        TriageAllegation(credibility="medium", additional_abuses=["debt_bondage"]), ctx()
    )
    assert incident.state.alleged_abuses == ["debt_bondage"]


def test_triage_needs_the_channel() -> None:
    incident = Incident(str(INCIDENT_ID), IncidentState(alleged_abuses=["forced_labour"]))
    refused("channel-missing", lambda: incident.triage(TriageAllegation(credibility="low"), ctx()))


def test_triage_happens_once() -> None:
    incident = triaged()
    refused("wrong-status", lambda: incident.triage(TriageAllegation(credibility="low"), ctx()))
    refused(
        "wrong-status",
        lambda: incident.record_duplicate_check(
            RecordDuplicateCheck(duplicates_found=False), ctx()
        ),
    )


def test_an_incident_cannot_duplicate_itself_nor_link_a_duplicate_twice() -> None:
    incident = submitted()
    refused(
        "duplicate-of-itself",
        lambda: incident.link_duplicate(LinkDuplicate(other_incident_id=INCIDENT_ID), ctx()),
        InvalidCommand,
    )
    incident.link_duplicate(LinkDuplicate(other_incident_id=OTHER_INCIDENT_ID), ctx())
    refused(
        "duplicate-already-linked",
        lambda: incident.link_duplicate(LinkDuplicate(other_incident_id=OTHER_INCIDENT_ID), ctx()),
    )


# --- Safety from RECEIVED on ------------------------------------------------------------------


def test_protection_and_referral_are_allowed_before_triage() -> None:
    incident = submitted()
    incident.flag_immediate_danger(FlagImmediateDanger(reason="ongoing_violence"), ctx())
    incident.take_immediate_protection_action(
        TakeImmediateProtectionAction(measure="safe_relocation", provider_ref="NGO X"), ctx()
    )
    incident.refer_to_authorities(
        ReferToAuthorities(
            authority="law_enforcement", legal_basis="Penal code", consent_obtained=True
        ),
        ctx(),
    )
    assert status_of(incident) is Status.RECEIVED
    assert incident.state.immediate_danger
    assert len(incident.state.protection_actions) == 1 and len(incident.state.referrals) == 1


def test_verification_waits_for_protection_when_someone_is_in_danger() -> None:
    incident = triaged()
    incident.flag_immediate_danger(FlagImmediateDanger(reason="child_in_hazardous_work"), ctx())
    incident.assign_verifier(verifier(), ctx())
    refused(
        "immediate-danger-unaddressed",
        lambda: incident.start_verification(StartVerification(), ctx()),
    )
    assert allowed_next_steps(incident.state) == ["immediate-danger-unaddressed"]
    incident.refer_to_authorities(
        ReferToAuthorities(
            authority="child_protection_services",
            legal_basis="Duty to report a child in danger",
            consent_obtained=False,
            override_reason="child_protection",
        ),
        ctx(),
    )
    incident.start_verification(StartVerification(), ctx())
    assert status_of(incident) is Status.UNDER_VERIFICATION


def test_child_protection_override_needs_a_child_case() -> None:
    incident = submitted(child_involved=False)
    refused(
        "child-protection-override-needs-child",
        lambda: incident.refer_to_authorities(
            ReferToAuthorities(
                authority="law_enforcement",
                legal_basis="Penal code",
                consent_obtained=False,
                override_reason="child_protection",
            ),
            ctx(),
        ),
        InvalidCommand,
    )


# --- Step 1 guards ----------------------------------------------------------------------------


def test_verification_needs_a_verifier() -> None:
    incident = triaged()
    refused(
        "verifier-not-assigned", lambda: incident.start_verification(StartVerification(), ctx())
    )


def test_verification_needs_a_verifier_free_of_conflict() -> None:
    incident = triaged()
    incident.assign_verifier(verifier(coi_free=False), ctx())
    refused(
        "verifier-conflict-of-interest-not-declared",
        lambda: incident.start_verification(StartVerification(), ctx()),
    )
    incident.assign_verifier(verifier(verifier_id="ver-2"), ctx())
    incident.start_verification(StartVerification(), ctx())
    assert incident.changes[-1].model_dump()["verifier_id"] == "ver-2"


def test_a_verifier_replaced_during_verification_must_be_free_of_conflict() -> None:
    incident = under_verification()
    refused(
        "verifier-conflict-of-interest-not-declared",
        lambda: incident.assign_verifier(verifier(coi_free=False, verifier_id="ver-2"), ctx()),
    )
    incident.assign_verifier(verifier(verifier_id="ver-3"), ctx())
    assert incident.state.verifier is not None
    assert incident.state.verifier.verifier_id == "ver-3"


def test_verifier_cannot_be_assigned_before_triage() -> None:
    refused("wrong-status", lambda: submitted().assign_verifier(verifier(), ctx()))


def test_evidence_and_links_wait_for_verification() -> None:
    incident = triaged()
    refused("wrong-status", lambda: incident.attach_evidence(evidence(), ctx()))
    refused("wrong-status", lambda: incident.record_supply_chain_link(link(refs=[]), ctx()))


def test_evidence_may_still_be_attached_after_the_finding_but_links_may_not() -> None:
    incident = verified()
    incident.attach_evidence(evidence(SHA_B), ctx())
    assert len(incident.state.evidence) == 2
    refused("wrong-status", lambda: incident.record_supply_chain_link(link(), ctx()))


def test_the_same_file_cannot_be_attached_twice() -> None:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    assert incident.state.evidence[0].evidence_id == evidence_id_for(INCIDENT_ID, SHA_A)
    refused("evidence-already-attached", lambda: incident.attach_evidence(evidence(), ctx()))


def test_a_link_may_only_cite_evidence_of_this_incident() -> None:
    incident = under_verification()
    refused(
        "evidence-unknown",
        lambda: incident.record_supply_chain_link(link(refs=[OTHER_INCIDENT_ID]), ctx()),
        InvalidCommand,
    )


def test_a_probable_link_must_cite_evidence_but_a_possible_one_need_not() -> None:
    incident = under_verification()
    refused(
        "link-evidence-missing",
        lambda: incident.record_supply_chain_link(link("probable", refs=[]), ctx()),
        InvalidCommand,
    )
    incident.record_supply_chain_link(link("possible", refs=[]), ctx())
    assert incident.state.strongest_link is LinkConfidence.POSSIBLE


def test_recording_the_same_actor_again_replaces_its_link() -> None:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    incident.record_supply_chain_link(link("possible", refs=[]), ctx())
    incident.record_supply_chain_link(link("confirmed"), ctx())
    incident.record_supply_chain_link(
        link("possible", role="trader_exporter", cid=None, entity="T"), ctx()
    )
    assert [item.link_confidence for item in incident.state.links] == ["confirmed", "possible"]
    assert incident.state.strongest_link is LinkConfidence.CONFIRMED


# --- Smelter CID ------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", ["CID000211", "CID001070", "not_listed", "not_yet_identified"])
def test_valid_smelter_ids_are_accepted(cid: str) -> None:
    incident = under_verification()
    incident.record_supply_chain_link(link("possible", refs=[], cid=cid), ctx())
    assert incident.state.links[0].smelter_cid == cid


@pytest.mark.parametrize("cid", ["CID12345", "CID0002111", "cid000211", "SID000211", "", "unknown"])
def test_malformed_smelter_ids_are_rejected(cid: str) -> None:
    with pytest.raises(ValidationError):
        link(cid=cid)


def test_a_smelter_needs_its_cid_and_no_one_else_has_one() -> None:
    incident = under_verification()
    refused(
        "smelter-cid-required",
        lambda: incident.record_supply_chain_link(link("possible", refs=[], cid=None), ctx()),
        InvalidCommand,
    )
    refused(
        "smelter-cid-not-applicable",
        lambda: incident.record_supply_chain_link(
            link("possible", refs=[], role="trader_exporter", cid="CID000211"), ctx()
        ),
        InvalidCommand,
    )


# --- Findings ---------------------------------------------------------------------------------


def test_a_substantiated_finding_needs_evidence() -> None:
    incident = under_verification()
    incident.record_supply_chain_link(link("possible", refs=[]), ctx())
    refused(
        "evidence-missing",
        lambda: incident.record_finding(finding(respond_despite_possible_link=True), ctx()),
    )


def test_a_substantiated_finding_needs_a_probable_link() -> None:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    refused("supply-chain-link-not-probable", lambda: incident.record_finding(finding(), ctx()))
    incident.record_supply_chain_link(link("possible"), ctx())
    refused("supply-chain-link-not-probable", lambda: incident.record_finding(finding(), ctx()))
    assert allowed_next_steps(incident.state) == ["supply-chain-link-not-probable"]


def test_responding_despite_a_possible_link_still_needs_a_link() -> None:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    refused(
        "supply-chain-link-missing",
        lambda: incident.record_finding(finding(respond_despite_possible_link=True), ctx()),
    )
    incident.record_supply_chain_link(link("not_linked"), ctx())
    refused(
        "supply-chain-link-missing",
        lambda: incident.record_finding(finding(respond_despite_possible_link=True), ctx()),
    )


def test_responding_despite_a_possible_link_verifies_the_allegation() -> None:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    incident.record_supply_chain_link(link("possible"), ctx())
    incident.record_finding(finding(respond_despite_possible_link=True), ctx())
    assert status_of(incident) is Status.VERIFIED
    event = incident.changes[-1].model_dump()
    assert event["respond_despite_possible_link"] is True
    assert event["link_confidence"] == LinkConfidence.POSSIBLE


def test_an_inconclusive_finding_keeps_verification_open() -> None:
    incident = under_verification()
    incident.record_finding(finding("inconclusive"), ctx())
    assert status_of(incident) is Status.UNDER_VERIFICATION
    assert incident.state.finding == "inconclusive"
    incident.attach_evidence(evidence(), ctx())
    incident.record_supply_chain_link(link(), ctx())
    incident.record_finding(finding(), ctx())
    assert status_of(incident) is Status.VERIFIED
    assert names(incident)[-4:] == [
        "AllegationInconclusive",
        "EvidenceAttached",
        "SupplyChainLinkRecorded",
        "AllegationVerified",
    ]


@pytest.mark.parametrize(
    ("kind", "status", "event"),
    [
        ("unsubstantiated", Status.UNSUBSTANTIATED, "AllegationUnsubstantiated"),
        ("not_linked", Status.NOT_LINKED, "IncidentNotLinked"),
    ],
)
def test_closing_without_a_response_tells_the_reporter(
    kind: str, status: Status, event: str
) -> None:
    incident = under_verification()
    refused(
        "reporter-notice-missing",
        lambda: incident.record_finding(finding(kind), ctx()),
        InvalidCommand,
    )
    refused(
        "reporter-is-contactable",
        lambda: incident.record_finding(finding(kind, reporter_notice="not_contactable"), ctx()),
    )
    incident.record_finding(finding(kind, reporter_notice="informed_via_safe_channel"), ctx())
    assert status_of(incident) is status
    assert names(incident)[-1] == event
    assert incident.changes[-1].model_dump()["rationale"].startswith("Interviews")


def test_a_reporter_with_a_reply_token_is_contactable() -> None:
    incident = under_verification(
        reporter={"anonymity": "anonymous", "contact": None, "consent_to_contact": False},
        contact_ref=None,
        has_reply_token=True,
    )
    refused(
        "reporter-is-contactable",
        lambda: incident.record_finding(
            finding("unsubstantiated", reporter_notice="not_contactable"), ctx()
        ),
    )


def test_an_anonymous_reporter_without_reply_token_may_be_not_contactable() -> None:
    incident = under_verification(
        reporter={"anonymity": "anonymous", "contact": None, "consent_to_contact": True},
        contact_ref=None,
    )
    incident.record_finding(finding("unsubstantiated", reporter_notice="not_contactable"), ctx())
    assert status_of(incident) is Status.UNSUBSTANTIATED


def test_not_linked_contradicts_a_probable_link() -> None:
    incident = under_verification()
    incident.attach_evidence(evidence(), ctx())
    incident.record_supply_chain_link(link("probable"), ctx())
    refused(
        "supply-chain-link-contradicts-finding",
        lambda: incident.record_finding(
            finding("not_linked", reporter_notice="informed_via_safe_channel"), ctx()
        ),
    )


def test_no_finding_after_the_incident_left_verification() -> None:
    incident = verified()
    refused("wrong-status", lambda: incident.record_finding(finding(), ctx()))


# --- Step 2 guards ----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", list(ASSESSMENTS))
def test_approval_needs_every_part_of_the_determination(missing: str) -> None:
    incident = verified()
    for code, assess in ASSESSMENTS.items():
        if code != missing:
            assess(incident)
    assert allowed_next_steps(incident.state) == [missing]
    refused(missing, lambda: approve(incident))


def test_step_two_waits_for_verification() -> None:
    incident = under_verification()
    for assess in ASSESSMENTS.values():
        with pytest.raises(PreconditionFailed) as caught:
            assess(incident)
        assert caught.value.code == "wrong-status"
    refused("wrong-status", lambda: approve(incident))


def test_only_an_approver_or_admin_approves() -> None:
    incident = assessed()
    refused("approver-role-required", lambda: approve(incident, "case_manager"), Forbidden)
    assert status_of(incident) is Status.VERIFIED
    approve(incident, "admin")
    assert status_of(incident) is Status.RESPONSE_DETERMINED


def test_assessments_can_be_redone_until_approval_but_not_after() -> None:
    incident = assessed()
    incident.assess_leverage(AssessLeverage(leverage="high", basis=RATIONALE), ctx())
    assert incident.state.leverage is not None and incident.state.leverage.leverage == "high"
    approve(incident)
    assert incident.changes[-1].model_dump()["leverage"] == "high"
    refused("wrong-status", lambda: ASSESSMENTS["leverage-not-assessed"](incident))
    refused("wrong-status", lambda: approve(incident))


def test_the_sourcing_decision_never_moves_the_incident() -> None:
    incident = verified()
    ASSESSMENTS["sourcing-decision-not-recorded"](incident)
    assert status_of(incident) is Status.VERIFIED
    assert "status" not in type(incident.changes[-1]).model_fields


# --- Hold -------------------------------------------------------------------------------------


ON_HOLD_REFUSED: dict[str, Callable[[Incident], None]] = {
    "assign_case_manager": lambda i: i.assign_case_manager(
        AssignCaseManager(case_manager_id="x"), ctx()
    ),
    "link_duplicate": lambda i: i.link_duplicate(
        LinkDuplicate(other_incident_id=OTHER_INCIDENT_ID), ctx()
    ),
    "assign_verifier": lambda i: i.assign_verifier(verifier(), ctx()),
    "attach_evidence": lambda i: i.attach_evidence(evidence(), ctx()),
    "record_finding": lambda i: i.record_finding(finding(), ctx()),
    "put_on_hold": lambda i: i.put_on_hold(PutOnHold(reason="other"), ctx()),
}


@pytest.mark.parametrize("command", list(ON_HOLD_REFUSED))
def test_an_incident_on_hold_refuses_work(command: str) -> None:
    incident = under_verification()
    incident.put_on_hold(PutOnHold(reason="state_investigation_request"), ctx())
    refused("incident-on-hold", lambda: ON_HOLD_REFUSED[command](incident))


def test_safety_goes_on_while_on_hold_and_resume_returns_to_the_previous_status() -> None:
    incident = under_verification()
    incident.put_on_hold(PutOnHold(reason="state_investigation_request"), ctx())
    assert status_of(incident) is Status.ON_HOLD
    assert allowed_next_steps(incident.state) == ["incident-on-hold"]
    incident.flag_immediate_danger(FlagImmediateDanger(reason="retaliation_threat"), ctx())
    incident.take_immediate_protection_action(
        TakeImmediateProtectionAction(
            measure="reporter_retaliation_safeguard", provider_ref="NGO X"
        ),
        ctx(),
    )
    incident.refer_to_authorities(
        ReferToAuthorities(
            authority="law_enforcement", legal_basis="Penal code", consent_obtained=True
        ),
        ctx(),
    )
    incident.resume(Resume(), ctx())
    assert status_of(incident) is Status.UNDER_VERIFICATION
    assert incident.state.status_before_hold is None
    assert incident.changes[-1].model_dump()["status"] == Status.UNDER_VERIFICATION


def test_hold_event_remembers_where_the_incident_was() -> None:
    incident = triaged()
    incident.put_on_hold(PutOnHold(reason="legal_advice"), ctx())
    held = incident.changes[-1].model_dump()
    assert (held["previous_status"], held["status"]) == (Status.TRIAGED, Status.ON_HOLD)


def test_only_an_incident_on_hold_can_be_resumed() -> None:
    refused("incident-not-on-hold", lambda: submitted().resume(Resume(), ctx()))


def test_a_closed_incident_takes_no_command() -> None:
    incident = Incident(str(INCIDENT_ID), IncidentState(status=Status.CLOSED))
    refused("incident-closed", lambda: incident.put_on_hold(PutOnHold(reason="other"), ctx()))
    refused(
        "incident-closed",
        lambda: incident.take_immediate_protection_action(
            TakeImmediateProtectionAction(measure="other", provider_ref="NGO X"), ctx()
        ),
    )
    assert allowed_next_steps(incident.state) == ["incident-closed"]


# --- Next steps -------------------------------------------------------------------------------


def test_allowed_next_steps_lists_what_triage_still_misses() -> None:
    incident = submitted(alleged_abuses=[])
    assert allowed_next_steps(incident.state) == [
        "alleged-abuse-missing",
        "case-manager-not-assigned",
        "duplicate-check-not-done",
    ]
    assert allowed_next_steps(triaged().state) == [
        "verifier-not-assigned",
        "verifier-conflict-of-interest-not-declared",
    ]


# --- Snapshots, replay, registry --------------------------------------------------------------


def test_state_survives_a_json_snapshot() -> None:
    incident = assessed()
    incident.flag_immediate_danger(FlagImmediateDanger(reason="health_emergency"), ctx())
    snapshot = incident.snapshot()
    restored = Incident.from_snapshot(str(INCIDENT_ID), snapshot, version=len(incident.changes))
    assert restored.state == incident.state
    assert isinstance(restored, Incident)
    approve(restored)
    assert status_of(restored) is Status.RESPONSE_DETERMINED


def test_empty_state_survives_a_json_snapshot() -> None:
    state = IncidentState()
    assert IncidentState.model_validate(state.model_dump(mode="json")) == state


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    incident = assessed()
    approve(incident)
    replayed = Incident(str(INCIDENT_ID))
    replayed.replay(list(incident.changes))
    assert replayed.state == incident.state
    assert replayed.version == len(incident.changes)


def test_every_recorded_event_round_trips_through_the_registry() -> None:
    incident = assessed()
    incident.refer_to_authorities(
        ReferToAuthorities(
            authority="law_enforcement", legal_basis="Penal code", consent_obtained=True
        ),
        ctx(),
    )
    approve(incident)
    for event in incident.changes:
        event_type = registry.type_of(event)
        assert event_type.startswith("org.remedium.intake.")
        assert registry.load(event_type, event.model_dump(mode="json")) == event


def test_every_event_class_is_registered() -> None:
    from services.intake.domain import events

    defined = {
        cls.__name__
        for cls in vars(events).values()
        if isinstance(cls, type)
        and issubclass(cls, events.IncidentEvent)
        and cls is not events.IncidentEvent
    }
    assert len(defined) == 25
    assert set(registry.names) == defined


def test_events_are_frozen() -> None:
    event = submitted().changes[0]
    assert isinstance(event, AllegationReceived)
    with pytest.raises(ValidationError):
        event.country = "FR"  # type: ignore[misc]


# --- Personal data ----------------------------------------------------------------------------


def test_no_event_nor_snapshot_holds_the_contact_or_the_summary() -> None:
    incident = submitted(immediate_danger=True)
    incident.assign_case_manager(AssignCaseManager(case_manager_id="cm-1"), ctx())
    dumps = [event.model_dump_json() for event in incident.changes]
    dumps.append(str(incident.snapshot()))
    assert "Jane" in SUMMARY and "Jane" in CONTACT  # the probes below can find something
    for dump in dumps:
        for secret in ("Jane", "+243", "812 345 678", "Pierre", "Kabila", SUMMARY[:20]):
            assert secret not in dump
    registered = incident.changes[1].model_dump()
    assert registered["contact_ref"] == "vault:contact:1"
    assert incident.changes[0].model_dump()["summary_ref"] == "vault:summary:1"


def test_commands_hide_the_summary_and_contact_from_logs() -> None:
    command = submit_command()
    assert "Jane" not in repr(command) and "Jane" not in str(command.model_dump())
    assert command.summary.get_secret_value() == SUMMARY
    assert command.reporter.contact is not None
    assert command.reporter.contact.get_secret_value() == CONTACT


# --- Command shapes (422 before the domain) ---------------------------------------------------


def _command_classes() -> list[type[BaseModel]]:
    return [
        getattr(commands, name)
        for name in commands.__all__
        if name[0].isupper() and name != "SMELTER_CID_PATTERN"
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
        (SubmitAllegation, {"country": "cd"}),
        (SubmitAllegation, {"country": "COD"}),
        (SubmitAllegation, {"minerals": []}),
        (SubmitAllegation, {"minerals": ["gold", "gold"]}),
        (SubmitAllegation, {"summary": "x" * 20001}),
        (AttachEvidence, {"sha256": "A" * 64}),
        (AttachEvidence, {"sha256": "a" * 63}),
        (AttachEvidence, {"size_bytes": 0}),
        (RecordFinding, {"rationale": "too short"}),
        (ReferToAuthorities, {"consent_obtained": False, "override_reason": None}),
        (ReferToAuthorities, {"consent_obtained": True, "override_reason": "legal_duty"}),
        (AssessSeverity, {"scale": 5}),
        (AssessSeverity, {"people_affected": 0}),
        (AssessSeverity, {"irremediable": True, "irremediable_note": None}),
        (AssessSeverity, {"scope": "individual", "people_affected": 3}),
        (DetermineResponse, {"response_types": []}),
        (DetermineResponse, {"state_process_referral": False}),
        (DetermineResponse, {"state_process_referral": True, "authority": None}),
        (
            DetermineResponse,
            {
                "response_types": ["referral_to_authorities"],
                "state_process_referral": False,
                "authority": None,
            },
        ),
        (AssignCaseManager, {"case_manager_id": ""}),
        (LinkDuplicate, {"other_incident_id": "not-a-uuid"}),
    ],
)
def test_malformed_commands_are_rejected(command: type[BaseModel], body: dict[str, Any]) -> None:
    example = command.model_json_schema()["examples"][0]
    command.model_validate(example)  # the example itself is valid: only the change breaks it
    with pytest.raises(ValidationError):
        command.model_validate({**example, **body})


def test_an_anonymous_reporter_gives_no_contact() -> None:
    with pytest.raises(ValidationError):
        submit_command(reporter={"anonymity": "anonymous"})
    assert (
        submit_command(reporter={"anonymity": "anonymous", "contact": None}).reporter.contact
        is None
    )


def test_link_confidence_orders_by_strength_not_alphabet() -> None:
    assert LinkConfidence.CONFIRMED.is_at_least(LinkConfidence.PROBABLE)
    assert LinkConfidence.PROBABLE.is_at_least(LinkConfidence.PROBABLE)
    assert not LinkConfidence.POSSIBLE.is_at_least(LinkConfidence.PROBABLE)
    assert not LinkConfidence.NOT_LINKED.is_at_least(LinkConfidence.POSSIBLE)
