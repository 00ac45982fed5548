"""Write path through HTTP: submit an allegation (events + outbox + idempotency key) against the
intake service, and the same body against the plain FastAPI + SQLAlchemy insert endpoint, one
after the other in the same round so both see the same machine load."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.context import BenchContext
from bench.processes import ServerProcess, run_json_worker
from bench.services import (
    auth_url,
    new_group_prefix,
    reporter_key,
    start_service,
    write_body,
)
from bench.stats import ratio


def run(ctx: BenchContext) -> dict[str, float]:
    ours = _measure_intake(ctx)
    peer = _measure_baseline(ctx)
    return {
        "write.ours.throughput": ours["throughput"],
        "write.ours.p50_ms": ours["p50_ms"],
        "write.ours.p99_ms": ours["p99_ms"],
        "write.ours.errors": ours["errors"],
        "write.ours.cpu_ms_per_request": ours["cpu_ms_per_request"],
        "write.peer.throughput": peer["throughput"],
        "write.peer.p50_ms": peer["p50_ms"],
        "write.peer.p99_ms": peer["p99_ms"],
        "write.peer.cpu_ms_per_request": peer["cpu_ms_per_request"],
        "write.ratio": ratio(ours["throughput"], peer["throughput"]),
    }


def _measure_intake(ctx: BenchContext) -> dict[str, Any]:
    directory = ctx.scratch_dir("write-intake")
    with ctx.database("intake") as url:
        key = reporter_key(auth_url(directory), tenant="bench")
        server = start_service(ctx, "intake", url, directory, new_group_prefix())
        try:
            return _load(ctx, server, directory, [f"Authorization: Bearer {key}"], "intake")
        finally:
            server.stop()


def _measure_baseline(ctx: BenchContext) -> dict[str, Any]:
    directory = ctx.scratch_dir("write-baseline")
    with ctx.database("baseline") as url:
        server = ServerProcess(
            "bench.baseline_app:create_app",
            {"BASELINE_DATABASE_URL": url},
            directory / "baseline.log",
        ).start()
        try:
            return _load(ctx, server, directory, [], "baseline")
        finally:
            server.stop()


def _load(
    ctx: BenchContext, server: ServerProcess, directory: Path, headers: list[str], name: str
) -> dict[str, Any]:
    sizes = ctx.sizes
    if ctx.profile_dir is not None:
        server.profile(
            ctx.profile_dir / f"write-{name}-{ctx.backend}-r{ctx.round}.{ctx.profile_format}"
        )
    arguments = [
        "--url", f"{server.url}/v1/incidents",
        "--body-file", str(write_body(directory)),
        "--concurrency", str(sizes.http_concurrency),
        "--seconds", str(sizes.http_seconds),
        "--warmup", str(sizes.http_warmup_seconds),
    ]  # fmt: skip
    for header in headers:
        arguments += ["--header", header]
    timeout = sizes.http_seconds + sizes.http_warmup_seconds + 120
    cpu_before = server.cpu_seconds()
    result = run_json_worker("bench.loadgen", arguments, timeout_s=timeout)
    cpu_used = server.cpu_seconds() - cpu_before
    if result["ok"] == 0:
        raise RuntimeError(f"no request to {name} succeeded: {result}")
    # The server's CPU per request answered (warm-up included): what a core's worth buys.
    answered = result["requests"] + result["warmup_requests"]
    result["cpu_ms_per_request"] = cpu_used / answered * 1000 if answered else math.nan
    return result
