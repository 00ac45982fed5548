"""RemediationCase, designing the plan: the draft (objectives, budget, exit strategy), its actions,
funding and the victims' consultation. All of it changes only while the revision is editable."""

from __future__ import annotations

from uuid import UUID

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand, NotFound

from . import guards
from .case_base import CaseBase, IncidentFacts, plan_id_for
from .commands import (
    AddAction,
    ChangeAction,
    CommitFunding,
    DraftPlan,
    RecordConsultation,
    RemoveAction,
)
from .enums import PlanStatus
from .events import (
    Funding,
    FundingCommitted,
    Money,
    PlanAction,
    PlanActionAdded,
    PlanActionChanged,
    PlanActionRemoved,
    RemediationPlanDrafted,
    VictimConsulted,
)
from .state import Plan


class PlanDraftingSteps(CaseBase):
    def draft_plan(self, cmd: DraftPlan, ctx: CommandContext, *, incident: IncidentFacts) -> None:
        """Creates revision 1, or redrafts the current revision while it is editable. Whoever
        drafts becomes one of the plan's authors, who may not approve it (four eyes)."""
        self._require_response_determined(incident)
        guards.check(guards.TO_PLANNING, self.state, ctx.now)
        plan = self.state.plan
        if plan is not None:
            plan = self._editable_plan("Redrafting the plan")
        self.record(
            RemediationPlanDrafted(
                **self._header(ctx),
                plan_id=plan_id_for(UUID(self.stream_id)),
                revision=1 if plan is None else plan.revision,
                author=ctx.actor.subject,
                objectives=cmd.objectives,
                budget=Money.model_validate(cmd.budget.model_dump()),
                exit_strategy=cmd.exit_strategy,
            )
        )

    def add_action(self, cmd: AddAction, ctx: CommandContext, *, action_id: UUID) -> None:
        plan = self._editable_plan("Adding an action")
        require(
            action_id not in plan.actions and action_id not in plan.removed_action_ids,
            "action-already-exists",
            "An action with this id already exists in the plan.",
        )
        terms = self._terms(action_id, cmd, ctx, previous=None)
        self.record(PlanActionAdded(**self._header(ctx), **terms.model_dump()))

    def change_action(self, action_id: UUID, cmd: ChangeAction, ctx: CommandContext) -> None:
        plan = self._editable_plan("Changing an action")
        previous = self._action(plan, action_id)
        terms = self._terms(action_id, cmd, ctx, previous=previous)
        self.record(PlanActionChanged(**self._header(ctx), **terms.model_dump()))

    def remove_action(self, action_id: UUID, cmd: RemoveAction, ctx: CommandContext) -> None:
        plan = self._editable_plan("Removing an action")
        self._action(plan, action_id)
        self.record(PlanActionRemoved(**self._header(ctx), action_id=action_id, reason=cmd.reason))

    def commit_funding(self, cmd: CommitFunding, ctx: CommandContext, *, funding_id: UUID) -> None:
        """Commitments stay with the plan across revisions."""
        self._editable_plan("Committing funding")
        require(
            all(f.funding_id != funding_id for f in self.state.funding),
            "funding-already-committed",
            "This funding commitment is already recorded.",
        )
        self.record(
            FundingCommitted(**self._header(ctx), funding_id=funding_id, **cmd.model_dump())
        )

    def record_consultation(self, cmd: RecordConsultation, ctx: CommandContext) -> None:
        self._editable_plan("Recording a consultation")
        unknown = [v for v in cmd.victim_ids if v not in self.state.victims]
        if unknown:
            raise InvalidCommand(
                "victim_ids names victims not registered in this case.",
                code="victim-unknown",
                unknown=[str(v) for v in unknown],
            )
        if cmd.consulted_on > ctx.now.date():
            raise InvalidCommand("consulted_on lies in the future.", code="consulted-in-future")
        self.record(VictimConsulted(**self._header(ctx), **cmd.model_dump()))

    # --- Helpers ------------------------------------------------------------------------------

    @staticmethod
    def _action(plan: Plan, action_id: UUID) -> PlanAction:
        action = plan.actions.get(action_id)
        if action is None:
            raise NotFound("No such action in the plan.", code="action-not-found")
        return action

    def _terms(
        self, action_id: UUID, cmd: AddAction, ctx: CommandContext, *, previous: PlanAction | None
    ) -> PlanAction:
        """The action's terms, refusing content that breaks a rule (422)."""
        unknown = [b for b in cmd.beneficiaries if not self.state.knows_beneficiary(b)]
        if unknown:
            raise InvalidCommand(
                "beneficiaries names neither a victim nor a community of this case.",
                code="beneficiary-unknown",
                unknown=[str(b) for b in unknown],
            )
        moved = previous is None or cmd.due_date != previous.due_date
        if moved and cmd.due_date is not None and cmd.due_date < ctx.now.date():
            raise InvalidCommand("due_date lies in the past.", code="due-date-in-past")
        return PlanAction.model_validate({"action_id": action_id, **cmd.model_dump()})

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_RemediationPlanDrafted(self, e: RemediationPlanDrafted) -> None:
        plan = self.state.plan
        if plan is None:
            self.state.plan = Plan(
                plan_id=e.plan_id,
                revision=e.revision,
                status=PlanStatus.DRAFT,
                objectives=list(e.objectives),
                budget=e.budget,
                exit_strategy=e.exit_strategy,
                authors=[e.author],
            )
            return
        plan.objectives = list(e.objectives)
        plan.budget = e.budget
        plan.exit_strategy = e.exit_strategy
        if e.author not in plan.authors:
            plan.authors.append(e.author)

    def when_PlanActionAdded(self, e: PlanActionAdded) -> None:
        assert self.state.plan is not None
        self.state.plan.actions[e.action_id] = PlanAction.terms_of(e)

    def when_PlanActionChanged(self, e: PlanActionChanged) -> None:
        assert self.state.plan is not None
        self.state.plan.actions[e.action_id] = PlanAction.terms_of(e)

    def when_PlanActionRemoved(self, e: PlanActionRemoved) -> None:
        assert self.state.plan is not None
        del self.state.plan.actions[e.action_id]
        self.state.plan.removed_action_ids.append(e.action_id)

    def when_FundingCommitted(self, e: FundingCommitted) -> None:
        self.state.funding.append(Funding.terms_of(e))

    def when_VictimConsulted(self, e: VictimConsulted) -> None:
        self.state.consultations.append(e)
