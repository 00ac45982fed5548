"""``python -m bench.run`` (``make bench``): run every benchmark for several rounds on SQLite
(and on PostgreSQL when ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL`` is set) and write
``bench/results/report.md``.

Each round runs every benchmark once, peer and ours one after the other, so slow phases of the
shared machine hit both. The rebuild is heavy (a fresh broker filled with N events): it runs
``--rebuild-rounds`` times, on SQLite only.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import event_store, lag, rebuild, relay, report, write_path
from bench.context import POSTGRESQL, SQLITE, BenchContext, Sizes, postgres_url
from shared.broker import LocalBroker, free_port

RESULTS = Path(__file__).resolve().parent / "results"
Benchmark = Callable[[BenchContext], dict[str, float]]
BENCHMARKS: dict[str, Benchmark] = {
    "write": write_path.run,
    "store": event_store.run,
    "relay": relay.run,
    "lag": lag.run,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=[*BENCHMARKS, "rebuild"], default=None)
    parser.add_argument("--rebuild-events", type=int, default=Sizes.rebuild_events)
    parser.add_argument("--rebuild-rounds", type=int, default=1)
    parser.add_argument("--http-seconds", type=float, default=Sizes.http_seconds)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument("--backend", choices=[SQLITE, POSTGRESQL], action="append")
    parser.add_argument("--output", type=Path, default=RESULTS / "report.md")
    parser.add_argument("--profile", action="store_true", help="py-spy/pyinstrument profiles")
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    if args.smoke:
        return Sizes.smoke()
    return Sizes(rebuild_events=args.rebuild_events, http_seconds=args.http_seconds)


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    sizes = sizes_from(args)
    backends = args.backend or [SQLITE, *([POSTGRESQL] if postgres_url() else [])]
    selected = args.only if args.only is not None else [*BENCHMARKS, "rebuild"]
    workdir = Path(tempfile.mkdtemp(prefix="remedium-bench-"))
    profile_dir = args.output.parent / "profiles" if args.profile else None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
    results: report.Results = {backend: {} for backend in backends}
    broker = LocalBroker(port=free_port(), log_path=workdir / "tansu.log").start()
    began = time.monotonic()
    try:
        for round_number in range(1, args.rounds + 1):
            for backend in backends:
                ctx = BenchContext(sizes, workdir, broker, backend, profile_dir, round=round_number)
                for name in selected:
                    if name in BENCHMARKS:
                        _record(results[backend], name, BENCHMARKS[name], ctx)
        for round_number in range(1, args.rebuild_rounds + 1):
            if "rebuild" in selected:
                ctx = BenchContext(sizes, workdir, broker, SQLITE, profile_dir, round=round_number)
                _record(results[SQLITE], "rebuild", rebuild.run, ctx)
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    settings = {
        "rounds": str(args.rounds),
        "HTTP seconds per measurement": f"{sizes.http_seconds:g}",
        "HTTP concurrency": str(sizes.http_concurrency),
        "appends per side": str(sizes.appends),
        "relay backlog": f"{sizes.relay_events:,}",
        "lag rate": f"{sizes.lag_rate:g}/s for {sizes.lag_seconds:g} s",
        "rebuild events": f"{sizes.rebuild_events:,}, {args.rebuild_rounds} round(s), SQLite",
        "total time": f"{time.monotonic() - began:.0f} s",
    }
    report.write(args.output, report.render(results, settings, NOTES))
    output: Path = args.output
    print(f"report written to {output}")
    return output


def _record(
    metrics: dict[str, list[float]], name: str, benchmark: Benchmark, ctx: BenchContext
) -> None:
    print(f"[{ctx.backend} round {ctx.round}] {name} ...", flush=True)
    for metric, value in benchmark(ctx).items():
        metrics.setdefault(metric, []).append(value)


NOTES = [
    "Write path: a closed loop of HTTP clients in a second process (`bench/loadgen.py`) against "
    "uvicorn in its own process (one worker, uvloop and httptools for both sides); the peer is "
    "`bench/baseline_app.py`, a plain FastAPI + SQLAlchemy endpoint inserting the same body as "
    "one row, on the same engine settings. `cpu_ms_per_request` is the server process's CPU "
    "time per answered request: the server is CPU-bound, so one core's worth of it bounds the "
    "throughput.",
    "Append: one event per transaction to an existing stream at a known version; ours through "
    "`EventStore.append` (hash chain + outbox row), the peer through `eventsourcing`'s "
    "`Application.save` with its own SQLite/PostgreSQL recorder. On SQLite both sides run at "
    "the same durability: `append.*` at `synchronous=NORMAL` (the services' setting), "
    "`append.full.*` at `FULL` (eventsourcing's default: the log synced at every commit).",
    "Lag: from the moment each event's row is visible in intake's event store (its commit) to "
    "the moment its row is visible in reporting's timeline, both polled every 5 ms; "
    "`from_recorded` counts from the event's recorded time instead (taken while the request is "
    "handled, before it waits for the commit), `request_p99_ms` is the commands' own latency.",
    "Rebuild: a fresh broker filled with copies of a real intake incident's events, replayed by "
    "a separate process through `Projector.rebuild`; memory is that process's peak RSS.",
]


if __name__ == "__main__":
    main()
