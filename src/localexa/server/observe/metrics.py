"""Prometheus metrics, one registry per app (tests build many apps; the global one would clash).

Labels use the route template (`/v1/skills/{skillId}/credentials`), never the raw path, so the
number of series stays bounded; a request that matched no route is `unmatched`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "localexa_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "localexa_http_request_duration_seconds",
            "Time to answer, by route template.",
            ["route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "localexa_http_errors",
            "Answers with status 4xx or 5xx, by route template and status class.",
            ["route", "kind"],
            registry=self.registry,
        )
        self.outbound = Counter(
            "localexa_outbound_requests",
            "Calls localexa made (token exchanges, directives), by method, host and status.",
            ["method", "host", "status"],
            registry=self.registry,
        )
        self.outbound_latency = Histogram(
            "localexa_outbound_request_duration_seconds",
            "Time the remote took to answer localexa.",
            ["host"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.faults = Counter(
            "localexa_faults_injected",
            "Calls answered or slowed by an injected fault, by status (0: delay only).",
            ["status"],
            registry=self.registry,
        )
        self.journal_dropped = Counter(
            "localexa_journal_dropped",
            "Journal entries dropped because the writer's queue was full.",
            registry=self.registry,
        )
        self.journal_discarded = Counter(
            "localexa_journal_discarded",
            "Journal entries left out because a reset (through any process) came after their call.",
            registry=self.registry,
        )
        self.journal_pending = Gauge(
            "localexa_journal_pending",
            "Journal entries queued and not yet written.",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if status >= 400:
            self.errors.labels(route, "5xx" if status >= 500 else "4xx").inc()

    def observe_outbound(self, method: str, url_or_host: str, status: int | None, seconds: float) -> None:
        host = urlsplit(url_or_host).netloc or url_or_host
        self.outbound.labels(method, host, str(status) if status is not None else "error").inc()
        self.outbound_latency.labels(host).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
