"""Services and the broker as real OS processes, so a test can kill -9 them and start them again.

A service runs exactly as ``remedium run`` starts it (``python -m uvicorn --factory``), configured
only through ``REMEDIUM_*`` environment variables that point at a test data directory.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.broker import LocalBroker, free_port
from shared.cli import SERVICES


def process_environment(data_dir: Path, bootstrap: str) -> dict[str, str]:
    """What every service process of one test system shares: data dir, broker, vault key."""
    return {
        **os.environ,
        "REMEDIUM_DATA_DIR": str(data_dir),
        "REMEDIUM_KAFKA_BOOTSTRAP": bootstrap,
        "REMEDIUM_VAULT_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REMEDIUM_RELAY_POLL_INTERVAL_S": "0.05",
        "REMEDIUM_KAFKA_MAX_POLL_INTERVAL_MS": "3000",
        "REMEDIUM_KAFKA_REQUEST_TIMEOUT_MS": "3000",
        "REMEDIUM_CONSUMER_GROUP_PREFIX": f"chaos-{uuid.uuid4().hex[:8]}",
    }


@dataclass
class ServiceProcess:
    service: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> ServiceProcess:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            f"{SERVICES[self.service]}:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while not self._alive():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited: see {self.log_path}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"{self.service} did not answer /healthz in time")
            time.sleep(0.1)
        return self

    def _alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, whatever was in flight is cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class BrokerProcess:
    """The local Tansu broker on a fixed port, so clients reconnect to the restarted one."""

    log_path: Path
    port: int = field(default_factory=free_port)
    broker: LocalBroker | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> BrokerProcess:
        self.broker = LocalBroker(port=self.port, log_path=self.log_path).start()
        return self

    def kill(self) -> None:
        if self.broker is not None:
            self.broker.kill()

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
