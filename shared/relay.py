"""Outbox relay: publishes committed events to Kafka in global order and forgets what the broker
acknowledged.

Each round reads the oldest outbox rows, sends them (key = incident id, CloudEvents binary
headers), waits for the acknowledgements and deletes only the acknowledged prefix. On any failure
it drops its producer (discarding anything still queued), backs off and starts again from the
oldest unacknowledged row: events can be published twice (consumers de-duplicate by event id)
but a stream's events are never skipped or overtaken.

It also remembers where the last acknowledged event of each partition landed. After a failure it
checks that the broker still holds it; a broker that lost its data (the local in-memory broker
restarted, a topic deleted and created again) gets every stored event again, in order, so the
topic stays the complete history the projections are rebuilt from.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, text

from shared.database import read_transaction, write_transaction
from shared.envelope import EventEnvelope
from shared.eventstore import envelope_from_row
from shared.kafka import broker_reachable, ensure_topics, event_ids_at
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING, RELAY_FAILURES
from shared.tables import events, outbox, relay_marks

log = logging.getLogger(__name__)

ProducerFactory = Callable[[], KafkaProducer]
BROKER_CHECK_INTERVAL_S = 2.0
LINGER_S = 0.02
"""How long the relay waits after a commit woke it, gathering the commits that follow."""
MARK_CHECK_INTERVAL_S = 10.0


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        *,
        service: str,
        topic: str,
        bootstrap: str,
        producer_factory: ProducerFactory,
        partitions: int = 3,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
        ack_timeout_s: float = 15.0,
        linger_s: float = LINGER_S,
    ) -> None:
        self.engine = engine
        self.linger_s = linger_s
        self.service = service
        self.topic = topic
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.ack_timeout_s = ack_timeout_s
        self._producer_factory = producer_factory
        self._producer: KafkaProducer | None = None
        self._topic_ready = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.broker_ok = False
        self._next_check = 0.0
        self._lease = RelayLease(engine, f"remedium.relay.{service}")
        self._check_marks = True  # the broker may have restarted while this service was down
        self._next_mark_check = 0.0

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name=f"relay-{self.service}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._drop_producer()
        self._lease.release()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        backoff = self.poll_interval_s
        while not self._stop.is_set():
            try:
                published = self.publish_batch()
                backoff = self.poll_interval_s
                if published == self.batch_size:
                    continue  # more waiting: no pause
            except Exception as error:  # any failure: back off and retry from the outbox
                self._record_failure(error)
                backoff = min(backoff * 2, 5.0)
            if self._wake.wait(backoff):
                # Woken by a commit: let the commits right behind it join the same batch (one
                # read, one round trip to the broker and one delete for all of them).
                self._stop.wait(self.linger_s)
            self._wake.clear()

    # --- one round ---------------------------------------------------------------------
    def publish_batch(self) -> int:
        """Publish up to ``batch_size`` pending events; return how many were acknowledged."""
        if not self._lease.held():
            return 0  # another replica of this service is relaying
        if self._check_marks:
            self._ensure_producer()  # raises while the broker is still away
            self._requeue_if_broker_lost_data()
        pending = self._pending()
        # Counted only when the batch is full: a shorter batch is everything there was.
        backlog = self.pending_count() if len(pending) == self.batch_size else len(pending)
        OUTBOX_PENDING.labels(self.service).set(backlog)
        if not pending:
            self._check_broker()
            return 0
        producer = self._ensure_producer()
        futures = [
            producer.send(
                self.topic,
                key=envelope.streamid.encode(),
                value=envelope.kafka_value(),
                headers=envelope.kafka_headers(),
            )
            for _, envelope in pending
        ]
        producer.flush(timeout=self.ack_timeout_s)
        acknowledged = _acknowledged_prefix(futures)
        if acknowledged:
            self._forget(
                [position for position, _ in pending[:acknowledged]],
                _marks(futures[:acknowledged], [e for _, e in pending[:acknowledged]]),
            )
            EVENTS_PUBLISHED.labels(self.service).inc(acknowledged)
        if acknowledged < len(pending):
            raise KafkaError(f"broker acknowledged {acknowledged} of {len(pending)} events")
        self.broker_ok = True
        self.last_error = None
        return acknowledged

    def publish_all(self, timeout_s: float = 30.0) -> int:
        """Publish until the outbox is empty (used by tests and the CLI)."""
        deadline = time.monotonic() + timeout_s
        total = 0
        while time.monotonic() < deadline:
            published = self.publish_batch()
            total += published
            if published == 0:
                return total
        raise TimeoutError("outbox not drained in time")

    def pending_count(self) -> int:
        with read_transaction(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    def _pending(self) -> list[tuple[int, EventEnvelope]]:
        with read_transaction(self.engine) as conn:
            rows = conn.execute(_PENDING, {"limit": self.batch_size})
            return [(row.position, envelope_from_row(row)) for row in rows]

    def _forget(self, positions: list[int], marks: dict[TopicPartition, tuple[int, str]]) -> None:
        """Delete the acknowledged outbox rows and move the partitions' marks, in one go.

        Offsets only grow on a partition: one at or below its mark means the broker started
        over since (restarted quickly enough that no send failed), so it lost what the mark
        points at, and everything is queued again."""
        with write_transaction(self.engine) as conn:
            conn.execute(delete(outbox).where(outbox.c.position.in_(positions)))
            known = self._stored_marks(conn)
            if any(tp in known and offset <= known[tp][0] for tp, (offset, _) in marks.items()):
                self._requeue_everything(conn)
                return
            for tp, (offset, event_id) in marks.items():
                where = (relay_marks.c.topic == tp.topic) & (
                    relay_marks.c.partition == tp.partition
                )
                conn.execute(delete(relay_marks).where(where))
                conn.execute(
                    insert(relay_marks).values(
                        topic=tp.topic, partition=tp.partition, offset=offset, event_id=event_id
                    )
                )

    def _requeue_if_broker_lost_data(self) -> None:
        """Is the last acknowledged event of each partition still on the broker? If not, queue
        every stored event again (consumers skip the ones they have)."""
        with read_transaction(self.engine) as conn:
            marks = self._stored_marks(conn)
        found = (
            event_ids_at(self.bootstrap, {tp: o for tp, (o, _) in marks.items()}) if marks else {}
        )
        self._check_marks = False
        if all(found.get(tp) == event_id for tp, (_, event_id) in marks.items()):
            return
        with write_transaction(self.engine) as conn:
            self._requeue_everything(conn)

    def _stored_marks(self, conn: Connection) -> dict[TopicPartition, tuple[int, str]]:
        return {
            TopicPartition(row.topic, row.partition): (row.offset, row.event_id)
            for row in conn.execute(select(relay_marks).where(relay_marks.c.topic == self.topic))
        }

    def _requeue_everything(self, conn: Connection) -> None:
        log.warning(
            "relay %s: the broker lost acknowledged events; publishing the whole store again",
            self.service,
        )
        conn.execute(delete(relay_marks).where(relay_marks.c.topic == self.topic))
        queued = select(outbox.c.position)
        conn.execute(
            insert(outbox).from_select(
                ["position"], select(events.c.position).where(events.c.position.not_in(queued))
            )
        )

    def _check_broker(self) -> None:
        """While idle, look at the broker every few seconds so /readyz tells the truth."""
        if time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + BROKER_CHECK_INTERVAL_S
        if not broker_reachable(self.bootstrap):
            raise ConnectionError(f"no broker answers at {self.bootstrap}")
        self._ensure_producer()
        if time.monotonic() >= self._next_mark_check:  # a broker may restart between two looks
            self._next_mark_check = time.monotonic() + MARK_CHECK_INTERVAL_S
            self._requeue_if_broker_lost_data()
        self.broker_ok = True
        self.last_error = None

    def _ensure_producer(self) -> KafkaProducer:
        if not self._topic_ready:
            ensure_topics(self.bootstrap, [self.topic], self.partitions)
            self._topic_ready = True
        if self._producer is None:
            self._producer = self._producer_factory()
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=0)
            except Exception:  # closing a broken producer may fail; it is discarded anyway
                log.debug("closing producer failed", exc_info=True)
            self._producer = None

    def _record_failure(self, error: Exception) -> None:
        self.broker_ok = False
        self.last_error = f"{type(error).__name__}: {error}"
        RELAY_FAILURES.labels(self.service).inc()
        log.warning("relay %s: publishing failed, will retry: %s", self.service, self.last_error)
        self._drop_producer()
        self._topic_ready = False  # a restarted broker may have lost the topic: create it again
        self._check_marks = True
        self._next_check = 0.0


_PENDING = (
    # Every column an envelope needs; not ``recorded_at`` (its text is parsed per row on SQLite).
    select(*(column for column in events.c if column.name != "recorded_at"))
    .join(outbox, outbox.c.position == events.c.position)
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)


class RelayLease:
    """Only one relay per database publishes at a time, so replicas of a service do not send
    the same outbox twice. On PostgreSQL a session advisory lock held on a dedicated connection
    decides; an embedded SQLite file has a single writer process anyway."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        self._connection: Connection | None = None

    def held(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is None:
            connection = self.engine.connect()
            locked = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar_one()
            connection.commit()
            if not locked:
                connection.close()
                return False
            self._connection = connection
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None


def _marks(
    futures: list[Any], envelopes: list[EventEnvelope]
) -> dict[TopicPartition, tuple[int, str]]:
    """Per partition, the offset and event id of the last of these acknowledged sends."""
    marks: dict[TopicPartition, tuple[int, str]] = {}
    for future, envelope in zip(futures, envelopes, strict=True):
        metadata = future.value
        if metadata.offset >= 0:  # a broker may not say where a record landed (-1): no mark
            marks[TopicPartition(metadata.topic, metadata.partition)] = (
                metadata.offset,
                envelope.id,
            )
    return marks


def _acknowledged_prefix(futures: list[Any]) -> int:
    """How many futures, from the first, completed successfully."""
    for index, future in enumerate(futures):
        if not future.is_done or future.failed():
            return index
    return len(futures)
