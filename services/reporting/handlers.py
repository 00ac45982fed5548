"""Reporting's use cases: lessons learned (Step 6) and the read side — register, timeline,
time travel, smelter view, KPIs, exports and the evidence pack."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.reporting.domain import Lessons
from services.reporting.kpis import dashboard_data, kpis
from services.reporting.register import RegisterEntry, fold
from services.reporting.tables import register, smelter_incidents, timeline
from shared.aggregate_handlers import AggregateHandlers
from shared.database import read_transaction
from shared.envelope import EventEnvelope, verify_chain
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
        by_stream: dict[str, list[EventEnvelope]] = {}
        for envelope in self.timeline(incident_id, tenant):
            by_stream.setdefault(envelope.source, []).append(envelope)
        problems = []
        for source, envelopes in sorted(by_stream.items()):
            ordered = sorted(envelopes, key=lambda e: e.streamversion)
            problems += [f"{source}: {p}" for p in verify_chain(ordered)]
        return {
            "incident_id": str(incident_id),
            "streams": {source: len(items) for source, items in sorted(by_stream.items())},
            "intact": not problems,
            "problems": problems,
        }

    def evidence_pack(self, incident_id: uuid.UUID, tenant: str) -> dict[str, Any]:
        """Every event with its hash chain, for offline verification (``remedium verify-pack``)."""
        envelopes = self.timeline(incident_id, tenant)
        return {
            "format": "remedium-evidence-pack/1",
            "incident_id": str(incident_id),
            "tenant": tenant,
            "events": [e.to_structured() for e in envelopes],
        }

    # --- aggregates ----------------------------------------------------------------------
    def smelters(self, tenant: str) -> list[dict[str, Any]]:
        with read_transaction(self.runtime.engine) as conn:
            rows = list(
                conn.execute(select(smelter_incidents).where(smelter_incidents.c.tenant == tenant))
            )
        grouped: dict[str, list[Any]] = {}
        for row in rows:
            grouped.setdefault(row.smelter_cid, []).append(row)
        return [
            {
                "smelter_cid": cid,
                "incidents": len(items),
                "recurrence": len(items) > 1,
                "first_linked_at": min(r.linked_at for r in items).isoformat(),
                "last_linked_at": max(r.linked_at for r in items).isoformat(),
            }
            for cid, items in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
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


def _entry_view(entry: RegisterEntry) -> dict[str, Any]:
    view = entry.model_dump(mode="json", exclude={"actions", "status_time"})
    view["step"] = entry.step
    view["overdue_actions"] = entry.overdue_actions
    view["actions"] = {
        "total": len(entry.actions),
        "completed": sum(a.status == "completed" for a in entry.actions.values()),
    }
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
