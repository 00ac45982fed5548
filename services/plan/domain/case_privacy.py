"""RemediationCase, privacy (domain.md 3): need-to-know access to identities, audited reads,
erasure by crypto-shredding and legal holds. People here are victims and guardians.

Need-to-know rule (who may read a person's sealed identity):

1. the person must belong to this case (a victim or a guardian, current or replaced);
2. the reader is one of the plan's authors (whoever drafted or revised it), or a subject a case
   manager granted need-to-know on this case (GrantNeedToKnow);
3. never an ``analyst`` (aggregates only), whatever was granted;
4. in a child case (intake reported a child, or a beneficiary is, or is presumed, a child) never a
   ``provider``, whatever was granted: providers get what they need through consent-gated sharing,
   not from the vault. The rule is per case, not per person, so a provider cannot read the adult
   relatives around a child either;
5. roles are read from ``actor.roles`` directly, so ``admin`` gets no bypass: an administrator who
   needs an identity is granted need-to-know like anyone else.

Every read is recorded as PersonalDataAccessed; erasure is refused while a legal hold applies.
"""

from __future__ import annotations

from uuid import UUID

from shared.domain import Actor, CommandContext, require
from shared.errors import Forbidden, InvalidCommand, NotFound

from .case_base import CaseBase
from .commands import IDENTITY_FIELDS, GrantNeedToKnow, PlaceLegalHold, ReleaseLegalHold
from .events import (
    LegalHoldPlaced,
    LegalHoldReleased,
    NeedToKnowGranted,
    PersonalDataAccessed,
    PersonalDataErased,
)

NEVER_READS_IDENTITIES = frozenset({"analyst"})
NEVER_READS_CHILD_IDENTITIES = frozenset({"provider"})


class PrivacySteps(CaseBase):
    def grant_need_to_know(self, cmd: GrantNeedToKnow, ctx: CommandContext) -> None:
        if not ctx.actor.has_any("case_manager"):
            raise Forbidden(
                "Only a case manager grants need-to-know access.",
                code="case-manager-role-required",
            )
        require(
            cmd.subject not in self.state.need_to_know,
            "need-to-know-already-granted",
            "This subject already has need-to-know access to the case.",
        )
        self.record(
            NeedToKnowGranted(
                **self._header(ctx), subject=cmd.subject, granted_by=ctx.actor.subject
            )
        )

    def may_read_identity(self, actor: Actor, person_id: UUID) -> bool:
        """The need-to-know rule of the module docstring. A pure query: records nothing."""
        s = self.state
        if not s.knows_person(person_id) or actor.roles & NEVER_READS_IDENTITIES:
            return False
        if s.is_child_case and actor.roles & NEVER_READS_CHILD_IDENTITIES:
            return False
        authors = s.plan.authors if s.plan is not None else []
        return actor.subject in authors or actor.subject in s.need_to_know

    def record_identity_access(
        self, person_id: UUID, fields: list[str], purpose: str, ctx: CommandContext
    ) -> None:
        """Call before reading the vault; the read of an erased person is recorded too (the vault
        then answers "erased")."""
        self._require_person(person_id)
        if not self.may_read_identity(ctx.actor, person_id):
            raise Forbidden(
                "You have no need-to-know access to this person's identity.",
                code="no-need-to-know",
            )
        unknown = sorted(set(fields) - IDENTITY_FIELDS)
        if not fields or unknown or len(set(fields)) != len(fields):
            raise InvalidCommand(
                f"fields must name identity fields without repeats: {sorted(IDENTITY_FIELDS)}.",
                code="identity-fields-invalid",
                unknown=unknown,
            )
        if not purpose.strip():
            raise InvalidCommand("Say why the identity is read.", code="access-purpose-missing")
        self.record(
            PersonalDataAccessed(
                **self._header(ctx),
                person_id=person_id,
                fields=fields,
                purpose=purpose.strip(),
                accessed_by=ctx.actor.subject,
            )
        )

    def record_erasure(self, person_id: UUID, ctx: CommandContext) -> None:
        """The handler deletes the person's vault key after recording this (crypto-shredding)."""
        self._require_person(person_id)
        require(
            not self.is_erased(person_id),
            "person-erased",
            "This person's identity is already erased.",
        )
        require(
            person_id not in self.state.legal_holds,
            "legal-hold-active",
            "A legal hold applies to this person's data: release it before erasure.",
        )
        self.record(
            PersonalDataErased(
                **self._header(ctx), person_id=person_id, erased_by=ctx.actor.subject
            )
        )

    def place_legal_hold(self, person_id: UUID, cmd: PlaceLegalHold, ctx: CommandContext) -> None:
        self._require_person(person_id)
        require(
            not self.is_erased(person_id),
            "person-erased",
            "This person's identity is already erased: there is nothing left to hold.",
        )
        require(
            person_id not in self.state.legal_holds,
            "legal-hold-already-placed",
            "A legal hold already applies to this person.",
        )
        self.record(LegalHoldPlaced(**self._header(ctx), person_id=person_id, reason=cmd.reason))

    def release_legal_hold(
        self, person_id: UUID, cmd: ReleaseLegalHold, ctx: CommandContext
    ) -> None:
        self._require_person(person_id)
        require(
            person_id in self.state.legal_holds,
            "legal-hold-not-placed",
            "No legal hold applies to this person.",
        )
        self.record(LegalHoldReleased(**self._header(ctx), person_id=person_id, reason=cmd.reason))

    # --- Queries ------------------------------------------------------------------------------

    def identity_ref_of(self, person_id: UUID) -> str | None:
        """The vault reference of a victim's or guardian's identity (None: none was given). It
        stays after erasure: the vault then answers "erased". Unknown person: 404."""
        victim = self.state.victims.get(person_id)
        if victim is not None:
            return victim.identity_ref
        guardian = self.state.guardians.get(person_id)
        if guardian is not None:
            return guardian.identity_ref
        raise NotFound("No such person (victim or guardian) in this case.", code="person-not-found")

    def is_erased(self, person_id: UUID) -> bool:
        return person_id in self.state.erased

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_NeedToKnowGranted(self, e: NeedToKnowGranted) -> None:
        self.state.need_to_know.append(e.subject)

    def when_PersonalDataErased(self, e: PersonalDataErased) -> None:
        self.state.erased.append(e.person_id)

    def when_LegalHoldPlaced(self, e: LegalHoldPlaced) -> None:
        self.state.legal_holds[e.person_id] = e.reason

    def when_LegalHoldReleased(self, e: LegalHoldReleased) -> None:
        del self.state.legal_holds[e.person_id]
