"""The Incident aggregate of intake: Steps 0-2 of the IOM process, from allegation to an approved
response determination.

Each command method refuses what the incident's state does not allow (409, via the guards) or
what the command's content breaks (422, ``InvalidCommand``), then records one event. Appliers
(``when_<EventName>``) only change state, so replaying the events rebuilds the same incident.

The aggregate is written in chapters, one module per step: ``incident_intake`` (Step 0),
``incident_verification`` (Step 1) and ``incident_response`` (Step 2); holding and resuming, which
span them all, are here. The preconditions of each transition are tables in ``guards``.

Where commands are accepted:

- safety (flag danger, protection, referral): every open status from RECEIVED on, even on hold;
- evidence: UNDER_VERIFICATION and VERIFIED, because involvement and severity assessments in
  Step 2 often rest on documents found after the finding; supply-chain links: UNDER_VERIFICATION;
- Step 2 assessments: VERIFIED only, and each may be redone until the determination is approved;
- anything else on an ON_HOLD incident is refused with ``incident-on-hold`` until Resume.
"""

from __future__ import annotations

from shared.domain import CommandContext, require

from .commands import PutOnHold, Resume
from .events import IncidentPutOnHold, IncidentResumed
from .incident_base import Status
from .incident_intake import IntakeSteps
from .incident_response import ResponseSteps
from .incident_verification import VerificationSteps, evidence_id_for
from .state import IncidentState

__all__ = ["Incident", "IncidentState", "evidence_id_for"]


class Incident(IntakeSteps, VerificationSteps, ResponseSteps):
    """One chapter per step (see the modules above); holding and resuming span them all."""

    def put_on_hold(self, cmd: PutOnHold, ctx: CommandContext) -> None:
        self._require_open()
        self.record(
            IncidentPutOnHold(
                **self._header(ctx),
                reason=cmd.reason,
                previous_status=self.state.status,
                status=Status.ON_HOLD,
            )
        )

    def resume(self, cmd: Resume, ctx: CommandContext) -> None:
        require(
            self.state.status is Status.ON_HOLD,
            "incident-not-on-hold",
            "Only an incident on hold can be resumed.",
        )
        assert self.state.status_before_hold is not None  # set by IncidentPutOnHold
        self.record(IncidentResumed(**self._header(ctx), status=self.state.status_before_hold))

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_IncidentPutOnHold(self, e: IncidentPutOnHold) -> None:
        self.state.status_before_hold = e.previous_status
        self.state.hold_reason = e.reason
        self.state.status = e.status

    def when_IncidentResumed(self, e: IncidentResumed) -> None:
        self.state.status_before_hold = None
        self.state.hold_reason = None
        self.state.status = e.status
