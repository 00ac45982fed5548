"""Reporting's use cases: lessons learned (Step 6) and the read side — register, timeline,
time travel, smelter view, KPIs, exports and the evidence pack."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import select

from services.reporting.domain import Lessons, LessonsState
from services.reporting.evidence_pack import build_pack, chain_problems, chains, heads
from services.reporting.kpis import RECURRENCE_WINDOWS, dashboard_data, kpis
from services.reporting.register import RegisterEntry, fold
from services.reporting.tables import register, smelter_incidents, timeline
from shared.aggregate_handlers import AggregateHandlers
from shared.database import read_transaction
from shared.envelope import EventEnvelope
from shared.errors import NotFound

REGISTER_COLUMNS = [
    "incident_id",
    "reference",
    "status",
    "step",
    "country",
    "minerals",
    "smelter_cids",
    "severity_scale",
    "received_at",
    "verified_at",
    "plan_approved_at",
    "closed_at",
    "overdue_actions",
]


class RegisterFilters:
    def __init__(
        self,
        status: str | None = None,
        step: int | None = None,
        mineral: str | None = None,
        country: str | None = None,
        smelter_cid: str | None = None,
        severity: int | None = None,
        overdue: bool | None = None,
    ) -> None:
        self.status, self.step, self.mineral, self.country = status, step, mineral, country
        self.smelter_cid, self.severity, self.overdue = smelter_cid, severity, overdue

    def keep(self, entry: RegisterEntry) -> bool:
        checks = [
            self.status is None or str(entry.status) == self.status,
            self.step is None or entry.step == self.step,
            self.mineral is None or self.mineral in entry.minerals,
            self.country is None or entry.country == self.country,
            self.smelter_cid is None or self.smelter_cid in entry.smelter_cids,
            self.severity is None or entry.severity_scale == self.severity,
            self.overdue is None or (entry.overdue_actions > 0) == self.overdue,
        ]
        return all(checks)


class ReportingHandlers(AggregateHandlers[Lessons]):
    aggregate_type = Lessons
    create_if_missing = True  # lessons start with the first one recorded

    # --- the register --------------------------------------------------------------------
    def entries(self, tenant: str, filters: RegisterFilters | None = None) -> list[RegisterEntry]:
        with read_transaction(self.runtime.engine) as conn:
            rows = conn.execute(
                select(register.c.entry)
                .where(register.c.tenant == tenant)
                .order_by(register.c.received_at.desc())
            )
            entries = [RegisterEntry.model_validate(row.entry) for row in rows]
        return [e for e in entries if filters is None or filters.keep(e)]

    def entry(self, incident_id: uuid.UUID, tenant: str) -> RegisterEntry:
        with read_transaction(self.runtime.engine) as conn:
            row = conn.execute(
                select(register.c.entry).where(
                    register.c.incident_id == str(incident_id), register.c.tenant == tenant
                )
            ).first()
        if row is None:
            raise NotFound("no such incident in the register")
        return RegisterEntry.model_validate(row.entry)

    def incident_status(self, incident_id: uuid.UUID, tenant: str) -> str:
        return str(self.entry(incident_id, tenant).status)

    # --- the audit trail -----------------------------------------------------------------
    def timeline(
        self, incident_id: uuid.UUID, tenant: str, at: datetime | None = None
    ) -> list[EventEnvelope]:
        """Every service's events of the incident, in time order (up to ``at``)."""
        query = (
            select(timeline.c.document)
            .where(timeline.c.incident_id == str(incident_id), timeline.c.tenant == tenant)
            .order_by(timeline.c.time, timeline.c.service, timeline.c.stream_version)
        )
        if at is not None:
            query = query.where(timeline.c.time <= at)
        with read_transaction(self.runtime.engine) as conn:
            envelopes = [EventEnvelope.from_structured(row.document) for row in conn.execute(query)]
        if not envelopes and at is None:
            raise NotFound("no such incident in the register")
        return envelopes

    def state_at(self, incident_id: uuid.UUID, tenant: str, at: datetime) -> dict[str, Any]:
        """The register entry as it was at ``at``: the timeline up to then, folded again."""
        events = self.timeline(incident_id, tenant, at)
        if not events:
            self.entry(incident_id, tenant)  # 404 unless the incident exists
            return {"incident_id": str(incident_id), "at": at.isoformat(), "existed": False}
        entry = RegisterEntry(incident_id=str(incident_id), tenant=tenant)
        for event in events:
            fold(entry, event)
        return {**_entry_view(entry), "at": at.isoformat(), "existed": True}

    def verify(self, incident_id: uuid.UUID, tenant: str) -> dict[str, Any]:
        """Check each service's hash chain of this incident, as the auditor sees it."""
        streams = chains(self.timeline(incident_id, tenant))
        problems = chain_problems(streams)
        return {
            "incident_id": str(incident_id),
            "streams": {name: len(items) for name, items in streams.items()},
            "heads": heads(streams),
            "intact": not problems,
            "problems": problems,
        }

    def evidence_pack(self, incident_id: uuid.UUID, tenant: str) -> dict[str, Any]:
        """Every event with its hash chain, for offline verification (``remedium verify-pack``)."""
        return build_pack(str(incident_id), tenant, self.timeline(incident_id, tenant))

    # --- step 6 --------------------------------------------------------------------------
    def lessons(self, incident_id: uuid.UUID, tenant: str) -> dict[str, Any]:
        """The incident's lessons, due-diligence updates and whether Step 6 is done."""
        entry = self.entry(incident_id, tenant)  # 404 unless the incident is in the register
        try:
            state = self.load(incident_id, tenant).state
        except NotFound:
            state = LessonsState()
        return {
            "incident_id": str(incident_id),
            "status": str(entry.status),
            **state.model_dump(mode="json"),
        }

    # --- aggregates ----------------------------------------------------------------------
    def smelters(self, tenant: str) -> list[dict[str, Any]]:
        """Incidents per smelter (CID); ``recurrence``: two of them linked within 24 months."""
        with read_transaction(self.runtime.engine) as conn:
            rows = list(
                conn.execute(select(smelter_incidents).where(smelter_incidents.c.tenant == tenant))
            )
        grouped: dict[str, list[datetime]] = {}
        for row in rows:
            grouped.setdefault(row.smelter_cid, []).append(row.linked_at)
        return [
            {
                "smelter_cid": cid,
                "incidents": len(times),
                "recurrence": _recurs(sorted(times), RECURRENCE_WINDOWS["within_24_months"]),
                "first_linked_at": min(times).isoformat(),
                "last_linked_at": max(times).isoformat(),
            }
            for cid, times in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]

    def kpis(self, tenant: str) -> dict[str, Any]:
        return kpis(self.entries(tenant))

    def dashboard(self, tenant: str) -> dict[str, Any]:
        return dashboard_data(self.entries(tenant))

    def register_csv(self, tenant: str, filters: RegisterFilters) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=REGISTER_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for entry in self.entries(tenant, filters):
            view = _entry_view(entry)
            view["minerals"] = ";".join(entry.minerals)
            view["smelter_cids"] = ";".join(entry.smelter_cids)
            writer.writerow(view)
        return out.getvalue()

    def kpis_csv(self, tenant: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["kpi", "key", "value"])
        for name, value in self.kpis(tenant).items():
            for key, item in _flatten(value):
                writer.writerow([name, key, item])
        return out.getvalue()


def _recurs(times: list[datetime], window: timedelta) -> bool:
    return any(later - earlier <= window for earlier, later in pairwise(times))


def _entry_view(entry: RegisterEntry) -> dict[str, Any]:
    view = entry.model_dump(
        mode="json",
        exclude={"actions", "status_time", "status_before_hold", "community_ids"},
    )
    view["step"] = entry.step
    view["overdue_actions"] = entry.overdue_actions
    view["actions"] = dict(Counter(a.status for a in entry.actions.values()))
    return view


def entry_view(entry: RegisterEntry) -> dict[str, Any]:
    return _entry_view(entry)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = []
        for key, inner in value.items():
            items += _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return items
    if isinstance(value, list):
        return [(prefix, ";".join(str(v) for v in value))]
    return [(prefix, value)]
