"""Kafka transport: topic names, producer and consumer settings, topic creation.

Producers use ``acks=all`` and one request in flight per connection, so the broker sees each
partition's messages in the order the relay sent them.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.partitioner.default import DefaultPartitioner, murmur2

log = logging.getLogger(__name__)


def topic_for(service: str) -> str:
    return f"remedium.{service}.events"


class KeyHashCache(DefaultPartitioner):  # type: ignore[misc]
    """The default partitioner (murmur2 of the key, as the Java client), remembering each key's
    hash: the relay sends many events per incident, and kafka-python hashes in pure Python.
    Same partitions as before, so an incident's events stay in one partition."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._hashes: dict[bytes, int] = {}

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: Any,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            chosen: int = super().partition(
                topic, key, serialized_key, value, serialized_value, cluster
            )
            return chosen
        if topic not in cluster.topics():
            raise ValueError(f"Topic {topic} not found in ClusterMetadata")
        partitions = sorted(cluster.partitions_for_topic(topic))
        hashed = self._hashes.get(serialized_key)
        if hashed is None:
            if len(self._hashes) >= self.capacity:
                self._hashes.clear()
            hashed = self._hashes[serialized_key] = murmur2(serialized_key) & 0x7FFFFFFF
        return int(partitions[hashed % len(partitions)])


def make_producer(bootstrap: str, request_timeout_ms: int = 10_000) -> KafkaProducer:
    """``acks=all``, one request in flight (order), and batches of up to 1 MiB filled for up to
    5 ms: the relay sends hundreds of events at a time and then waits for them all."""
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        batch_size=1024 * 1024,
        partitioner=KeyHashCache(),
        max_in_flight_requests_per_connection=1,
        retries=2,
        request_timeout_ms=request_timeout_ms,
        max_block_ms=request_timeout_ms,
        reconnect_backoff_max_ms=2000,
        allow_auto_create_topics=False,  # the relay creates its topic with our partition count
    )


FETCH_MAX_WAIT_MS = 50
"""How long the broker may hold a fetch that found nothing new. The local broker (Tansu) does
not answer a waiting fetch when data arrives, so an event published meanwhile waits for the rest
of it: with the client's default of 500 ms that was most of the projection lag (p99 about
280 ms at 200 events/s, 120 ms with 50 ms). An idle consumer asks 20 times a second."""


def make_consumer(bootstrap: str, group_id: str | None, **overrides: Any) -> KafkaConsumer:
    """A consumer that never auto-commits: projectors keep their own checkpoints."""
    settings: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
        "max_poll_records": 1000,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
        "reconnect_backoff_max_ms": 2000,
        # Topics are created by ensure_topics with our partition count; a consumer asking for
        # one a restarted broker lost must not have it created with the broker's default.
        "allow_auto_create_topics": False,
    }
    settings.update(overrides)
    return KafkaConsumer(**settings)


def ensure_topics(
    bootstrap: str, topics: list[str], partitions: int, timeout_ms: int = 10_000
) -> None:
    """Create missing topics (idempotent)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(t, num_partitions=partitions, replication_factor=1)
            for t in topics
            if t not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
            except KafkaError as error:  # a concurrent creator may win: re-check
                if not set(t.name for t in missing) <= set(admin.list_topics()):
                    raise error
    finally:
        admin.close()


def broker_reachable(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when one of the bootstrap addresses accepts a TCP connection."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


def event_ids_at(
    bootstrap: str,
    offsets: dict[TopicPartition, int],
    timeout_s: float = 3.0,
    consumer_factory: Callable[..., KafkaConsumer] = make_consumer,
) -> dict[TopicPartition, str]:
    """The CloudEvents id of the record at each partition's offset, for those the broker still
    holds. A partition missing from the answer has lost that offset (or holds no such record):
    the broker restarted without its data, or the topic was deleted and created again."""
    offsets = {tp: offset for tp, offset in offsets.items() if offset >= 0}
    if not offsets:
        return {}
    consumer = consumer_factory(bootstrap, None)
    found: dict[TopicPartition, str] = {}
    gone: set[TopicPartition] = set()  # a later record came first: the offset is not there
    try:
        consumer.assign(list(offsets))
        for tp, offset in offsets.items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + timeout_s
        while len(found) + len(gone) < len(offsets) and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    if tp in found or tp in gone:
                        break
                    if record.offset == offsets[tp]:
                        found[tp] = dict(record.headers).get("ce_id", b"").decode()
                    elif record.offset > offsets[tp]:
                        gone.add(tp)
    finally:
        consumer.close()
    return found
