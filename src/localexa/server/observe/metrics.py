"""Prometheus metrics, one registry per app (tests build many apps; the global one would clash).

Labels use the route template (`/v1/skills/{skillId}/credentials`), never the raw path, and a
method outside the standard seven is `other`, so the number of series stays bounded; a request
that matched no route is `unmatched`. Outbound calls are labelled by host (`host:port`, never a
URL's `user:password@`: /metrics needs no admin key), and only the `MAX_OUTBOUND_HOSTS` most
recently called hosts keep series: every skill endpoint and token URL on a port of its own is a
host, and prometheus-client keeps a label set's series for the life of the process, so a shared
server whose users start their skills on new ports every run grew /metrics, and its memory,
without end (tests/scale/test_no_leaks.py).

prometheus-client's `*_created` series (each counter's and histogram's creation time, one per
label set: 407 of 2,493 lines on a busy server) are left out of the text: series a scraper
stores for nothing (a counter's restart shows in the counter). They are dropped when rendering,
for this registry only, rather than with `disable_created_metrics()`, which would switch them off
for every library in the process.

Gauges of what the process holds in memory are set when /metrics is read (`observe_process`), so
a long-running server can be watched for growth: `localexa_in_memory_entries{holder}`, asyncio
tasks, pooled database connections and Lambda-style workers.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Outbound hosts that keep series; the least recently called one's are removed past it.
MAX_OUTBOUND_HOSTS = 64
#: The statuses the wire guard answers with (cli/wire.py, cli/wire_tls.py): not HTTP, broken
#: framing or plain HTTP to a TLS port 400; a head too slow 408; a target too long 414; a head too
#: large 431; an unknown method 501; at the connection limit 503; another HTTP version 505.
WIRE_REFUSAL_STATUSES = (400, 408, 414, 431, 501, 503, 505)
#: The methods the `method` label names; every other is `other` (`method_label`).
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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
        self.expired_deleted = Counter(
            "localexa_lwa_expired_deleted",
            "LWA authorization codes and access tokens deleted a day after they expired, and "
            "tokens a day after they were revoked, by kind.",
            ["kind"],
            registry=self.registry,
        )
        # Answers the wire guard gives before a request reaches the app (cli/wire.py: a head too
        # large or too slow, broken framing, not HTTP, HTTPS expected), and connections it closed
        # at the connection limit: invisible in the request series (QA of 2026-12-06).
        self.wire_refusals = Counter(
            "localexa_http_refused",
            "Requests refused on the wire before reaching the app, by status.",
            ["status"],
            registry=self.registry,
        )
        # Every status the wire guard answers with has its series from the start, at 0: a
        # dashboard's `rate(localexa_http_refused_total[5m])` said "no data" until the first
        # refusal, where the other families said 0 (QA of 2026-12-06).
        for status in WIRE_REFUSAL_STATUSES:
            self.wire_refusals.labels(str(status))
        self.connections_shed = Counter(
            "localexa_connections_shed",
            "Idle or unfinished connections closed to let new ones in at the connection limit.",
            registry=self.registry,
        )
        self.journal_pending = Gauge(
            "localexa_journal_pending",
            "Journal entries queued and not yet written.",
            registry=self.registry,
        )
        self.in_memory = Gauge(
            "localexa_in_memory_entries",
            "Entries this process holds in memory, by holder (each one bounded or trimmed).",
            ["holder"],
            registry=self.registry,
        )
        self.tasks = Gauge(
            "localexa_asyncio_tasks", "asyncio tasks alive in this process.", registry=self.registry
        )
        self.db_connections = Gauge(
            "localexa_db_connections",
            "Pooled database connections of this process, by engine (state, journal) and state.",
            ["engine", "state"],
            registry=self.registry,
        )
        self.lambda_workers = Gauge(
            "localexa_lambda_workers",
            "Worker processes of python: skill endpoints, by state (idle, busy).",
            ["state"],
            registry=self.registry,
        )
        #: host -> the (method, status) label values its outbound series carry, oldest call first.
        self._outbound_hosts: OrderedDict[str, set[tuple[str, str]]] = OrderedDict()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method_label(method), route, str(status)).inc()
        self.latency.labels(route).observe(seconds)
        if status >= 400:
            self.errors.labels(route, "5xx" if status >= 500 else "4xx").inc()

    def count_wire_refusal(self, status: int) -> None:
        self.wire_refusals.labels(str(status)).inc()

    def count_expired_deleted(self, codes: int, access_tokens: int, revoked_tokens: int = 0) -> None:
        """A sweep of expired and revoked LWA rows (lwa/expired.py) deleted these."""
        self.expired_deleted.labels("authorization_code").inc(codes)
        self.expired_deleted.labels("access_token").inc(access_tokens)
        self.expired_deleted.labels("revoked_token").inc(revoked_tokens)

    def observe_outbound(self, method: str, url_or_host: str, status: int | None, seconds: float) -> None:
        host = outbound_host(url_or_host)
        code = str(status) if status is not None else "error"
        self._keep_series_of(host, method, code)
        self.outbound.labels(method, host, code).inc()
        self.outbound_latency.labels(host).observe(seconds)

    def _keep_series_of(self, host: str, method: str, code: str) -> None:
        """Note a call to `host`; past `MAX_OUTBOUND_HOSTS` hosts, remove the series of the one
        called least recently (module docstring)."""
        labels = self._outbound_hosts.get(host)
        if labels is None:
            labels = self._outbound_hosts[host] = set()
            while len(self._outbound_hosts) > MAX_OUTBOUND_HOSTS:
                gone, used = self._outbound_hosts.popitem(last=False)
                for gone_method, gone_code in used:
                    self.outbound.remove(gone_method, gone, gone_code)
                self.outbound_latency.remove(gone)
        else:
            self._outbound_hosts.move_to_end(host)
        labels.add((method, code))

    def observe_process(self, state: Any) -> None:
        """Set the gauges of what the app (`app.state`) holds; /metrics calls it on every read."""
        journal = state.journal
        self.journal_pending.set(journal.pending)
        self.tasks.set(len(asyncio.all_tasks()))
        runner = getattr(state, "after_link_runner", None)
        held: dict[str, int | None] = {
            "token_cache": len(state.token_verifier.cache),
            "journal_client_lookups": journal.client_lookups,
            "after_link_follow_ups": len(runner) if runner is not None else None,
            "rate_limit_counters": state.rate_limiter.counters_held(),
            "outbound_hosts": len(self._outbound_hosts),
        }
        pool = getattr(state, "lambda_pool", None)
        if pool is not None:
            idle, busy, handlers = pool.counts()
            held["lambda_handlers"] = handlers
            self.lambda_workers.labels("idle").set(idle)
            self.lambda_workers.labels("busy").set(busy)
        for holder, count in held.items():
            if count is not None:  # None: not held here (rate limits in Redis)
                self.in_memory.labels(holder).set(count)
        engines = {"state": state.engine}
        if journal.engine is not state.engine:  # SQLite: the journal has a file of its own
            engines["journal"] = journal.engine
        for name, engine in engines.items():
            pooled = engine.pool
            # QueuePool's counts; a pool without them (a test's StaticPool) is left out.
            if hasattr(pooled, "checkedout") and hasattr(pooled, "checkedin"):
                self.db_connections.labels(name, "in_use").set(pooled.checkedout())
                self.db_connections.labels(name, "idle").set(pooled.checkedin())

    def render(self) -> bytes:
        return generate_latest(_WithoutCreated(self.registry))


class _WithoutCreated(Collector):
    """A registry's metrics without their `<name>_created` samples (module docstring)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for metric in self._registry.collect():
            created = f"{metric.name}_created"
            # collect() builds its Metric objects afresh on every call: trimming them changes nothing kept.
            metric.samples = [sample for sample in metric.samples if sample.name != created]
            yield metric


def method_label(method: str) -> str:
    """The `method` label of an inbound call: a method outside `STANDARD_METHODS` is `other`, as
    any client may send any token as a method (`PROPFIND`, `MKCOL`, …) and each was a new series
    (until 2026-12-06)."""
    return method if method in STANDARD_METHODS else "other"


def outbound_host(url_or_host: str) -> str:
    """The host label of an outbound call: a URL's `host:port` without its `user:password@`, or
    the endpoint itself when it is no URL (`python:module:function`)."""
    netloc = urlsplit(url_or_host).netloc
    return netloc.rsplit("@", 1)[-1] if netloc else url_or_host
