"""The Implementation aggregate of the monitoring service: Step 4 (implement and monitor the
remediation plan) and Step 5 (incident closure) of the IOM process, from an approved plan
(PLAN_APPROVED) through IMPLEMENTING and CLOSURE_REVIEW to CLOSED, and REOPENED after. The stream
id is the incident id.

Monitoring learns the plan only from plan's events (PlanApproved -> :meth:`adopt_plan`), never
from plan's code. Each command method refuses what the incident's state does not allow (409, via
``require`` and the guard tables), what the actor may not do (403, ``Forbidden``), unknown ids in
the path (404, ``NotFound``) or what the command's content breaks (422, ``InvalidCommand``), then
records its events. Appliers (``when_<EventName>``) only change state, so replaying the events
rebuilds the same state.

The aggregate is written in chapters: ``implementation_plan`` (adoption, plan suspension),
``implementation_actions`` (the actions' life and overdue detection), ``implementation_monitoring``
(visits, indicators, supplier escalation), ``implementation_safety`` (safety concerns,
retaliation) and ``implementation_closure`` (proposal, outcome, approval, appeal, reopening).

Where commands are accepted:

- before a plan is adopted: nothing but ``adopt_plan`` (``plan-not-adopted``);
- on a closed incident: appeals, reopening, safety concerns and retaliation (which reopens it),
  and adoption of a newer revision (its actions wait for a reopening); everything else is
  ``incident-closed``.
"""

from __future__ import annotations

from .implementation_actions import ActionSteps
from .implementation_closure import ClosureSteps
from .implementation_monitoring import MonitoringSteps
from .implementation_plan import PlanSteps
from .implementation_safety import SafetySteps
from .state import ImplementationState

__all__ = ["Implementation", "ImplementationState"]


class Implementation(PlanSteps, ActionSteps, MonitoringSteps, SafetySteps, ClosureSteps):
    """One chapter per concern (see the modules above)."""
