"""The feed's HTTP API: webhook subscriptions, their deliveries and dead letters, replays.

Managing subscriptions is for ``admin`` keys: a subscription sends every event of the tenant to
a system outside Remedium, so creating one is an integration decision, not case work. Auditors
may read subscriptions and deliveries.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.feed.domain import (
    DeliveryStatus,
    RedeliverDeadLetters,
    RegisterSubscription,
    RequestReplay,
)
from services.feed.handlers import FeedHandlers
from shared.domain import Actor
from shared.http import RequestContext, correlation_id, request_context, require_roles
from shared.http import to_json_response as answer
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/feed", tags=["event feed (webhooks)"])
MANAGE = ("admin",)
READ = ("admin", "auditor")
PROBLEMS = problem_responses(401, 403, 404, 409, 413, 422)

SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "subscription_id": "6a1f0e7c-0d5b-4f4e-8a47-3f2b9c1d2e3f",
    "url": "https://grc.example.com/hooks/remedium",
    "event_types": ["org.remedium.intake.*", "org.remedium.plan.PlanApproved.v1"],
    "description": "GRC platform: incidents and approved plans",
    "status": "active",
    "registered_at": "2026-11-01T10:00:00Z",
    "version": 1,
}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "delivery_id": "0b7c4a52-51a4-4f0e-9a53-8f2f0d5f9e01",
    "cursor": 311,
    "event_id": "c1b7d0a4-8e0f-4f3a-9b8e-2d6c1f0a9b7e",
    "event_type": "org.remedium.intake.AllegationVerified.v1",
    "incident_id": "3f0c1d8e-2b7a-4c55-9d8e-1f2a3b4c5d6e",
    "feed_position": 1204,
    "replay": False,
    "status": "dead",
    "attempts": 15,
    "last_outcome": "HTTP 503",
    "next_attempt_at": None,
    "created_at": "2026-11-01T10:00:00Z",
    "finished_at": "2026-11-01T12:10:00Z",
}


def example(status: int, description: str, body: Any) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": description, "content": {"application/json": {"example": body}}}
    }


def handlers(request: Request) -> FeedHandlers:
    result: FeedHandlers = request.app.state.runtime.handlers
    return result


def manager(
    actor: Actor = Depends(require_roles(*MANAGE)),
    correlation: str | None = Depends(correlation_id),
) -> RequestContext:
    return request_context(actor, correlation)


Manager = Annotated[RequestContext, Depends(manager)]
Reader = Annotated[Actor, Depends(require_roles(*READ))]
Feed = Annotated[FeedHandlers, Depends(handlers)]


# --- subscriptions ----------------------------------------------------------------------------
@router.post(
    "/subscriptions",
    status_code=201,
    summary="Register a webhook subscription; the signing secret is shown once",
    responses={
        **example(
            201,
            "Registered. Keep the secret: it is never shown again.",
            {
                "subscription_id": SUBSCRIPTION_EXAMPLE["subscription_id"],
                "status": "active",
                "version": 1,
                "events": ["SubscriptionRegistered"],
                "secret": "whsec_q3Xy...",
            },
        ),
        **PROBLEMS,
    },
)
def register(body: RegisterSubscription, context: Manager, feed: Feed) -> JSONResponse:
    return answer(feed.register(body, context))


@router.get(
    "/subscriptions",
    summary="The tenant's subscriptions (never their secrets)",
    responses={**example(200, "Subscriptions", [SUBSCRIPTION_EXAMPLE]), **PROBLEMS},
)
def list_subscriptions(actor: Reader, feed: Feed) -> list[dict[str, Any]]:
    return feed.subscriptions(actor.tenant)


@router.get(
    "/subscriptions/{subscription_id}",
    summary="One subscription",
    responses={**example(200, "The subscription", SUBSCRIPTION_EXAMPLE), **PROBLEMS},
)
def get_subscription(subscription_id: UUID, actor: Reader, feed: Feed) -> dict[str, Any]:
    return feed.subscription(subscription_id, actor.tenant)


def _changed(name: str) -> dict[int | str, dict[str, Any]]:
    accepted = {
        "subscription_id": SUBSCRIPTION_EXAMPLE["subscription_id"],
        "status": name,
        "version": 2,
        "events": [f"Subscription{name.capitalize()}"],
    }
    return {**example(200, f"Subscription {name}", accepted), **PROBLEMS}


@router.post(
    "/subscriptions/{subscription_id}/pause",
    summary="Stop sending; events keep queueing until resumed",
    responses=_changed("paused"),
)
def pause(subscription_id: UUID, context: Manager, feed: Feed) -> JSONResponse:
    return answer(feed.change(subscription_id, lambda sub: sub.pause(context.command), context))


@router.post(
    "/subscriptions/{subscription_id}/resume",
    summary="Send again, starting with what queued while paused",
    responses=_changed("resumed"),
)
def resume(subscription_id: UUID, context: Manager, feed: Feed) -> JSONResponse:
    return answer(feed.change(subscription_id, lambda sub: sub.resume(context.command), context))


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="Delete: pending deliveries are dropped and the secret destroyed",
    responses=_changed("deleted"),
)
def delete(subscription_id: UUID, context: Manager, feed: Feed) -> JSONResponse:
    return answer(feed.delete(subscription_id, context))


# --- deliveries, dead letters, replays --------------------------------------------------------
@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    summary="Deliveries in queue order, with their status and last outcome (cursor pages)",
    responses={
        **example(200, "A page", {"items": [DELIVERY_EXAMPLE], "next_after": None}),
        **PROBLEMS,
    },
)
def deliveries(
    subscription_id: UUID,
    actor: Reader,
    feed: Feed,
    status: DeliveryStatus | None = None,
    after: Annotated[int, Query(ge=0, description="the last cursor of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    return feed.deliveries(subscription_id, actor.tenant, status=status, after=after, limit=limit)


@router.get(
    "/subscriptions/{subscription_id}/dead-letters",
    summary="Deliveries that ran out of retries, each with the event it carries",
    responses={
        **example(
            200,
            "A page",
            {"items": [{**DELIVERY_EXAMPLE, "event": {"specversion": "1.0"}}], "next_after": None},
        ),
        **PROBLEMS,
    },
)
def dead_letters(
    subscription_id: UUID,
    actor: Reader,
    feed: Feed,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    return feed.deliveries(
        subscription_id, actor.tenant, status=DeliveryStatus.DEAD, after=after, limit=limit
    )


@router.post(
    "/subscriptions/{subscription_id}/dead-letters/redelivery",
    status_code=202,
    summary="Send dead letters again (all, or the listed ones) with a fresh retry budget",
    responses={
        **example(
            202,
            "Queued again",
            {
                "subscription_id": SUBSCRIPTION_EXAMPLE["subscription_id"],
                "status": "active",
                "version": 3,
                "events": ["DeadLettersRedelivered"],
                "redelivered": 4,
            },
        ),
        **PROBLEMS,
    },
)
def redeliver(
    subscription_id: UUID, body: RedeliverDeadLetters, context: Manager, feed: Feed
) -> JSONResponse:
    return answer(feed.redeliver(subscription_id, body, context))


@router.post(
    "/subscriptions/{subscription_id}/replay",
    status_code=202,
    summary="Send the tenant's events again from a feed position or a time (marked as replays)",
    responses={
        **example(
            202,
            "Queued",
            {
                "subscription_id": SUBSCRIPTION_EXAMPLE["subscription_id"],
                "status": "active",
                "version": 4,
                "events": ["ReplayRequested"],
                "enqueued": 37,
            },
        ),
        **PROBLEMS,
    },
)
def replay(
    subscription_id: UUID, body: RequestReplay, context: Manager, feed: Feed
) -> JSONResponse:
    return answer(feed.replay(subscription_id, body, context))
