"""What every benchmark is given: its sizes, a scratch directory, the broker and scratch
databases on the backend under test (a SQLite file, or a PostgreSQL database created for the
benchmark and dropped after it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from shared.broker import LocalBroker
from shared.database import normalize_url

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def postgres_url() -> str | None:
    """The server to benchmark PostgreSQL on, if any (``BENCH_DATABASE_URL`` first)."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does; ``make bench`` uses the defaults."""

    http_seconds: float = 10.0
    http_warmup_seconds: float = 2.0
    http_concurrency: int = 16
    appends: int = 2000
    long_stream_events: int = 5000
    stream_loads: int = 50
    relay_events: int = 20_000
    lag_rate: float = 200.0
    lag_seconds: float = 15.0
    rebuild_events: int = 1_000_000

    @classmethod
    def smoke(cls) -> Sizes:
        """Tiny sizes: proves the harness works end to end, measures nothing meaningful."""
        return cls(
            http_seconds=1.0,
            http_warmup_seconds=0.2,
            http_concurrency=2,
            appends=20,
            long_stream_events=150,
            stream_loads=3,
            relay_events=200,
            lag_rate=20.0,
            lag_seconds=1.5,
            rebuild_events=300,
        )


@dataclass
class BenchContext:
    sizes: Sizes
    workdir: Path
    broker: LocalBroker
    backend: str = SQLITE
    profile_dir: Path | None = None
    profile_format: str = "svg"
    round: int = 0
    _counter: int = field(default=0, repr=False)

    def scratch_dir(self, name: str) -> Path:
        self._counter += 1
        path = self.workdir / self.backend / f"r{self.round}-{self._counter:03d}-{name}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def database(self, name: str) -> Iterator[str]:
        """A fresh, empty database URL on the backend under test, removed afterwards."""
        directory = self.scratch_dir(name)
        if self.backend == SQLITE:
            yield f"sqlite:///{directory / f'{name}.db'}"
            return
        with scratch_postgres_database(name) as url:
            yield url


@contextmanager
def scratch_postgres_database(name: str) -> Iterator[str]:
    server = postgres_url()
    if not server:
        raise RuntimeError("set BENCH_DATABASE_URL or TEST_DATABASE_URL to benchmark PostgreSQL")
    admin_url = make_url(normalize_url(server))
    database = f"remedium_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield admin_url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
