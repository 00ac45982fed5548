"""The Python client against a real intake service (real uvicorn, real broker, on 127.0.0.1),
with a small real HTTP proxy in between where the network has to misbehave: answers 503/429
first, or forwards a submission and then drops the connection before the answer."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from remedium_client import (
    BatchItem,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RemediumClient,
    RemediumProblem,
    RemediumUnavailable,
    SubmittedAllegation,
    Unauthorized,
    encode_json,
)
from remedium_client.errors import problem_from_body
from services.intake.app import create_app
from services.intake.domain import SubmitAllegation
from shared.auth import ApiKeys
from shared.broker import LocalBroker, free_port
from shared.database import make_engine
from shared.settings import Settings
from tests.support.servers import RunningService
from tests.support.system import make_keys, system_settings


def fast(url: str, api_key: str, transport: httpx.BaseTransport | None = None) -> RemediumClient:
    """A client with short backoffs, so that retried tests stay quick."""
    return RemediumClient(url, api_key, backoff_s=0.01, max_backoff_s=5.0, transport=transport)


def allegation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "ngo_report",
        "alleged_abuses": ["wfcl_hazardous_work", "debt_bondage"],
        "ilo_indicators": ["debt_bondage"],
        "minerals": ["cobalt"],
        "country": "CD",
        "site_type": "asm",
        "site_ref": "KOL-ASM-017",
        "child_involved": True,
        "immediate_danger": False,
        "summary": "Children dig and wash ore at an artisanal site; wages are withheld.",
        "reporter": {
            "relationship": "ngo",
            "anonymity": "confidential",
            "contact": "field office, +243 000 000",
            "consent_to_contact": True,
            "retaliation_risk": "high",
        },
    }
    body.update(overrides)
    return body


ANONYMOUS_REPORTER = {
    "relationship": "co_worker",
    "anonymity": "anonymous",
    "consent_to_contact": False,
    "retaliation_risk": "high",
}


# --- the service under test ---------------------------------------------------------------------


@dataclass
class Intake:
    service: RunningService
    settings: Settings
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.service.url

    def new_tenant_key(self, roles: tuple[str, ...] = ("reporter", "case_manager")) -> str:
        """A key of a tenant of its own, so each test counts only its own incidents."""
        return ApiKeys(make_engine(self.settings.auth_url())).create(
            tenant=f"portal-{uuid.uuid4().hex[:10]}", subject="supplier-portal", roles=list(roles)
        )


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory, broker: LocalBroker) -> Iterator[Intake]:
    settings = system_settings(tmp_path_factory.mktemp("intake"), broker.bootstrap)
    service = RunningService(create_app(settings)).start()
    try:
        yield Intake(service, settings, make_keys(settings))
    finally:
        service.stop()


@pytest.fixture
def api_key(intake: Intake) -> str:
    return intake.new_tenant_key()


@pytest.fixture
def client(intake: Intake, api_key: str) -> Iterator[RemediumClient]:
    with fast(intake.url, api_key) as remedium:
        yield remedium


class CountingTransport(httpx.HTTPTransport):
    """The real HTTP transport, counting what it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return super().handle_request(request)


def incident_count(intake: Intake, api_key: str) -> int:
    with RemediumClient(intake.url, api_key) as remedium:
        return sum(1 for _ in remedium.list_incidents(limit=200))


# --- a proxy that misbehaves on cue ---------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    body_sha256: str


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "te"}


@dataclass
class FlakyProxy:
    """A real HTTP proxy on 127.0.0.1. Each request takes the next action of ``script`` (then
    ``forward``): ``("status", code, retry_after)`` answers a problem itself, ``("drop",)``
    closes the connection without forwarding, ``("forward-then-drop",)`` forwards and closes
    the connection before answering (the service acted; the client never hears)."""

    upstream: str
    script: list[tuple[Any, ...]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FlakyProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy.handle(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(10)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.seen.append(
                Seen(
                    handler.command,
                    handler.path,
                    handler.headers.get("Idempotency-Key"),
                    hashlib.sha256(body).hexdigest(),
                )
            )
            action = self.script.pop(0) if self.script else ("forward",)
        if action[0] == "status":
            self.answer_problem(handler, int(action[1]), action[2] if len(action) > 2 else None)
        elif action[0] == "drop":
            handler.close_connection = True
        elif action[0] == "forward-then-drop":
            self.forward(handler, body)
            handler.close_connection = True
        else:
            status, headers, content = self.forward(handler, body)
            handler.send_response(status)
            for name, value in headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)

    def forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        with httpx.Client(base_url=self.upstream, timeout=30) as upstream:
            response = upstream.request(
                handler.command, handler.path, headers=headers, content=body
            )
        kept = [(k, v) for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP]
        return response.status_code, kept, response.content

    @staticmethod
    def answer_problem(
        handler: BaseHTTPRequestHandler, status: int, retry_after: str | None
    ) -> None:
        content = json.dumps(
            {
                "type": "about:blank",
                "title": "Service Unavailable" if status == 503 else "Too Many Requests",
                "status": status,
                "detail": "the proxy says: try again",
            }
        ).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/problem+json")
        if retry_after is not None:
            handler.send_header("Retry-After", retry_after)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


@pytest.fixture
def proxy(intake: Intake) -> Iterator[FlakyProxy]:
    running = FlakyProxy(intake.url).start()
    try:
        yield running
    finally:
        running.stop()


# --- submitting -----------------------------------------------------------------------------------


def test_submit_allegation_and_read_it_back(client: RemediumClient) -> None:
    submitted = client.submit_allegation(allegation())
    assert isinstance(submitted, SubmittedAllegation)
    assert submitted.status == "received" and submitted.events[0] == "AllegationReceived"
    assert submitted.reference.startswith("INC-")
    assert submitted.reply_token is None  # the reporter left a contact
    assert uuid.UUID(submitted.idempotency_key).version == 4
    incident = client.get_incident(submitted.incident_id)
    assert incident["incident_id"] == str(submitted.incident_id)
    assert incident["country"] == "CD"
    assert client.get_incident(str(submitted.incident_id))["version"] == submitted.version
    with pytest.raises(ValidationError):  # frozen
        submitted.status = "closed"  # type: ignore[misc]


def test_submit_a_pydantic_model_with_secrets(client: RemediumClient) -> None:
    model = SubmitAllegation.model_validate(allegation())
    assert isinstance(model.summary, SecretStr)
    submitted = client.submit_allegation(model)
    assert submitted.status == "received"


def test_the_same_key_twice_opens_one_incident(
    client: RemediumClient, intake: Intake, api_key: str
) -> None:
    first = client.submit_allegation(allegation(), idempotency_key="portal-42-7")
    again = client.submit_allegation(allegation(), idempotency_key="portal-42-7")
    assert again == first
    assert incident_count(intake, api_key) == 1


def test_the_same_key_for_another_allegation_is_refused(client: RemediumClient) -> None:
    client.submit_allegation(allegation(), idempotency_key="portal-43-1")
    with pytest.raises(Invalid) as refused:
        client.submit_allegation(allegation(country="RW"), idempotency_key="portal-43-1")
    assert refused.value.status == 422
    assert refused.value.code == "idempotency-key-reused"


def test_batch_submission_and_its_idempotent_retry(
    client: RemediumClient, intake: Intake, api_key: str
) -> None:
    batch = [allegation(), allegation(minerals=["gold"]), allegation(country="RW")]
    items = client.submit_batch(batch, idempotency_key="batch-7")
    assert [item.index for item in items] == [0, 1, 2]
    assert all(isinstance(item, BatchItem) and item.ok and item.error is None for item in items)
    again = client.submit_batch(batch, idempotency_key="batch-7")
    assert [i.result.incident_id for i in again if i.result] == [
        i.result.incident_id for i in items if i.result
    ]
    assert incident_count(intake, api_key) == 3


# --- retries --------------------------------------------------------------------------------------


def test_503s_are_retried_with_the_same_key_and_bytes(
    proxy: FlakyProxy, intake: Intake, api_key: str
) -> None:
    proxy.script = [("status", 503, "0"), ("status", 503)]
    with fast(proxy.url, api_key) as remedium:
        submitted = remedium.submit_allegation(allegation())
    posts = [seen for seen in proxy.seen if seen.method == "POST"]
    assert len(posts) == 3
    assert {seen.idempotency_key for seen in posts} == {submitted.idempotency_key}
    assert len({seen.body_sha256 for seen in posts}) == 1
    assert incident_count(intake, api_key) == 1
    with RemediumClient(intake.url, api_key) as direct:
        assert direct.get_incident(submitted.incident_id)["version"] == submitted.version


def test_a_lost_answer_is_retried_without_a_second_incident(
    proxy: FlakyProxy, intake: Intake, api_key: str
) -> None:
    """The service opened the incident but the connection broke before the answer: the retry
    with the same key gets the first answer, not a second incident."""
    proxy.script = [("forward-then-drop",), ("drop",)]
    with fast(proxy.url, api_key) as remedium:
        submitted = remedium.submit_allegation(allegation())
    assert [seen.idempotency_key for seen in proxy.seen] == [submitted.idempotency_key] * 3
    with RemediumClient(intake.url, api_key) as direct:
        listed = list(direct.list_incidents())
    assert [item["incident_id"] for item in listed] == [str(submitted.incident_id)]


def test_a_batch_whose_answer_was_lost_is_not_submitted_twice(
    proxy: FlakyProxy, intake: Intake, api_key: str
) -> None:
    proxy.script = [("forward-then-drop",)]
    with fast(proxy.url, api_key) as remedium:
        items = remedium.submit_batch([allegation(), allegation(country="UG")])
    assert all(item.ok for item in items)
    assert incident_count(intake, api_key) == 2


def test_retry_after_is_honoured(proxy: FlakyProxy, api_key: str) -> None:
    proxy.script = [("status", 429, "1")]
    started = time.monotonic()
    with fast(proxy.url, api_key) as remedium:
        assert list(remedium.list_incidents()) == []
    assert time.monotonic() - started >= 1.0
    assert len(proxy.seen) == 2


def test_a_retry_after_beyond_the_cap_is_raised_not_waited_for(
    proxy: FlakyProxy, api_key: str
) -> None:
    proxy.script = [("status", 429, "120")]
    with (
        fast(proxy.url, api_key) as remedium,
        pytest.raises(RemediumProblem) as refused,
    ):
        list(remedium.list_incidents())
    assert refused.value.status == 429 and refused.value.retry_after == 120
    assert len(proxy.seen) == 1


def test_retries_stop_after_max_retries(proxy: FlakyProxy, api_key: str) -> None:
    proxy.script = [("status", 503)] * 10
    with (
        RemediumClient(proxy.url, api_key, max_retries=2, backoff_s=0.01) as remedium,
        pytest.raises(RemediumProblem) as refused,
    ):
        remedium.submit_allegation(allegation())
    assert type(refused.value) is RemediumProblem and refused.value.status == 503
    assert len(proxy.seen) == 3


def test_nothing_listening_raises_unavailable_after_retries(api_key: str) -> None:
    transport = CountingTransport()
    with (
        RemediumClient(
            f"http://127.0.0.1:{free_port()}",
            api_key,
            max_retries=2,
            backoff_s=0.01,
            transport=transport,
        ) as remedium,
        pytest.raises(RemediumUnavailable) as unavailable,
    ):
        remedium.submit_allegation(allegation())
    assert unavailable.value.attempts == 3
    assert len(transport.sent) == 3


# --- problems -------------------------------------------------------------------------------------


def test_invalid_input_is_invalid_and_not_retried(intake: Intake, api_key: str) -> None:
    transport = CountingTransport()
    with (
        fast(intake.url, api_key, transport) as remedium,
        pytest.raises(Invalid) as refused,
    ):
        remedium.submit_allegation(allegation(minerals=[], country="Congo"))
    problem = refused.value
    assert problem.status == 422 and problem.type == "urn:remedium:problem:invalid-request"
    assert problem.title and problem.detail and problem.body["status"] == 422
    assert {tuple(error["location"]) for error in problem.errors} >= {
        ("body", "minerals"),
        ("body", "country"),
    }
    assert len(transport.sent) == 1


def test_unknown_incident_is_not_found(client: RemediumClient) -> None:
    with pytest.raises(NotFound) as refused:
        client.get_incident(uuid.uuid4())
    assert refused.value.status == 404 and refused.value.code == "not-found"
    with pytest.raises(ValueError):
        client.get_incident("../../metrics")


def test_another_tenants_incident_is_not_found(client: RemediumClient, intake: Intake) -> None:
    submitted = client.submit_allegation(allegation())
    with RemediumClient(intake.url, intake.new_tenant_key()) as other, pytest.raises(NotFound):
        other.get_incident(submitted.incident_id)


def test_bad_key_and_missing_role(intake: Intake) -> None:
    with RemediumClient(intake.url, "rk_not-a-key") as remedium, pytest.raises(Unauthorized):
        remedium.get_incident(uuid.uuid4())
    with (
        RemediumClient(intake.url, intake.keys["reporter"]) as reporter,
        pytest.raises(Forbidden) as refused,
    ):
        reporter.get_incident(uuid.uuid4())
    assert refused.value.status == 403


def test_problem_classes_by_status() -> None:
    assert isinstance(problem_from_body(409, {"type": "urn:remedium:problem:x"}), Conflict)
    assert isinstance(problem_from_body(412, {}), Conflict)
    assert isinstance(problem_from_body(413, {}), Invalid)
    proxy_page = problem_from_body(502, "<html>Bad gateway</html>", reason="Bad Gateway")
    assert type(proxy_page) is RemediumProblem
    assert (proxy_page.type, proxy_page.title) == ("about:blank", "Bad Gateway")
    assert proxy_page.body == {"raw": "<html>Bad gateway</html>"}


# --- reading --------------------------------------------------------------------------------------


def test_list_incidents_follows_cursors_over_pages(intake: Intake, api_key: str) -> None:
    with RemediumClient(intake.url, api_key) as remedium:
        items = remedium.submit_batch(
            [allegation(minerals=["gold"] if i % 2 else ["cobalt"]) for i in range(5)]
        )
    created = {str(item.result.incident_id) for item in items if item.result}
    assert len(created) == 5
    transport = CountingTransport()
    with RemediumClient(intake.url, api_key, transport=transport) as remedium:
        pages = remedium.list_incidents(limit=2)
        first = next(pages)  # lazily: one page fetched so far
        assert len(transport.sent) == 1
        listed = [first, *pages]
        assert len(transport.sent) == 3
        assert [item["incident_id"] for item in listed] != []
        assert {item["incident_id"] for item in listed} == created
        assert len(listed) == 5
        gold = list(remedium.list_incidents(mineral="gold", country="CD", limit=1))
        assert len(gold) == 2 and all("gold" in item["minerals"] for item in gold)
        assert list(remedium.list_incidents(country="RW")) == []
        assert len(list(remedium.list_incidents(status="received", immediate_danger=False))) == 5


def test_report_status_with_the_reply_token(
    client: RemediumClient, proxy: FlakyProxy, api_key: str
) -> None:
    submitted = client.submit_allegation(allegation(reporter=ANONYMOUS_REPORTER))
    assert submitted.reply_token
    with fast(proxy.url, api_key) as remedium:
        status = remedium.report_status(submitted.reply_token)
    assert status["reference"] == submitted.reference and status["status"] == "received"
    assert all(submitted.reply_token not in seen.path for seen in proxy.seen)
    with pytest.raises(NotFound):
        client.report_status("not-the-token-" + "x" * 20)
    with pytest.raises(Invalid):
        client.report_status("short")


# --- without a service ----------------------------------------------------------------------------


def test_encode_json_reveals_secrets_and_is_stable() -> None:
    model = SubmitAllegation.model_validate(allegation())
    encoded = encode_json(model)
    assert encode_json(model) == encoded
    decoded = json.loads(encoded)
    assert decoded["summary"] == allegation()["summary"]
    assert decoded["reporter"]["contact"] == allegation()["reporter"]["contact"]
    assert "**" not in encoded.decode()


def test_client_arguments_and_context_manager(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RemediumClient("ftp://127.0.0.1", "key")
    with pytest.raises(ValueError):
        RemediumClient("http://127.0.0.1", "")
    with RemediumClient("http://127.0.0.1:9", "key") as remedium:
        with pytest.raises(ValueError):
            next(remedium.list_incidents(limit=0))
        http = remedium._http
    assert http.is_closed
