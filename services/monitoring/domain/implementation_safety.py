"""Implementation, safety first (domain.md 3.8 and 3.4): safety concerns and retaliation.

Both put the case into priority handling. A concern can suspend the actions that expose the
victim (site visits, confronting the employer); they return to their previous status when the
concern is resolved, unless another concern or a plan suspension still holds them. Concerns and
retaliation are accepted in every status once a plan is adopted, also on a closed incident:
refusing to record a danger is never safe. Retaliation on a closed incident reopens it.
"""

from __future__ import annotations

from uuid import UUID

from shared.domain import CommandContext, require
from shared.errors import InvalidCommand, NotFound

from .commands import RaiseSafetyConcern, ReportRetaliation, ResolveSafetyConcern
from .enums import ReopenReason
from .events import (
    ActionSuspendedForSafety,
    IncidentReopened,
    RetaliationReported,
    SafetyConcernRaised,
    SafetyConcernResolved,
)
from .implementation_base import ImplementationBase, Status
from .state import SafetyConcern


class SafetySteps(ImplementationBase):
    def raise_safety_concern(
        self, cmd: RaiseSafetyConcern, ctx: CommandContext, *, concern_id: UUID
    ) -> None:
        """Records SafetyConcernRaised, then ActionSuspendedForSafety for each listed action that
        is not completed or cancelled (there is nothing left to suspend in those)."""
        self._require_adopted()
        require(
            concern_id not in self.state.concerns,
            "concern-already-raised",
            "This safety concern is already recorded.",
        )
        if cmd.victim_id is not None and cmd.victim_id not in self.state.victim_ids:
            raise InvalidCommand(
                "victim_id names no victim of the adopted plan.", code="victim-unknown"
            )
        self._require_known_actions(cmd.suspend_action_ids, "suspend_action_ids")
        header = self._header(ctx)
        self.record(
            SafetyConcernRaised(
                **header,
                concern_id=concern_id,
                victim_id=cmd.victim_id,
                kind=cmd.kind,
                severity=cmd.severity,
                note=cmd.note,
                priority=True,
            )
        )
        for action_id in cmd.suspend_action_ids:
            if not self.state.actions[action_id].status.is_final:
                self.record(
                    ActionSuspendedForSafety(**header, action_id=action_id, concern_id=concern_id)
                )

    def resolve_safety_concern(
        self, concern_id: UUID, cmd: ResolveSafetyConcern, ctx: CommandContext
    ) -> None:
        self._require_adopted()
        concern = self.state.concerns.get(concern_id)
        if concern is None:
            raise NotFound("No such safety concern in this case.", code="concern-not-found")
        require(
            concern.is_open,
            "concern-already-resolved",
            "This safety concern is already resolved.",
        )
        resumed = [
            a.action_id
            for a in self.state.actions.values()
            if a.suspended_for == [concern_id] and not a.suspended_by_plan
        ]
        still_open = any(c.concern_id != concern_id for c in self.state.open_concerns)
        self.record(
            SafetyConcernResolved(
                **self._header(ctx),
                concern_id=concern_id,
                resolution=cmd.resolution,
                resumed_action_ids=resumed,
                priority=still_open,
            )
        )

    def report_retaliation(
        self, cmd: ReportRetaliation, ctx: CommandContext, *, report_id: UUID
    ) -> None:
        """Priority handling; on a closed incident RetaliationReported is followed by
        IncidentReopened (reason ``retaliation``)."""
        self._require_adopted()
        require(
            report_id not in self.state.retaliation_report_ids,
            "retaliation-already-reported",
            "This retaliation report is already recorded.",
        )
        header = self._header(ctx)
        self.record(
            RetaliationReported(
                **header,
                report_id=report_id,
                against=cmd.against,
                kind=cmd.kind,
                note=cmd.note,
                priority=True,
            )
        )
        if self.state.status is Status.CLOSED:
            self.record(
                IncidentReopened(
                    **header,
                    reason=ReopenReason.RETALIATION,
                    related_incident_id=None,
                    appeal_id=None,
                    note=None,
                    status=Status.REOPENED,
                )
            )

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_SafetyConcernRaised(self, e: SafetyConcernRaised) -> None:
        self.state.concerns[e.concern_id] = SafetyConcern(
            concern_id=e.concern_id,
            victim_id=e.victim_id,
            kind=e.kind,
            severity=e.severity,
            raised_at=e.occurred_at,
        )
        self.state.priority = e.priority

    def when_ActionSuspendedForSafety(self, e: ActionSuspendedForSafety) -> None:
        action = self.state.actions[e.action_id]
        action.suspended_for.append(e.concern_id)
        action.suspend()

    def when_SafetyConcernResolved(self, e: SafetyConcernResolved) -> None:
        self.state.concerns[e.concern_id].resolved_at = e.occurred_at
        for action in self.state.actions.values():
            if e.concern_id in action.suspended_for:
                action.suspended_for.remove(e.concern_id)
                action.resume_if_free()
        self.state.priority = e.priority

    def when_RetaliationReported(self, e: RetaliationReported) -> None:
        self.state.retaliation_report_ids.append(e.report_id)
        self.state.priority = e.priority
