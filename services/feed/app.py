"""Feed service composition: the projection that queues every service's events for webhook
subscriptions, the dispatcher that sends them, and the ASGI app.

Outbound HTTP to customers' systems fails and scales on its own terms, so it lives apart from
the services that record cases and from the read side.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.feed.api import router
from services.feed.dispatcher import Dispatcher
from services.feed.domain import RetryPolicy, registry
from services.feed.handlers import FeedHandlers
from services.feed.projections import EventFeed
from shared.app import ServiceDefinition, ServiceRuntime, create_service_app
from shared.settings import Settings
from shared.ticker import Ticker


def _dispatcher(runtime: ServiceRuntime) -> list[Ticker]:
    settings = runtime.settings
    dispatcher = Dispatcher(
        runtime.engine,
        runtime.vault,
        RetryPolicy(
            max_attempts=settings.feed_max_attempts,
            base_delay_s=settings.feed_retry_base_s,
            max_delay_s=settings.feed_retry_max_s,
        ),
        timeout_s=settings.feed_request_timeout_s,
        parallel=settings.feed_parallel_requests,
    )
    return [
        Ticker("webhook-dispatcher", settings.feed_dispatch_interval_s, dispatcher.dispatch_due)
    ]


definition = ServiceDefinition(
    name="feed",
    title="Remedium event feed",
    description=(
        "Every change pushed to enterprise platforms that do not run Kafka consumers: webhook "
        "subscriptions receive the tenant's events as signed CloudEvents, in per-incident order, "
        "at least once, with retries, a dead-letter list, redelivery and replays."
    ),
    registry=registry,
    routers=[router],
    build_handlers=FeedHandlers,
    projections=lambda runtime: [EventFeed()],
    tickers=_dispatcher,
    openapi_tags=[
        {
            "name": "event feed (webhooks)",
            "description": "Requests carry `Remedium-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "
            '"<t>.<body>" under the secret>`; see the README for a verification snippet.',
        }
    ],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(definition, settings)
