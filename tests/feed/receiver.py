"""A real webhook receiver on 127.0.0.1: answers 500 to its first ``failures`` requests (or
until told to recover), then 200, and keeps every request it saw."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.feed.domain import SIGNATURE_HEADER, verify


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    @property
    def accepted(self) -> bool:
        return self.answered == 200

    @property
    def replay(self) -> bool:
        return self.headers["remedium-replay"] == "true"

    @property
    def position(self) -> int:
        return int(self.headers["remedium-feed-position"])

    def signed_with(self, secret: str, now: int) -> bool:
        return verify(secret, self.headers[SIGNATURE_HEADER.lower()], self.body, now)


class Receiver:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/remedium"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def recover(self) -> None:
        with self._lock:
            self.failures = 0

    def seen(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def accepted(self, *, replays: bool = False) -> list[Received]:
        return [r for r in self.seen() if r.accepted and r.replay == replays]

    def accepted_ids(self) -> list[str]:
        return [r.event["id"] for r in self.accepted()]

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = 500 if self.failures > 0 else 200
            self.failures = max(0, self.failures - 1)
            self.requests.append(Received(headers, body, status))
            return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status = receiver._answer(headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        return Handler
