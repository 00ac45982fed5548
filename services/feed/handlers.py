"""The feed's use cases: register, pause, resume and delete subscriptions; replays and
dead-letter redelivery; the views of subscriptions and their deliveries.

Every command is one transaction: the subscription's events, its read model row, the sealed
secret and the queue rows a replay or redelivery adds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from services.feed import delivery_queue
from services.feed.delivery_queue import as_utc
from services.feed.domain import (
    DeliveryStatus,
    RedeliverDeadLetters,
    RegisterSubscription,
    RequestReplay,
    Subscription,
    new_secret,
)
from services.feed.tables import subscriptions
from shared.aggregate_handlers import AggregateHandlers, Write
from shared.commands import Command, CommandResult
from shared.database import read_transaction
from shared.errors import NotFound
from shared.http import RequestContext, command_response
from shared.idempotency import StoredResponse
from shared.vault import new_ref

SECRET_FIELD = "webhook_secret"
Decision = Callable[[Subscription], None]


class FeedHandlers(AggregateHandlers[Subscription]):
    aggregate_type = Subscription

    # --- commands ------------------------------------------------------------------------
    def register(self, cmd: RegisterSubscription, context: RequestContext) -> StoredResponse:
        """201 with the secret, the only time it is shown. Not idempotent on purpose: a stored
        answer would keep the secret in clear."""
        subscription_id = uuid.uuid4()
        secret, secret_ref = new_secret(), new_ref()

        def seal(conn: Connection, _: CommandResult) -> None:
            self.runtime.vault.seal(
                conn,
                tenant=context.actor.tenant,
                subject_id=str(subscription_id),
                field=SECRET_FIELD,
                value=secret,
                ref=secret_ref,
            )

        return self._run(
            subscription_id,
            lambda sub: sub.register(cmd, context.command, secret_ref=secret_ref),
            context,
            status=201,
            also_write=[seal],
            extra=lambda: {"secret": secret},
            new=True,
        )

    def change(
        self, subscription_id: uuid.UUID, decide: Decision, context: RequestContext
    ) -> StoredResponse:
        """Pause or resume."""
        self._require_known(subscription_id, context.actor.tenant)
        return self._run(subscription_id, decide, context)

    def delete(self, subscription_id: uuid.UUID, context: RequestContext) -> StoredResponse:
        """Pending deliveries are dropped and the secret crypto-shredded; the history stays."""
        self._require_known(subscription_id, context.actor.tenant)

        def forget(conn: Connection, _: CommandResult) -> None:
            delivery_queue.drop_pending(conn, str(subscription_id))
            self.runtime.vault.erase(
                conn, tenant=context.actor.tenant, subject_id=str(subscription_id)
            )

        return self._run(
            subscription_id,
            lambda sub: sub.delete(context.command),
            context,
            also_write=[forget],
        )

    def replay(
        self, subscription_id: uuid.UUID, cmd: RequestReplay, context: RequestContext
    ) -> StoredResponse:
        self._require_known(subscription_id, context.actor.tenant)
        queued: dict[str, int] = {}

        def enqueue(conn: Connection, _: CommandResult) -> None:
            queued["enqueued"] = delivery_queue.enqueue_replay(
                conn,
                str(subscription_id),
                from_position=cmd.from_position,
                from_time=cmd.from_time,
                now=context.now,
            )

        return self._run(
            subscription_id,
            lambda sub: sub.request_replay(cmd, context.command),
            context,
            status=202,
            also_write=[enqueue],
            extra=lambda: queued,
        )

    def redeliver(
        self, subscription_id: uuid.UUID, cmd: RedeliverDeadLetters, context: RequestContext
    ) -> StoredResponse:
        self._require_known(subscription_id, context.actor.tenant)
        wanted = None if cmd.delivery_ids is None else [str(i) for i in cmd.delivery_ids]
        with read_transaction(self.runtime.engine) as conn:
            ids = delivery_queue.dead_letter_ids(conn, str(subscription_id), wanted)
        redelivered: dict[str, int] = {}

        def requeue(conn: Connection, _: CommandResult) -> None:
            redelivered["redelivered"] = delivery_queue.redeliver(
                conn, str(subscription_id), ids, context.now
            )

        return self._run(
            subscription_id,
            lambda sub: sub.redeliver([uuid.UUID(i) for i in ids], context.command),
            context,
            status=202,
            also_write=[requeue],
            extra=lambda: redelivered,
        )

    def _run(
        self,
        subscription_id: uuid.UUID,
        decide: Decision,
        context: RequestContext,
        *,
        status: int = 200,
        also_write: list[Write] | None = None,
        extra: Callable[[], dict[str, Any]] = dict,
        new: bool = False,
    ) -> StoredResponse:
        """Run one command; the answer adds ``extra()``, computed after the writes."""

        def respond(result: CommandResult) -> StoredResponse:
            return command_response(status, {**self.accepted(result), **extra()}, result.version)

        stream_id = str(subscription_id)
        return self.runner.run(
            Command(
                stream_id=stream_id,
                context=context.append(),
                decide=decide,
                respond=respond,
                create=(lambda: Subscription(stream_id)) if new else None,
                if_match=None,
                also_write=[*(also_write or []), self.update_read_model],
            )
        )

    def accepted(self, result: CommandResult) -> dict[str, Any]:
        subscription: Subscription = result.aggregate  # type: ignore[assignment]
        return {
            "subscription_id": result.stream_id,
            "status": subscription.state.status,
            "version": result.version,
            "events": [envelope.type.split(".")[3] for envelope in result.envelopes],
        }

    def update_read_model(self, conn: Connection, result: CommandResult) -> None:
        """The subscriptions row the projection and the dispatcher read, in the command's
        transaction."""
        if not result.envelopes:
            return
        state = result.aggregate.state
        conn.execute(
            delete(subscriptions).where(subscriptions.c.subscription_id == result.stream_id)
        )
        conn.execute(
            insert(subscriptions).values(
                subscription_id=result.stream_id,
                tenant=result.envelopes[0].tenant,
                url=state.url,
                event_types=state.event_types,
                description=state.description,
                status=str(state.status),
                secret_ref=state.secret_ref,
                registered_at=state.registered_at,
                version=result.version,
            )
        )

    # --- queries -------------------------------------------------------------------------
    def subscriptions(self, tenant: str) -> list[dict[str, Any]]:
        with read_transaction(self.runtime.engine) as conn:
            rows = conn.execute(
                select(subscriptions)
                .where(subscriptions.c.tenant == tenant)
                .order_by(subscriptions.c.registered_at)
            ).all()
        return [subscription_view(row) for row in rows]

    def subscription(self, subscription_id: uuid.UUID, tenant: str) -> dict[str, Any]:
        return subscription_view(self._require_known(subscription_id, tenant))

    def deliveries(
        self,
        subscription_id: uuid.UUID,
        tenant: str,
        *,
        status: DeliveryStatus | None,
        after: int,
        limit: int,
    ) -> dict[str, Any]:
        """A page of deliveries; dead letters carry the event they could not deliver."""
        self._require_known(subscription_id, tenant)
        with_event = status is DeliveryStatus.DEAD
        with read_transaction(self.runtime.engine) as conn:
            rows = delivery_queue.listing(
                conn,
                str(subscription_id),
                status=status,
                after=after,
                limit=limit,
            )
        return {
            "items": [delivery_view(row, with_event) for row in rows],
            "next_after": rows[-1].seq if len(rows) == limit else None,
        }

    def _require_known(self, subscription_id: uuid.UUID, tenant: str) -> Row[Any]:
        with read_transaction(self.runtime.engine) as conn:
            row = conn.execute(
                select(subscriptions).where(
                    subscriptions.c.subscription_id == str(subscription_id),
                    subscriptions.c.tenant == tenant,
                )
            ).first()
        if row is None:
            raise NotFound("no such subscription")
        return row


def subscription_view(row: Row[Any]) -> dict[str, Any]:
    return {
        "subscription_id": row.subscription_id,
        "url": row.url,
        "event_types": row.event_types,
        "description": row.description,
        "status": row.status,
        "registered_at": as_utc(row.registered_at).isoformat(),
        "version": row.version,
    }


def delivery_view(row: Row[Any], with_event: bool) -> dict[str, Any]:
    view = {
        "delivery_id": row.delivery_id,
        "cursor": row.seq,
        "event_id": row.event_id,
        "event_type": row.type,
        "incident_id": row.incident_id,
        "feed_position": row.log_position,
        "replay": row.replay,
        "status": row.status,
        "attempts": row.attempts,
        "last_outcome": row.last_outcome,
        "next_attempt_at": (
            as_utc(row.next_attempt_at).isoformat()
            if row.status == DeliveryStatus.PENDING
            else None
        ),
        "created_at": as_utc(row.created_at).isoformat(),
        "finished_at": as_utc(row.finished_at).isoformat() if row.finished_at else None,
    }
    if with_event:
        view["event"] = row.document
    return view
