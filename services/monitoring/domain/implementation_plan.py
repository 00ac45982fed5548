"""Implementation, the plan: adopting approved revisions (learnt from plan's PlanApproved) and
noting a suspension of the plan.

Adoption is driven by events, so it never refuses a fact for the incident's status: a redelivered
or older revision is ignored, a newer one is adopted whatever the status (on a closed incident the
new actions wait for a reopening, as actions are not worked on while closed).
"""

from __future__ import annotations

from uuid import UUID

from shared.domain import CommandContext
from shared.errors import InvalidCommand

from .enums import REMOVED_IN_REVISION
from .events import (
    ActionCancelled,
    AdoptedAction,
    PlanAdopted,
    PlanRevisionAdopted,
    PlanSuspensionNoted,
)
from .implementation_base import ImplementationBase, Status
from .state import ActionState


class PlanSteps(ImplementationBase):
    def adopt_plan(
        self,
        revision: int,
        actions: list[AdoptedAction],
        victim_ids: list[UUID],
        community_ids: list[UUID],
        child_involved: bool,
        ctx: CommandContext,
    ) -> None:
        """The first adoption records PlanAdopted (-> PLAN_APPROVED); a higher revision records
        PlanRevisionAdopted, then ActionCancelled (``removed_in_revision``) for each dropped action
        not yet completed or cancelled. The same or an older revision is a redelivery: no event."""
        if revision < 1:
            raise InvalidCommand("Plan revisions start at 1.", code="revision-invalid")
        ids = [a.action_id for a in actions]
        if len(set(ids)) != len(ids):
            raise InvalidCommand("The revision lists an action twice.", code="action-repeated")
        state = self.state
        if state.adopted and revision <= state.revision:
            return
        terms = [AdoptedAction.terms_of(a) for a in actions]
        header = self._header(ctx)
        if not state.adopted:
            self.record(
                PlanAdopted(
                    **header,
                    revision=revision,
                    actions=terms,
                    victim_ids=victim_ids,
                    community_ids=community_ids,
                    child_involved=child_involved,
                    status=Status.PLAN_APPROVED,
                )
            )
            return

        current = state.actions
        added = [a for a in terms if a.action_id not in current]
        changed = [
            a
            for a in terms
            if a.action_id in current and AdoptedAction.terms_of(current[a.action_id]) != a
        ]
        kept = set(ids)
        removed = [
            a for a in current.values() if a.removed_in_revision is None and a.action_id not in kept
        ]
        resumed = (
            [a.action_id for a in current.values() if a.suspended_by_plan and not a.suspended_for]
            if state.plan_suspended
            else []
        )
        work_again = bool(added) or any(
            not a.status.is_final for a in current.values() if a.action_id in kept
        )
        moves = state.status is Status.REOPENED or (
            state.status is Status.CLOSURE_REVIEW and work_again
        )
        self.record(
            PlanRevisionAdopted(
                **header,
                revision=revision,
                added=added,
                changed=changed,
                removed_action_ids=[a.action_id for a in removed],
                victim_ids=victim_ids,
                community_ids=community_ids,
                child_involved=child_involved,
                resumed_action_ids=resumed,
                status=Status.IMPLEMENTING if moves else None,
            )
        )
        for action in removed:
            if not action.status.is_final:
                self.record(
                    ActionCancelled(
                        **header, action_id=action.action_id, reason=REMOVED_IN_REVISION
                    )
                )

    def note_plan_suspended(self, reason: str, ctx: CommandContext) -> None:
        """Suspends every live action until a newer revision is adopted. Noting it again while
        the plan is suspended is a redelivery: no event."""
        self._require_adopted()
        if not reason.strip():
            raise InvalidCommand("A plan suspension needs a reason.", code="reason-missing")
        if self.state.plan_suspended:
            return
        self.record(
            PlanSuspensionNoted(
                **self._header(ctx),
                reason=reason,
                suspended_action_ids=[a.action_id for a in self.state.live_actions],
            )
        )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_PlanAdopted(self, e: PlanAdopted) -> None:
        s = self.state
        s.status = e.status
        s.revision = e.revision
        s.child_involved = e.child_involved
        s.victim_ids = list(e.victim_ids)
        s.community_ids = list(e.community_ids)
        s.actions = {a.action_id: _action_state(a, e.revision) for a in e.actions}

    def when_PlanRevisionAdopted(self, e: PlanRevisionAdopted) -> None:
        s = self.state
        s.revision = e.revision
        s.child_involved = e.child_involved
        s.victim_ids = list(e.victim_ids)
        s.community_ids = list(e.community_ids)
        for terms in e.added:
            s.actions[terms.action_id] = _action_state(terms, e.revision)
        for terms in e.changed:
            previous = s.actions[terms.action_id]
            s.actions[terms.action_id] = ActionState.model_validate(
                {**previous.model_dump(), **terms.model_dump(), "revision": e.revision}
            )
        for action_id in e.removed_action_ids:
            s.actions[action_id].removed_in_revision = e.revision
        if s.plan_suspended:
            s.plan_suspended = False
            s.plan_suspension_reason = None
            for action in s.actions.values():
                if action.suspended_by_plan:
                    action.suspended_by_plan = False
                    action.resume_if_free()
        if e.added:
            s.final_report_id = None  # the final report predates the new work
        if e.status is not None:
            if s.status is Status.CLOSURE_REVIEW:
                s.proposal = None
                s.outcome = None
            s.status = e.status

    def when_PlanSuspensionNoted(self, e: PlanSuspensionNoted) -> None:
        self.state.plan_suspended = True
        self.state.plan_suspension_reason = e.reason
        for action_id in e.suspended_action_ids:
            action = self.state.actions[action_id]
            action.suspended_by_plan = True
            action.suspend()


def _action_state(terms: AdoptedAction, revision: int) -> ActionState:
    return ActionState.model_validate({**terms.model_dump(), "revision": revision})
