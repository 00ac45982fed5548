"""Test databases: a SQLite file per test, and a fresh PostgreSQL database per test when
``TEST_DATABASE_URL`` points at a server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from shared.database import normalize_url

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def database_url(backend: str, directory: Path, name: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    assert POSTGRES_URL, "TEST_DATABASE_URL is not set"
    admin_url = make_url(normalize_url(POSTGRES_URL))
    database = f"remedium_{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield admin_url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
