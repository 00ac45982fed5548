"""The feed's projection of every service's topic: each event is written to the feed log and
queued for each matching subscription of its tenant, in the projector's transaction with the
checkpoint, so it is queued exactly once, across restarts too."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Table

from services.feed.delivery_queue import enqueue_for_subscribers, log_event
from services.feed.tables import deliveries, feed_log
from shared.envelope import EventEnvelope
from shared.kafka import topic_for

SOURCES = ("intake", "plan", "monitoring", "reporting")


class EventFeed:
    """Rebuilding it queues the whole history again for every subscription: use replays."""

    name = "event-feed"
    topics = [topic_for(service) for service in SOURCES]
    tables: list[Table] = [feed_log, deliveries]

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        position = log_event(conn, event)
        enqueue_for_subscribers(conn, event, position, datetime.now(UTC))
