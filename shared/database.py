"""Engines for SQLite (embedded default) and PostgreSQL (production), tuned once for all."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ClauseElement, Connection, Dialect, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")
POOL_RECYCLE_S = 1800
IDLE_PING_AFTER_S = 10.0


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes.

    pysqlite's own transaction handling starts transactions lazily and can fail with
    "database is locked" when a reader upgrades to a writer; taking the write lock at BEGIN for
    write transactions (see :func:`write_transaction`) makes writers queue instead.

    SQLite runs with ``synchronous=NORMAL`` (WAL: a commit survives a crash of the process, the
    last commits may be lost on power loss); ``FULL`` syncs the log at every commit.

    PostgreSQL connections are not pinged before each use (a round trip per transaction):
    only after ``IDLE_PING_AFTER_S`` idle, they are recycled after ``POOL_RECYCLE_S``, and a
    connection found dead in use invalidates the whole pool.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous)
    engine = create_engine(
        normalize_url(url),
        pool_size=10,
        max_overflow=20,
        pool_recycle=POOL_RECYCLE_S,
        json_serializer=json_text,
        json_deserializer=orjson.loads,
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle for a while (a server restart
    or a firewall may have dropped it meanwhile); under load no query is added. A dead one is
    replaced before the transaction starts."""

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_AFTER_S:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as error:  # the driver's error, whatever it is: use another one
            raise DisconnectionError("the pooled connection is gone") from error


def json_text(value: Any) -> str:
    """JSON columns' serializer: orjson, several times faster than ``json.dumps``."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def normalize_url(url: str) -> str:
    """``postgresql://`` (the libpq form users know) means the psycopg 3 driver here."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _sqlite_engine(url: str, synchronous: str) -> Engine:
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {SQLITE_SYNCHRONOUS}")
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": 30},
        "json_serializer": json_text,
        "json_deserializer": orjson.loads,
    }
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        # On the driver: SQLAlchemy's statement machinery cost more than the BEGIN itself.
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if immediate else "BEGIN"
        )

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


class DriverStatement:
    """A Core statement run straight on the driver's cursor, inside the SQLAlchemy connection's
    transaction: compiled once per dialect, its parameters converted by the column types' own
    bind processors, so rows read back through SQLAlchemy exactly as if it had written them.

    Only for the inserts every command makes (events, outbox, vault, idempotency record, list
    row): there SQLAlchemy's bookkeeping per execution cost more than the database's work.
    Driver errors are raised as SQLAlchemy's (an ``IntegrityError`` is an ``IntegrityError``),
    as if SQLAlchemy had run the statement."""

    def __init__(self, statement: ClauseElement, types: Mapping[str, TypeEngine[Any]]) -> None:
        self.statement = statement
        self.types = dict(types)
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def execute(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per row."""
        compiled = self._compiled_for(conn.dialect)
        parameters: Any = [compiled.parameters(row) for row in rows]
        dbapi_error = conn.dialect.loaded_dbapi.Error
        cursor = conn.connection.cursor()
        try:
            if len(parameters) == 1:  # psycopg's executemany sets up a pipeline: not for one row
                cursor.execute(compiled.sql, parameters[0])
            else:
                cursor.executemany(compiled.sql, parameters)
        except dbapi_error as error:
            raise DBAPIError.instance(compiled.sql, parameters, error, dbapi_error) from error
        finally:
            cursor.close()

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled.of(self, dialect)
        return compiled


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    @classmethod
    def of(cls, statement: DriverStatement, dialect: Dialect) -> _Compiled:
        compiled = statement.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or ()) if dialect.positional else tuple(statement.types)
        processors = tuple(
            statement.types[name].dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        return cls(compiled.string, names, processors, dialect.positional)

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = tuple(
            row[name] if process is None else process(row[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )
        return values if self.positional else dict(zip(self.names, values, strict=True))
