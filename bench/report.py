"""The Markdown report: per backend, each metric's median over the rounds with every round's
value, the targets met or missed, and the peer ratios of the same rounds."""

from __future__ import annotations

import math
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench.stats import median
from bench.targets import TARGETS

Results = dict[str, dict[str, list[float]]]
"""backend -> metric -> the value of each round."""

SECTIONS = [
    ("Write path through HTTP (submit allegation)", "write."),
    ("Event store", "append."),
    ("Event store: loading a long-lived incident", "load."),
    ("Relay to Kafka", "relay."),
    ("Projection lag at a steady command rate", "lag."),
    ("Rebuild of the reporting projections", "rebuild."),
]


def render(results: Results, settings: dict[str, str], notes: list[str]) -> str:
    lines = [
        "# Remedium benchmarks",
        "",
        f"Taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}). "
        "Figures are medians of the rounds; peer and ours alternate inside each round, "
        "so ratios compare like with like on a shared, noisy machine.",
        "",
        "Settings: " + ", ".join(f"{k} = {v}" for k, v in settings.items()),
        "",
    ]
    for backend, metrics in results.items():
        lines += [f"## {backend}", "", *_targets(metrics), ""]
        for title, prefix in SECTIONS:
            names = [name for name in metrics if name.startswith(prefix)]
            if names:
                lines += [f"### {title}", "", "| metric | median | rounds |", "|---|---:|---|"]
                lines += [_row(name, metrics[name]) for name in names]
                lines.append("")
    if notes:
        lines += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(lines)


def _targets(metrics: dict[str, list[float]]) -> list[str]:
    lines = ["| target | median | bound | result |", "|---|---:|---:|---|"]
    for target in TARGETS:
        if target.metric not in metrics:
            continue
        value = median(metrics[target.metric])
        met = target.met(value)
        verdict = "n/a" if met is None else ("pass" if met else "**FAIL**")
        lines.append(f"| {target.description} | {_fmt(value)} | {target.text} | {verdict} |")
    return lines


def _row(name: str, values: list[float]) -> str:
    rounds = ", ".join(_fmt(v) for v in values)
    return f"| `{name}` | {_fmt(median(values))} | {rounds} |"


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
