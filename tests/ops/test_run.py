"""`remedium run` as a user starts it: the broker, every service and the gateway as real
processes, demo data through the real API, Ctrl-C, and a second run that keeps the data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.broker import free_port
from shared.cli import SERVICES
from shared.demo import STAGES
from tests.support.system import eventually

BIN = Path(sys.executable).parent


class Run:
    """One ``remedium run`` process with its own ports and data directory."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        # `remedium run` takes consecutive ports for the services: all of them must be free
        self.port = free_port_run(len(SERVICES) + 2)
        self.gateway_port = self.port + len(SERVICES)
        self.broker_port = self.port + len(SERVICES) + 1
        self.log = data_dir.parent / f"run-{time.monotonic_ns()}.log"
        command = [
            str(BIN / "remedium"),
            "run",
            "--port",
            str(self.port),
            "--gateway-port",
            str(self.gateway_port),
            "--broker-port",
            str(self.broker_port),
            *args,
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=self.env()
            )

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "REMEDIUM_DATA_DIR": str(self.data_dir),
            "REMEDIUM_KAFKA_MAX_POLL_INTERVAL_MS": "3000",
            "REMEDIUM_KAFKA_BOOTSTRAP": f"127.0.0.1:{self.broker_port}",
        }

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float = 240) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.3)

    def ports(self) -> list[int]:
        return [self.gateway_port, self.broker_port] + [self.port + i for i in range(len(SERVICES))]

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "remedium"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive ports that are all free now (other test workers take
    ports too, so a single free port may have a busy neighbour)."""
    while True:
        first = free_port()
        if first + count < 65536 and all(bindable(first + i) for i in range(count)):
            return first


def bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def register(run: Run, key: str) -> list[dict]:
    answer = httpx.get(
        f"{run.gateway}/reporting/v1/register",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    return list(answer.json()) if answer.status_code == 200 else []


def test_one_command_runs_everything_seeds_every_stage_stops_cleanly_and_keeps_data(
    data_dir: Path,
) -> None:
    run = Run(data_dir, "--seed")
    try:
        run.wait_for(f"seeded {len(STAGES)} demo incidents")
        assert f"Remedium is up at {run.gateway}" in run.output()

        index = httpx.get(run.gateway, timeout=10)
        assert index.status_code == 200 and all(f"/{name}/docs" in index.text for name in SERVICES)
        assert httpx.get(f"{run.gateway}/readyz", timeout=10).json()["status"] == "ready"
        for name in SERVICES:  # every service's docs and spec through the one address
            docs = httpx.get(f"{run.gateway}/{name}/docs", timeout=10).text
            assert f"/{name}/openapi.json" in docs
            spec = httpx.get(f"{run.gateway}/{name}/openapi.json", timeout=10).json()
            assert spec["servers"] == [{"url": f"/{name}"}] and spec["paths"]
        unknown = httpx.get(f"{run.gateway}/nowhere/v1", timeout=10)
        assert unknown.status_code == 404
        assert unknown.json()["type"].endswith("unknown-service")
        assert httpx.get(f"{run.gateway}/intake/v1/incidents", timeout=10).status_code == 401
        dashboard = httpx.get(f"{run.gateway}/dashboard", timeout=10, follow_redirects=True)
        assert dashboard.status_code == 200 and "text/html" in dashboard.headers["content-type"]

        key = run.cli("create-key", "--tenant", "demo", "--roles", "case_manager,auditor")
        key = key.stdout.strip()
        seeded = eventually(lambda: len(register(run, key)) == len(STAGES) and register(run, key))
        assert {entry["status"] for entry in seeded} == set(STAGES)

        exported = run.cli("export", "--out", str(data_dir / "export"))
        assert exported.returncode == 0, exported.stdout + exported.stderr
        lines = (data_dir / "export" / "intake.events.jsonl").read_text().splitlines()
        assert len({json.loads(line)["id"] for line in lines}) == len(lines) > len(STAGES)
        assert run.cli("verify").returncode == 0
        lag = run.cli("lag")
        assert lag.returncode == 0 and "incident-register" in lag.stdout
    finally:
        code = run.interrupt()
    assert code == 0, run.output()
    assert not any(listening(port) for port in run.ports())

    again = Run(data_dir)
    try:
        again.wait_for("Remedium is up at")
        seeded_again = eventually(lambda: register(again, key))
        assert {entry["incident_id"] for entry in seeded_again} == {
            entry["incident_id"] for entry in seeded
        }
        intake = httpx.Client(
            base_url=f"{again.gateway}/intake", headers={"Authorization": f"Bearer {key}"}
        )
        first = seeded[0]["incident_id"]
        assert intake.get(f"/v1/incidents/{first}").status_code == 200
    finally:
        assert again.interrupt() == 0, again.output()
