"""The benchmark harness runs end to end with tiny sizes and writes its report.

No timing assertions: speed targets belong to ``make bench``; this only keeps the harness from
rotting (every benchmark runs, every target appears in the report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import run
from bench.targets import TARGETS


@pytest.mark.timeout(600)
def test_every_benchmark_runs_and_the_report_lists_every_target(tmp_path: Path) -> None:
    output = tmp_path / "report.md"
    run.main(["--smoke", "--rounds", "1", "--backend", "sqlite", "--output", str(output)])
    report = output.read_text()
    assert "## sqlite" in report
    for target in TARGETS:
        assert target.description in report, target.metric
    for metric in ("write.peer.throughput", "append.peer.per_s", "rebuild.peak_rss_mb"):
        assert f"`{metric}`" in report
