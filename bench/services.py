"""Starting Remedium's own services for a benchmark: environment, API key, the request body."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from bench.context import BenchContext
from bench.processes import ServerProcess
from shared.auth import ApiKeys
from shared.database import make_engine
from shared.migrations import AUTH_MIGRATIONS, upgrade

ALLEGATION = {
    "channel": "ngo_report",
    "alleged_abuses": ["wfcl_hazardous_work", "debt_bondage"],
    "ilo_indicators": ["debt_bondage"],
    "minerals": ["cobalt"],
    "country": "CD",
    "site_type": "asm",
    "site_ref": "KOL-ASM-017",
    "child_involved": True,
    "immediate_danger": True,
    "summary": "Children dig and wash ore at an artisanal site; wages are withheld.",
    "reporter": {
        "relationship": "ngo",
        "anonymity": "confidential",
        "contact": "field office, +243 000 000",
        "consent_to_contact": True,
        "retaliation_risk": "high",
    },
}
"""The README's allegation: one submission appends two events, seals two vault records and
writes the incident list row and the idempotency record in one transaction."""

SERVICE_FACTORIES = {
    "intake": "services.intake.app:create_app",
    "reporting": "services.reporting.app:create_app",
}


def write_body(directory: Path) -> Path:
    path = directory / "allegation.json"
    path.write_text(json.dumps(ALLEGATION))
    return path


def reporter_key(auth_url: str, tenant: str) -> str:
    upgrade(AUTH_MIGRATIONS, auth_url)
    return ApiKeys(make_engine(auth_url)).create(tenant=tenant, subject="bench", roles=["reporter"])


def start_service(
    ctx: BenchContext, service: str, database_url: str, data_dir: Path, group_prefix: str
) -> ServerProcess:
    """One Remedium service in its own uvicorn process, on the benchmark's broker."""
    env = {
        "REMEDIUM_DATA_DIR": str(data_dir),
        f"{service.upper()}_DATABASE_URL": database_url,
        "REMEDIUM_AUTH_DATABASE_URL": f"sqlite:///{data_dir / 'auth.db'}",
        "REMEDIUM_KAFKA_BOOTSTRAP": ctx.broker.bootstrap,
        "REMEDIUM_KAFKA_MAX_POLL_INTERVAL_MS": "3000",
        "REMEDIUM_CONSUMER_GROUP_PREFIX": group_prefix,
        "REMEDIUM_LOG_LEVEL": "WARNING",
    }
    server = ServerProcess(SERVICE_FACTORIES[service], env, data_dir / f"{service}.log")
    return server.start()


def auth_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'auth.db'}"


def new_group_prefix() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"
