"""Prometheus metrics shared by every service (labelled by service name)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter(
    "remedium_events_appended_total", "Events appended to the store", ["service"]
)
EVENTS_PUBLISHED = Counter(
    "remedium_events_published_total", "Events acknowledged by the broker", ["service"]
)
OUTBOX_PENDING = Gauge("remedium_outbox_pending", "Events waiting for publication", ["service"])
RELAY_FAILURES = Counter("remedium_relay_failures_total", "Failed publication rounds", ["service"])
EVENTS_PROJECTED = Counter(
    "remedium_events_projected_total", "Events applied to read models", ["service", "projection"]
)
REQUESTS = Histogram(
    "remedium_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
