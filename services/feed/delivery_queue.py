"""The delivery queue in SQL: the feed log, one row per (event, subscription), lanes in order.

A *lane* is one subscription's deliveries of one incident. Only a lane's oldest pending delivery
(its head) may be sent, so a subscriber receives each incident's events in feed order; the next
one waits until the head is delivered or dead-lettered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from services.feed.domain import DeliveryStatus, RetryPolicy, SubscriptionStatus, matches
from services.feed.tables import deliveries, feed_log, subscriptions
from shared.envelope import EventEnvelope

RECEIVING = (SubscriptionStatus.ACTIVE.value, SubscriptionStatus.PAUSED.value)
"""A paused subscription keeps queueing, so resuming it loses nothing."""


@dataclass(frozen=True)
class Lane:
    subscription_id: str
    incident_id: str


@dataclass(frozen=True)
class DueDelivery:
    """Everything needed to send a lane's head."""

    seq: int
    delivery_id: str
    tenant: str
    url: str
    secret_ref: str
    log_position: int
    replay: bool
    attempts: int
    next_attempt_at: datetime
    document: dict[str, Any]


# --- filling the queue ------------------------------------------------------------------------
def log_event(conn: Connection, event: EventEnvelope) -> int:
    """Append ``event`` to the feed log; its position is what replays start from."""
    position = conn.execute(
        insert(feed_log)
        .values(
            event_id=event.id,
            tenant=event.tenant,
            incident_id=event.subject,
            type=event.type,
            time=event.time,
            document=event.to_structured(),
        )
        .returning(feed_log.c.position)
    ).scalar_one()
    return int(position)


def enqueue_for_subscribers(
    conn: Connection, event: EventEnvelope, log_position: int, now: datetime
) -> int:
    """One delivery per subscription of the event's own tenant whose filter takes it."""
    rows = conn.execute(
        select(subscriptions.c.subscription_id, subscriptions.c.event_types).where(
            subscriptions.c.tenant == event.tenant, subscriptions.c.status.in_(RECEIVING)
        )
    )
    queued = 0
    for row in rows.all():
        if matches(row.event_types, event.type):
            enqueue(conn, row.subscription_id, event.tenant, event.subject, log_position, now)
            queued += 1
    return queued


def enqueue(
    conn: Connection,
    subscription_id: str,
    tenant: str,
    incident_id: str,
    log_position: int,
    now: datetime,
    *,
    replay: bool = False,
) -> None:
    conn.execute(
        insert(deliveries).values(
            delivery_id=str(uuid.uuid4()),
            subscription_id=subscription_id,
            tenant=tenant,
            incident_id=incident_id,
            log_position=log_position,
            replay=replay,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def enqueue_replay(
    conn: Connection,
    subscription_id: str,
    *,
    from_position: int | None,
    from_time: datetime | None,
    now: datetime,
) -> int:
    """Queue again, marked as replays, the tenant's logged events the subscription's filter
    takes, from a feed position or an event time on, in feed order."""
    subscription = conn.execute(
        select(subscriptions).where(subscriptions.c.subscription_id == subscription_id)
    ).one()
    query = select(feed_log.c.position, feed_log.c.incident_id, feed_log.c.type).where(
        feed_log.c.tenant == subscription.tenant
    )
    if from_position is not None:
        query = query.where(feed_log.c.position >= from_position)
    if from_time is not None:
        query = query.where(feed_log.c.time >= from_time.astimezone(UTC))
    queued = 0
    for row in conn.execute(query.order_by(feed_log.c.position)).all():
        if matches(subscription.event_types, row.type):
            enqueue(
                conn,
                subscription_id,
                subscription.tenant,
                row.incident_id,
                row.position,
                now,
                replay=True,
            )
            queued += 1
    return queued


# --- sending ------------------------------------------------------------------------------------
def due_lanes(conn: Connection, now: datetime, limit: int) -> list[Lane]:
    """Lanes of active subscriptions whose head is due, oldest first."""
    heads = (
        select(func.min(deliveries.c.seq))
        .where(deliveries.c.status == DeliveryStatus.PENDING.value)
        .group_by(deliveries.c.subscription_id, deliveries.c.incident_id)
    )
    query = (
        select(deliveries.c.subscription_id, deliveries.c.incident_id)
        .join(subscriptions, subscriptions.c.subscription_id == deliveries.c.subscription_id)
        .where(
            deliveries.c.seq.in_(heads),
            deliveries.c.next_attempt_at <= now,
            subscriptions.c.status == SubscriptionStatus.ACTIVE.value,
        )
        .order_by(deliveries.c.seq)
        .limit(limit)
    )
    return [Lane(row.subscription_id, row.incident_id) for row in conn.execute(query)]


def head(conn: Connection, lane: Lane) -> DueDelivery | None:
    """The lane's oldest pending delivery, if its subscription is still active."""
    row = conn.execute(
        select(
            deliveries.c.seq,
            deliveries.c.delivery_id,
            deliveries.c.tenant,
            deliveries.c.log_position,
            deliveries.c.replay,
            deliveries.c.attempts,
            deliveries.c.next_attempt_at,
            subscriptions.c.url,
            subscriptions.c.secret_ref,
            feed_log.c.document,
        )
        .join(subscriptions, subscriptions.c.subscription_id == deliveries.c.subscription_id)
        .join(feed_log, feed_log.c.position == deliveries.c.log_position)
        .where(
            deliveries.c.subscription_id == lane.subscription_id,
            deliveries.c.incident_id == lane.incident_id,
            deliveries.c.status == DeliveryStatus.PENDING.value,
            subscriptions.c.status == SubscriptionStatus.ACTIVE.value,
        )
        .order_by(deliveries.c.seq)
        .limit(1)
    ).first()
    if row is None:
        return None
    return DueDelivery(
        seq=row.seq,
        delivery_id=row.delivery_id,
        tenant=row.tenant,
        url=row.url,
        secret_ref=row.secret_ref,
        log_position=row.log_position,
        replay=row.replay,
        attempts=row.attempts,
        next_attempt_at=as_utc(row.next_attempt_at),
        document=row.document,
    )


def mark_delivered(conn: Connection, seq: int, outcome: str, now: datetime) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.seq == seq, deliveries.c.status == DeliveryStatus.PENDING.value)
        .values(
            status=DeliveryStatus.DELIVERED.value,
            attempts=deliveries.c.attempts + 1,
            last_outcome=outcome,
            finished_at=now,
        )
    )


def mark_failed(
    conn: Connection, seq: int, outcome: str, now: datetime, policy: RetryPolicy
) -> DeliveryStatus:
    """Schedule a retry with backoff, or dead-letter the delivery when the budget is spent."""
    attempts = (
        conn.execute(select(deliveries.c.attempts).where(deliveries.c.seq == seq)).scalar_one() + 1
    )
    pending = deliveries.c.seq == seq, deliveries.c.status == DeliveryStatus.PENDING.value
    if policy.exhausted(attempts):
        conn.execute(
            update(deliveries)
            .where(*pending)
            .values(
                status=DeliveryStatus.DEAD.value,
                attempts=attempts,
                last_outcome=outcome,
                finished_at=now,
            )
        )
        return DeliveryStatus.DEAD
    conn.execute(
        update(deliveries)
        .where(*pending)
        .values(
            attempts=attempts,
            last_outcome=outcome,
            next_attempt_at=now + timedelta(seconds=policy.delay(attempts)),
        )
    )
    return DeliveryStatus.PENDING


# --- the API's views and actions ------------------------------------------------------------
def listing(
    conn: Connection,
    subscription_id: str,
    *,
    status: DeliveryStatus | None,
    after: int,
    limit: int,
) -> list[Row[Any]]:
    query = (
        select(deliveries, feed_log.c.type, feed_log.c.event_id, feed_log.c.document)
        .join(feed_log, feed_log.c.position == deliveries.c.log_position)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.seq > after)
        .order_by(deliveries.c.seq)
        .limit(limit)
    )
    if status is not None:
        query = query.where(deliveries.c.status == status.value)
    return list(conn.execute(query).all())


def dead_letter_ids(conn: Connection, subscription_id: str, wanted: list[str] | None) -> list[str]:
    """The subscription's dead letters among ``wanted`` (all of them when ``None``)."""
    query = select(deliveries.c.delivery_id).where(
        deliveries.c.subscription_id == subscription_id,
        deliveries.c.status == DeliveryStatus.DEAD.value,
    )
    if wanted is not None:
        query = query.where(deliveries.c.delivery_id.in_(wanted))
    return list(conn.execute(query.order_by(deliveries.c.seq)).scalars())


def redeliver(conn: Connection, subscription_id: str, ids: list[str], now: datetime) -> int:
    """Dead letters become pending again with a fresh budget, under the same delivery id (so a
    subscriber that de-duplicates by id still can)."""
    result = conn.execute(
        update(deliveries)
        .where(
            deliveries.c.subscription_id == subscription_id,
            deliveries.c.delivery_id.in_(ids),
            deliveries.c.status == DeliveryStatus.DEAD.value,
        )
        .values(
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            finished_at=None,
        )
    )
    return int(result.rowcount)


def drop_pending(conn: Connection, subscription_id: str) -> None:
    """A deleted subscription receives nothing more."""
    conn.execute(
        delete(deliveries).where(
            deliveries.c.subscription_id == subscription_id,
            deliveries.c.status == DeliveryStatus.PENDING.value,
        )
    )


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the feed stores is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
