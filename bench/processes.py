"""Servers under test run in their own process (uvicorn, as ``remedium run`` starts them), and the
load generator in another: the benchmark process only orchestrates and reads results."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared.broker import free_port

ROOT = Path(__file__).resolve().parent.parent
PY_SPY = str(Path(sys.executable).parent / "py-spy")


@dataclass
class ServerProcess:
    """``uvicorn <factory> --factory`` on a free loopback port, stopped by its PID."""

    factory: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    profiler: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> ServerProcess:
        command = [
            sys.executable, "-m", "uvicorn", self.factory, "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, env={**os.environ, **self.env}, cwd=ROOT, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout_s
        while not self._healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.factory} exited; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.factory} did not answer in time; see {self.log_path}")
            time.sleep(0.1)
        return self

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far; NaN off Linux."""
        assert self.process is not None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def profile(self, output: Path) -> None:
        """Sample this server with py-spy until :meth:`stop`: a flame graph (``.svg``) or collapsed
        stacks (``.txt``) in ``output``."""
        assert self.process is not None
        self.profiler = subprocess.Popen(
            [PY_SPY, "record", "--pid", str(self.process.pid), "--output", str(output),
             "--rate", "200", "--nonblocking", "--threads",
             "--format", "raw" if output.suffix == ".txt" else "flamegraph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        if self.profiler is not None and self.profiler.poll() is None:
            self.profiler.send_signal(signal.SIGINT)
            _wait(self.profiler)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            _wait(self.process)


def _wait(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)


def run_json_worker(module: str, arguments: list[str], timeout_s: float) -> dict[str, Any]:
    """Run ``python -m module arguments`` and return the JSON it prints on its last line."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result
