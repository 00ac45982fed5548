"""``python -m bench.rebuild_worker``: rebuild reporting's projections from the broker into a
fresh database and print the count, the time and this process's peak memory as JSON."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from services.reporting.projections import IncidentRegister
from shared.database import make_engine
from shared.migrations import service_migrations, upgrade
from shared.projector import Projector


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--profile", help="write a pyinstrument profile here (.html, or text)")
    args = parser.parse_args()
    upgrade(service_migrations("reporting"), args.database_url)
    projector = Projector(
        make_engine(args.database_url), IncidentRegister(), bootstrap=args.bootstrap,
        service="reporting",
    )  # fmt: skip
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    began = time.perf_counter()
    applied = projector.rebuild()
    seconds = time.perf_counter() - began
    if profiler is not None:
        profiler.stop()
        output = Path(args.profile)
        output.write_text(
            profiler.output_html()
            if output.suffix == ".html"
            else profiler.output_text(unicode=False, color=False)
        )
    print(json.dumps({"applied": applied, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
