"""Engines for SQLite (embedded default) and PostgreSQL (production), tuned once for all."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import StaticPool


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes.

    pysqlite's own transaction handling starts transactions lazily and can fail with
    "database is locked" when a reader upgrades to a writer; taking the write lock at BEGIN for
    write transactions (see :func:`write_transaction`) makes writers queue instead.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(normalize_url(url), pool_size=10, max_overflow=20, pool_pre_ping=True)


def normalize_url(url: str) -> str:
    """``postgresql://`` (the libpq form users know) means the psycopg 3 driver here."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _sqlite_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_sqlite_writers_guard = threading.Lock()


def _writer_lock(engine: Engine) -> AbstractContextManager[bool]:
    """The queue of this process's writers to one SQLite database (re-entrant: a nested write
    transaction behaves as before, SQLite itself refuses it)."""
    with _sqlite_writers_guard:
        lock = _sqlite_writers.get(engine)
        if lock is None:
            lock = _sqlite_writers[engine] = threading.RLock()
        return lock


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock up front.

    SQLite has one writer at a time. Threads of this process queue on a Python lock first:
    waiting in SQLite's busy handler instead means sleeping in steps of up to 100 ms, which
    under concurrent requests cost most of the throughput and gave p99 latencies of seconds.
    Other processes on the same file still queue through ``busy_timeout``."""
    queue = _writer_lock(engine) if is_sqlite(engine) else nullcontext()
    with queue, engine.connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn
