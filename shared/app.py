"""App factory: wires settings, database, event store, relay, projectors, auth, problems and the
ops endpoints (/healthz, /readyz, /metrics) around a service's routers.

Each service provides a :class:`ServiceDefinition`; everything else is the same everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text

from shared.auth import ApiKeys
from shared.database import make_engine
from shared.domain import EventRegistry
from shared.eventstore import EventStore
from shared.idempotency import IdempotencyStore
from shared.kafka import make_producer, topic_for
from shared.migrations import AUTH_MIGRATIONS, service_migrations, upgrade
from shared.problems import install_problem_handlers
from shared.projector import Projection, Projector
from shared.relay import OutboxRelay
from shared.settings import Settings, get_settings
from shared.ticker import Ticker
from shared.vault import Vault, load_master_key

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """Everything a service's handlers and API need, built once per app."""

    name: str
    settings: Settings
    engine: Engine
    store: EventStore
    api_keys: ApiKeys
    idempotency: IdempotencyStore
    vault: Vault
    relay: OutboxRelay | None = None
    projectors: list[Projector] = field(default_factory=list)
    tickers: list[Ticker] = field(default_factory=list)
    handlers: Any = None

    @property
    def topic(self) -> str:
        return topic_for(self.name)


@dataclass
class ServiceDefinition:
    name: str
    title: str
    description: str
    registry: EventRegistry
    routers: list[APIRouter]
    build_handlers: Callable[[ServiceRuntime], Any]
    projections: Callable[[ServiceRuntime], list[Projection]] = lambda runtime: []
    tickers: Callable[[ServiceRuntime], list[Ticker]] = lambda runtime: []
    openapi_tags: list[dict[str, str]] = field(default_factory=list)


def build_runtime(
    definition: ServiceDefinition, settings: Settings, *, migrate: bool = True
) -> ServiceRuntime:
    url = settings.database_url(definition.name)
    auth_url = settings.auth_url()
    if migrate:
        upgrade(service_migrations(definition.name), url)
        upgrade(AUTH_MIGRATIONS, auth_url)
    engine = make_engine(url)
    store = EventStore(
        engine, definition.registry, service=definition.name, snapshot_every=settings.snapshot_every
    )
    runtime = ServiceRuntime(
        name=definition.name,
        settings=settings,
        engine=engine,
        store=store,
        api_keys=ApiKeys(make_engine(auth_url)),
        idempotency=IdempotencyStore(engine),
        vault=Vault(load_master_key(settings.vault_master_key, settings.data_dir)),
    )
    if settings.relay_enabled:
        runtime.relay = OutboxRelay(
            engine,
            service=definition.name,
            topic=runtime.topic,
            bootstrap=settings.kafka_bootstrap,
            producer_factory=lambda: make_producer(
                settings.kafka_bootstrap, settings.kafka_request_timeout_ms
            ),
            partitions=settings.kafka_partitions,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
        )
        store.on_commit(runtime.relay.wake)
    runtime.projectors = [
        Projector(
            engine,
            projection,
            bootstrap=settings.kafka_bootstrap,
            service=definition.name,
            partitions=settings.kafka_partitions,
            max_poll_interval_ms=settings.kafka_max_poll_interval_ms,
            group_prefix=settings.consumer_group_prefix,
        )
        for projection in definition.projections(runtime)
    ]
    runtime.handlers = definition.build_handlers(runtime)
    runtime.tickers = definition.tickers(runtime)
    return runtime


def create_service_app(definition: ServiceDefinition, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = build_runtime(definition, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime.relay is not None:
            runtime.relay.start()
        workers: list[Projector | Ticker] = [*runtime.projectors, *runtime.tickers]
        for worker in workers:
            worker.start()
        yield
        for worker in reversed(workers):
            worker.stop()
        if runtime.relay is not None:
            runtime.relay.stop()
        runtime.engine.dispose()

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=definition.openapi_tags,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    from shared.http import BodyLimitMiddleware, ForwardedPrefixMiddleware, MetricsMiddleware

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, service=definition.name)
    app.add_middleware(ForwardedPrefixMiddleware)
    app.include_router(ops_router())
    for router in definition.routers:
        app.include_router(router)
    return app


def ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get(
        "/readyz",
        summary="Readiness: the store answers and the broker accepts events",
        responses={503: {"description": "degraded: commands still succeed, publication waits"}},
    )
    def readyz(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        checks = {"store": _store_ok(runtime.engine), "broker": _broker_state(runtime)}
        ready = checks["store"] == "ok" and checks["broker"] == "ok"
        body: dict[str, Any] = {"status": "ready" if ready else "degraded", "checks": checks}
        if runtime.relay is not None:
            body["outbox_pending"] = runtime.relay.pending_count()
        body["workers"] = {
            **{p.group_id: p.last_error or "ok" for p in runtime.projectors},
            **{t.name: t.last_error or "ok" for t in runtime.tickers},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _store_ok(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:
        return f"unreachable: {type(error).__name__}"


def _broker_state(runtime: ServiceRuntime) -> str:
    relay = runtime.relay
    if relay is None:
        return "disabled"
    if relay.broker_ok:
        return "ok"
    return f"unreachable: {relay.last_error}" if relay.last_error else "not yet connected"
