"""Altering, deleting or reordering a stored event in any service's store is caught by
``remedium verify`` (the real CLI, as a subprocess), which names the stream and version.

Each case works on a consistent copy (SQLite backup) of the service's database, so the running
system is never touched."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import Walked, services_with_apps
from tests.support.system import System

TAMPERING = {
    "altered": (
        [
            "UPDATE events SET payload = json_set(payload, '$.tampered', 1) "
            "WHERE stream_id = :stream AND stream_version = 2"
        ],
        2,
    ),
    "deleted": (["DELETE FROM events WHERE stream_id = :stream AND stream_version = 2"], 3),
    "reordered": (
        [
            f"UPDATE events SET stream_version = {to} WHERE stream_id = :stream "
            f"AND stream_version = {was}"
            for was, to in ((2, -2), (3, 2), (-2, 3))
        ],
        2,
    ),
}


def copy_store(system: System, service: str, to: Path) -> Path:
    source = sqlite3.connect(system.settings.database_url(service).removeprefix("sqlite:///"))
    to.mkdir()
    target = sqlite3.connect(to / f"{service}.db")
    with target:
        source.backup(target)
    source.close()
    target.close()
    return to / f"{service}.db"


def longest_stream(database: Path, incident: str) -> str | None:
    """The walked incident's stream when the service holds one of 3+ events, else its longest."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT stream_id, count(*) FROM events GROUP BY stream_id HAVING count(*) >= 3 "
            "ORDER BY stream_id = ? DESC, count(*) DESC",
            (incident,),
        ).fetchall()
    return str(rows[0][0]) if rows else None


def verify(data_dir: Path, service: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REMEDIUM_DATA_DIR": str(data_dir), "COLUMNS": "400"}
    env.pop(f"{service.upper()}_DATABASE_URL", None)
    cli = Path(sys.executable).with_name("remedium")
    return subprocess.run(
        [str(cli), "verify", service], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("service", services_with_apps())
def test_tampering_is_detected_and_named(
    system: System, walked: Walked, service: str, tmp_path: Path
) -> None:
    intact = copy_store(system, service, tmp_path / "intact")
    stream = longest_stream(intact, walked.incident)
    if stream is None:
        pytest.skip(f"{service} stores no stream of three events in this walk")
    clean = verify(intact.parent, service)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for kind, (statements, version) in TAMPERING.items():
        database = copy_store(system, service, tmp_path / kind)
        with sqlite3.connect(database) as conn:
            for statement in statements:
                conn.execute(statement, {"stream": stream})
        result = verify(database.parent, service)
        assert result.returncode == 1, f"{kind}: {result.stdout}"
        assert f"stream {stream} version {version}" in result.stdout, f"{kind}: {result.stdout}"
