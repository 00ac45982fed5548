"""RemediationCase, the beneficiaries: victims (pseudonymous), communities, guardians, age and
needs assessments. The first beneficiary starts planning (RESPONSE_DETERMINED -> PLANNING)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any
from uuid import UUID

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand

from .case_base import CaseBase, IncidentFacts, Status
from .commands import (
    AssignGuardian,
    RecordNeedsAssessment,
    RegisterCommunityBeneficiary,
    RegisterVictim,
    VerifyAge,
)
from .enums import AgeBand, PresumptionReason
from .events import (
    AgePresumedChild,
    AgeVerified,
    CommunityBeneficiaryRegistered,
    GuardianAssigned,
    NeedsAssessmentRecorded,
    PlanningStarted,
    VictimRegistered,
)
from .state import Guardian, Victim, is_child_age

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread or spell


def pseudonym_for(victim_id: UUID, taken: Collection[str] = ()) -> str:
    """A short code such as ``V-7KQ2``, derived from the (random) victim id so a retried command
    gets the same one. It says nothing about the person; a longer code is used on a clash."""
    digest = int.from_bytes(hashlib.sha256(victim_id.bytes).digest(), "big")
    code = ""
    while len(code) < 12:
        digest, index = divmod(digest, len(_CROCKFORD))
        code += _CROCKFORD[index]
        if len(code) >= 4 and f"V-{code}" not in taken:
            return f"V-{code}"
    raise ValueError("no free pseudonym")  # 32**12 codes: unreachable in one case


def presumption_of(age_band: AgeBand, age_verified: bool) -> PresumptionReason | None:
    """Why a person is treated as a child without a child age band, if that is the case."""
    if age_band is AgeBand.UNKNOWN_PRESUMED_CHILD:
        return PresumptionReason.AGE_UNKNOWN
    if age_band is AgeBand.ADULT and not age_verified:
        return PresumptionReason.ADULT_AGE_UNVERIFIED
    return None


class PeopleSteps(CaseBase):
    def register_victim(
        self,
        cmd: RegisterVictim,
        ctx: CommandContext,
        *,
        victim_id: UUID,
        identity_ref: str | None,
        incident: IncidentFacts,
    ) -> None:
        """The handler has sealed ``cmd.identity`` in the vault under ``victim_id`` and passes
        only its reference; the identity itself is never read here."""
        self._require_response_determined(incident)
        self._require_unused(victim_id, "victim-already-registered")
        if (cmd.identity is None) != (identity_ref is None):
            raise ValueError("identity_ref must be given exactly when the command has an identity")
        header = self._header(ctx)
        self._start_planning(header, incident)
        taken = {victim.pseudonym for victim in self.state.victims.values()}
        self.record(
            VictimRegistered(
                **header,
                victim_id=victim_id,
                pseudonym=pseudonym_for(victim_id, taken),
                age_band=cmd.age_band,
                age_verified=cmd.age_verified,
                is_child=is_child_age(cmd.age_band, cmd.age_verified),
                gender=cmd.gender,
                provider_ref=cmd.provider_ref,
                contact_status=cmd.contact_status,
                identity_ref=identity_ref,
            )
        )
        reason = presumption_of(cmd.age_band, cmd.age_verified)
        if reason is not None:
            self.record(
                AgePresumedChild(
                    **header, victim_id=victim_id, age_band=cmd.age_band, reason=reason
                )
            )

    def register_community_beneficiary(
        self,
        cmd: RegisterCommunityBeneficiary,
        ctx: CommandContext,
        *,
        community_id: UUID,
        incident: IncidentFacts,
    ) -> None:
        self._require_response_determined(incident)
        self._require_unused(community_id, "community-already-registered")
        header = self._header(ctx)
        self._start_planning(header, incident)
        self.record(
            CommunityBeneficiaryRegistered(**header, community_id=community_id, **cmd.model_dump())
        )

    def assign_guardian(
        self,
        victim_id: UUID,
        cmd: AssignGuardian,
        ctx: CommandContext,
        *,
        guardian_id: UUID,
        identity_ref: str | None,
    ) -> None:
        """UNICEF: a child gets a guardian. A new guardian replaces the previous one, whose
        consent then no longer counts (the previous guardian may be why the child was at risk)."""
        victim = self._victim(victim_id)
        require(
            victim.is_child,
            "victim-not-a-child",
            "Only a child, or a person presumed a child, has a guardian here; an adult whose age "
            "is verified consents for themselves.",
        )
        self._require_unused(guardian_id, "guardian-already-registered")
        if (cmd.identity is None) != (identity_ref is None):
            raise ValueError("identity_ref must be given exactly when the command has an identity")
        self.record(
            GuardianAssigned(
                **self._header(ctx),
                victim_id=victim_id,
                guardian_id=guardian_id,
                relationship=cmd.relationship,
                identity_ref=identity_ref,
            )
        )

    def verify_age(self, victim_id: UUID, cmd: VerifyAge, ctx: CommandContext) -> None:
        """May move a person to adult or to child; consent is then judged by the new age (an
        adult consents for themselves, a child through their guardian)."""
        self._victim(victim_id)
        self.record(
            AgeVerified(
                **self._header(ctx),
                victim_id=victim_id,
                age_band=cmd.age_band,
                method=cmd.method,
                is_child=is_child_age(cmd.age_band, age_verified=True),
            )
        )

    def record_needs_assessment(
        self,
        victim_id: UUID,
        cmd: RecordNeedsAssessment,
        ctx: CommandContext,
        *,
        assessment_id: UUID,
    ) -> None:
        """Allowed at any time: a re-assessment in Step 4 is recorded here too."""
        self._victim(victim_id)
        if cmd.assessed_on > ctx.now.date():
            raise InvalidCommand("assessed_on lies in the future.", code="assessed-in-future")
        require(
            all(a.assessment_id != assessment_id for a in self.state.assessments),
            "assessment-already-recorded",
            "This needs assessment is already recorded.",
        )
        self.record(
            NeedsAssessmentRecorded(
                **self._header(ctx),
                assessment_id=assessment_id,
                victim_id=victim_id,
                **cmd.model_dump(),
            )
        )

    # --- Helpers ------------------------------------------------------------------------------

    def _start_planning(self, header: dict[str, Any], incident: IncidentFacts) -> None:
        """RESPONSE_DETERMINED -> PLANNING, once, with the first beneficiary (the guard of the
        transition is the beneficiary being recorded right after)."""
        if not self.state.planning_started:
            self.record(
                PlanningStarted(
                    **header, child_involved=incident.child_involved, status=Status.PLANNING
                )
            )

    def _require_unused(self, new_id: UUID, code: str) -> None:
        s = self.state
        require(
            new_id not in s.victims and new_id not in s.guardians and new_id not in s.communities,
            code,
            "This id is already used by a person or a community of this case.",
        )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_PlanningStarted(self, e: PlanningStarted) -> None:
        self.state.status = e.status
        self.state.child_involved = e.child_involved

    def when_VictimRegistered(self, e: VictimRegistered) -> None:
        self.state.victims[e.victim_id] = Victim.model_validate(
            e.model_dump(include=set(Victim.model_fields))
        )

    def when_CommunityBeneficiaryRegistered(self, e: CommunityBeneficiaryRegistered) -> None:
        self.state.communities[e.community_id] = e

    def when_AgeVerified(self, e: AgeVerified) -> None:
        victim = self.state.victims[e.victim_id]
        victim.age_band = e.age_band
        victim.age_verified = True
        victim.is_child = e.is_child

    def when_GuardianAssigned(self, e: GuardianAssigned) -> None:
        self.state.guardians[e.guardian_id] = Guardian(
            guardian_id=e.guardian_id,
            victim_id=e.victim_id,
            relationship=e.relationship,
            identity_ref=e.identity_ref,
        )
        self.state.victims[e.victim_id].guardian_id = e.guardian_id

    def when_NeedsAssessmentRecorded(self, e: NeedsAssessmentRecorded) -> None:
        self.state.assessments.append(e)
