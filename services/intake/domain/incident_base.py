"""What every chapter of the Incident aggregate shares: its state type, the event header and the
checks on the incident's status."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.domain import Aggregate, CommandContext, require
from shared.incident_status import IncidentStatus

from .state import IncidentState

Status = IncidentStatus


class IncidentBase(Aggregate[IncidentState]):
    state_type = IncidentState

    def _header(self, ctx: CommandContext) -> dict[str, Any]:
        return {"incident_id": UUID(self.stream_id), "occurred_at": ctx.now}

    def _require_open(self, *, allowed_on_hold: bool = False) -> None:
        status = self.state.status
        require(status.is_open, "incident-closed", "The incident is closed.")
        require(
            allowed_on_hold or status is not Status.ON_HOLD,
            "incident-on-hold",
            "The incident is on hold: resume it first.",
        )

    def _require_status(self, *allowed: IncidentStatus, doing: str) -> None:
        self._require_open()
        require(
            self.state.status in allowed,
            "wrong-status",
            f"{doing} needs the incident to be {' or '.join(allowed)}; it is {self.state.status}.",
        )
