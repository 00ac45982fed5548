"""RemediationCase, consent (IOM data-protection principle 5; UNICEF for children).

Consent names its purposes and recipient organisations, has a method, a language and maybe an
expiry, and can be withdrawn at any time, even after approval. A child's consent comes from their
current guardian with a best-interests note; the child's own views are recorded beside it.
Withdrawing blocks every action that depended on the consent (domain.md 2.4, rules in every state).
"""

from __future__ import annotations

from uuid import UUID

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand

from .case_base import CaseBase
from .commands import RecordConsent, WithdrawConsent
from .enums import BlockReason, ConsentGiver
from .events import ConsentWithdrawn, PlanActionBlocked, VictimConsentRecorded
from .state import Consent


class ConsentSteps(CaseBase):
    def record_consent(
        self, victim_id: UUID, cmd: RecordConsent, ctx: CommandContext, *, consent_id: UUID
    ) -> None:
        victim = self._victim(victim_id)
        require(
            consent_id not in self.state.consents,
            "consent-already-recorded",
            "This consent is already recorded.",
        )
        if cmd.given_at > ctx.now:
            raise InvalidCommand("given_at lies in the future.", code="consent-given-in-future")
        if cmd.expires_at is not None and cmd.expires_at <= ctx.now:
            raise InvalidCommand("The consent has already expired.", code="consent-already-expired")
        guardian_id = None
        if victim.is_child:
            require(
                cmd.given_by is ConsentGiver.GUARDIAN,
                "guardian-consent-required",
                "A child, or a person presumed a child, cannot consent alone: the guardian gives "
                "consent, and the child's own views are recorded with child_views_recorded.",
            )
            require(
                victim.guardian_id is not None,
                "guardian-not-assigned",
                "Assign the child a guardian before recording the guardian's consent.",
            )
            require(
                cmd.best_interests_note is not None,
                "best-interests-note-missing",
                "Consent for a child needs a best-interests note (CRC art. 3).",
            )
            guardian_id = victim.guardian_id
        else:
            require(
                cmd.given_by is ConsentGiver.VICTIM,
                "consent-by-victim-required",
                "An adult whose age is verified consents for themselves, not through a guardian.",
            )
        self.record(
            VictimConsentRecorded(
                **self._header(ctx),
                consent_id=consent_id,
                victim_id=victim_id,
                guardian_id=guardian_id,
                **cmd.model_dump(),
            )
        )

    def withdraw_consent(self, consent_id: UUID, cmd: WithdrawConsent, ctx: CommandContext) -> None:
        """Records the withdrawal, then PlanActionBlocked for every action of the plan that
        benefits the person, that the withdrawn consent covered (purpose and provider), and that
        no other valid consent still covers."""
        consent = self._consent(consent_id)
        require(
            consent.withdrawn_at is None,
            "consent-already-withdrawn",
            "This consent is already withdrawn.",
        )
        header = self._header(ctx)
        self.record(
            ConsentWithdrawn(
                **header,
                consent_id=consent_id,
                victim_id=consent.victim_id,
                withdrawn_at=ctx.now,
                reason=cmd.reason,
            )
        )
        for action in self.state.actions:
            if (
                consent.victim_id in action.beneficiaries
                and consent.covers(action.purpose, action.provider_id)
                and self.state.consent_gap(action, consent.victim_id, ctx.now) is not None
            ):
                self.record(
                    PlanActionBlocked(
                        **header,
                        action_id=action.action_id,
                        reason=BlockReason.CONSENT_WITHDRAWN,
                        victim_id=consent.victim_id,
                        consent_id=consent_id,
                    )
                )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_VictimConsentRecorded(self, e: VictimConsentRecorded) -> None:
        self.state.consents[e.consent_id] = Consent.model_validate(
            e.model_dump(include=set(Consent.model_fields))
        )

    def when_ConsentWithdrawn(self, e: ConsentWithdrawn) -> None:
        consent = self.state.consents[e.consent_id]
        consent.withdrawn_at = e.withdrawn_at
        consent.withdrawal_reason = e.reason

    def when_PlanActionBlocked(self, e: PlanActionBlocked) -> None:
        self.state.blocks.append(e)
