"""A background job that runs a function at a fixed interval until stopped (e.g. deadlines)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, name: str, interval_s: float, job: Callable[[], object]) -> None:
        self.name = name
        self.interval_s = interval_s
        self.job = job
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.runs = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.job()
                self.last_error = None
            except Exception as error:  # keep ticking: the next run retries
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("%s failed: %s", self.name, self.last_error)
            self.runs += 1
            self._stop.wait(self.interval_s)
