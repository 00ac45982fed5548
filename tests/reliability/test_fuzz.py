"""Schemathesis over every service's OpenAPI spec, in process (ASGI): generated requests,
valid and not, never get a 5xx, and every answer conforms to the spec (status code, content
type, headers, body schema). Bounded: a few derandomized examples per operation.

Plus the two limits every service shares: bodies over the limit get 413, malformed JSON 422."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.broker import LocalBroker
from tests.reliability.conftest import create_app_of, services_with_apps
from tests.support.system import make_keys, system_settings

EXAMPLES = int(os.environ.get("REMEDIUM_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NOT_FUZZED = {"/metrics", "/readyz"}
"""Prometheus text; and readiness, whose 503 (broker not yet connected) is its documented job."""
KNOWN_FINDINGS: dict[str, set[str]] = {}
"""Findings reported to the services' owners; the test fails once one is fixed, so the entry
is removed rather than forgotten."""


def app_under_fuzz(tmp_path: Path, service: str, bootstrap: str) -> tuple[Any, str]:
    app_settings = system_settings(tmp_path, bootstrap)
    key = make_keys(app_settings)["case_manager"]
    return create_app_of(service)(app_settings), key


def fuzz(app: Any, key: str) -> list[str]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path in NOT_FUZZED:
            continue

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis raises a group
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:1500])
    return failures


def failing_operations(failures: list[str]) -> set[str]:
    return {failure.split(":", 1)[0] for failure in failures}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("service", services_with_apps())
def test_generated_requests_get_no_5xx_and_conforming_answers(
    tmp_path: Path, service: str, broker: LocalBroker
) -> None:
    app, key = app_under_fuzz(tmp_path, service, broker.bootstrap)
    known = KNOWN_FINDINGS.get(service, set())
    failures = fuzz(app, key)
    unexpected = [f for f in failures if f.split(":", 1)[0] not in known]
    assert unexpected == [], "\n\n".join(unexpected)
    assert failing_operations(failures) == known, "a known finding is fixed: remove it"


@pytest.mark.parametrize("service", services_with_apps())
def test_oversized_bodies_get_413_and_malformed_json_422(
    tmp_path: Path, service: str, broker: LocalBroker
) -> None:
    app, key = app_under_fuzz(tmp_path, service, broker.bootstrap)
    post = next(
        path
        for path, methods in app.openapi()["paths"].items()
        if "post" in methods and "requestBody" in methods["post"]
    )
    url = post.replace("{", "").replace("}", "")
    transport = httpx.ASGITransport(app=app)

    async def send(body: bytes) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://fuzz") as http:
            return await http.post(
                url.replace("incident_id", "0b8a1f50-9f0a-4c39-9b7c-2f8d7d1e9a11"),
                content=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )

    too_large = asyncio.run(send(b"[" + b"1," * 600_000 + b"1]"))
    assert too_large.status_code == 413, too_large.text
    assert too_large.headers["content-type"].startswith("application/problem+json")
    malformed = asyncio.run(send(b'{"summary": "unterminated'))
    assert malformed.status_code == 422, malformed.text
    assert malformed.headers["content-type"].startswith("application/problem+json")
