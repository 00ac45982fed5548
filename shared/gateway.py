"""The gateway: one address in front of every service.

``/<service>/<path>`` is forwarded to that service as ``/<path>`` with ``X-Forwarded-Prefix:
/<service>``, so each service's OpenAPI docs and the dashboard work through the gateway
(see :class:`shared.http.ForwardedPrefixMiddleware`). The gateway holds no state and no
business rules: authentication, problems and limits stay with the services. ``/`` lists the
services, ``/readyz`` asks each of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from shared.problems import problem
from shared.settings import Settings, get_settings

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_gateway(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    upstreams = dict(settings.gateway_upstreams)
    client: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        client["http"] = httpx.AsyncClient(timeout=settings.gateway_timeout_s)
        yield
        await client["http"].aclose()

    app = FastAPI(
        title="Remedium gateway",
        description="One address for every Remedium service: `/<service>/...`.",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse(_index_page(upstreams))

    @app.get("/services")
    def services() -> dict[str, dict[str, str]]:
        return {
            name: {"api": f"/{name}/v1", "docs": f"/{name}/docs", "upstream": url}
            for name, url in upstreams.items()
        }

    @app.get("/dashboard")
    def dashboard() -> RedirectResponse:
        return RedirectResponse("/reporting/dashboard")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        states = await asyncio.gather(
            *(_readiness(client["http"], url) for url in upstreams.values())
        )
        checks = dict(zip(upstreams, states, strict=True))
        ready = all(state == "ready" for state in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "degraded", "services": checks},
            status_code=200 if ready else 503,
        )

    @app.api_route("/{service}/{path:path}", methods=METHODS)
    async def forward(service: str, path: str, request: Request) -> Response:
        upstream = upstreams.get(service)
        if upstream is None:
            return problem(
                404,
                "unknown-service",
                "Unknown service",
                f"No service is called {service!r}; known: {', '.join(upstreams)}.",
            )
        return await _forward(client["http"], upstream, service, path, request)

    return app


async def _forward(
    client: httpx.AsyncClient, upstream: str, service: str, path: str, request: Request
) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    headers["x-forwarded-prefix"] = f"/{service}"
    headers["x-forwarded-for"] = request.client.host if request.client else ""
    try:
        answer = await client.request(
            request.method,
            f"{upstream.rstrip('/')}/{path}",
            params=str(request.query_params),
            headers=headers,
            content=await request.body(),
        )
    except httpx.HTTPError as error:
        return problem(
            502,
            "service-unreachable",
            "Service unreachable",
            f"The {service} service did not answer ({type(error).__name__}); try again shortly.",
        )
    return Response(
        answer.content,
        status_code=answer.status_code,
        headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP},
    )


async def _readiness(client: httpx.AsyncClient, upstream: str) -> str:
    try:
        answer = await client.get(f"{upstream.rstrip('/')}/readyz")
    except httpx.HTTPError as error:
        return f"unreachable: {type(error).__name__}"
    status = (
        answer.json().get("status")
        if answer.headers.get("content-type", "").startswith("application/json")
        else None
    )
    return str(status or f"http {answer.status_code}")


def _index_page(upstreams: dict[str, str]) -> str:
    rows = "".join(
        f"<li><b>{escape(name)}</b>: API <code>/{escape(name)}/v1</code>, "
        f'<a href="/{escape(name)}/docs">OpenAPI docs</a></li>'
        for name in upstreams
    )
    dashboard = '<p><a href="/dashboard">Dashboard</a></p>' if "reporting" in upstreams else ""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Remedium</title>"
        "<body style='font-family:sans-serif;max-width:42em;margin:2em auto'>"
        "<h1>Remedium</h1><p>Remediation of forced labour, child labour and trafficking in "
        "mineral supply chains (IOM's six steps).</p>"
        f"<ul>{rows}</ul>{dashboard}<p>Every call needs <code>Authorization: Bearer "
        "&lt;API key&gt;</code>; create one with <code>remedium create-key</code>.</p>"
        "</body></html>"
    )
