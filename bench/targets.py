"""The issue's targets, each a bound on the median of one metric."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    metric: str
    description: str
    bound: float
    at_least: bool = True

    def met(self, value: float) -> bool | None:
        if math.isnan(value):
            return None
        return value >= self.bound if self.at_least else value < self.bound

    @property
    def text(self) -> str:
        return f"{'≥' if self.at_least else '<'} {self.bound:g}"


TARGETS = [
    Target("write.ours.throughput", "write path through HTTP, commands/s", 800),
    Target("write.ours.p99_ms", "write path p99 latency, ms", 100, at_least=False),
    Target("write.ratio", "write path / plain FastAPI + SQLAlchemy insert", 0.7),
    Target("append.ratio", "append with optimistic concurrency / eventsourcing", 1.5),
    Target("load.p50_ms", "load an incident of 5,000 events, median ms", 20, at_least=False),
    Target("relay.per_s", "relay to Kafka, events/s", 10_000),
    Target("lag.p99_ms", "projection lag commit → reporting read model, p99 ms", 250, False),
    Target("lag.commands_per_s", "sustained rate during the lag test, commands/s", 200),
    Target("rebuild.per_s", "rebuild of the reporting projections, events/s", 50_000),
    Target("rebuild.peak_rss_mb", "rebuild peak memory, MB", 500, at_least=False),
]
