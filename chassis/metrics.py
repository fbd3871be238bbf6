"""Prometheus metrics of a OneNet process (the names are the operators' contract).

RPC, event and HTTP latency histograms with outcome labels; outbox backlog and
oldest-unsent age; dead-lettered messages. ``Instrumentation`` times every
nameko worker of the service it is declared on.
"""
import time

import structlog
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from chassis.db import SchemaPool, transaction

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

RPC_DURATION = Histogram(
    "onenet_rpc_duration_seconds", "Time to serve one RPC call.",
    ["service", "method", "outcome"], buckets=LATENCY_BUCKETS)
EVENT_DURATION = Histogram(
    "onenet_event_handling_duration_seconds", "Time to handle one event delivery.",
    ["service", "handler", "outcome"], buckets=LATENCY_BUCKETS)
HTTP_DURATION = Histogram(
    "onenet_http_request_duration_seconds", "Time to answer one HTTP request.",
    ["method", "route", "status"], buckets=LATENCY_BUCKETS)
OUTBOX_BACKLOG = Gauge(
    "onenet_outbox_backlog", "Outbox rows not yet published.", ["service"])
OUTBOX_OLDEST = Gauge(
    "onenet_outbox_oldest_unsent_seconds", "Age of the oldest unpublished outbox row.",
    ["service"])
OUTBOX_PUBLISHED = Counter(
    "onenet_outbox_published_total", "Events published from the outbox.", ["service"])
DEAD_LETTERED = Counter(
    "onenet_dead_lettered_total", "Event deliveries and RPC messages parked in a dead-letter queue.",
    ["service", "queue"])
EVENT_RETRIED = Counter(
    "onenet_event_retries_total", "Event deliveries scheduled for another attempt.",
    ["service", "queue"])
# Provincial events, per province (two-digit code) and type (<entity>.<verb>).
PROVINCE_RECEIVED = Counter(
    "onenet_province_events_received_total", "Provincial events delivered to their owning service.",
    ["province", "type"])
PROVINCE_APPLIED = Counter(
    "onenet_province_events_applied_total", "Provincial events applied.", ["province", "type"])
PROVINCE_REJECTED = Counter(
    "onenet_province_events_rejected_total",
    "Provincial events parked in the province's dead-letter queue, by reason.",
    ["province", "type", "reason"])
PROVINCE_STALE = Counter(
    "onenet_province_events_stale_total",
    "Provincial updates ignored because the entity already has a newer source version.",
    ["province", "type"])
PROVINCE_DUPLICATES = Counter(
    "onenet_province_events_duplicate_total",
    "Provincial events delivered again (same event_id) and acknowledged without a second effect.",
    ["province", "type"])
PROVINCE_LAG = Histogram(
    "onenet_province_event_lag_seconds", "Delivery time minus occurred_at of provincial events.",
    ["province"], buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0))
PROVINCE_FORWARDED = Counter(
    "onenet_province_outbound_total", "Events put on a province's outbound queue.", ["province", "type"])
RATE_LIMIT_UNCHECKED = Counter(
    "onenet_rate_limit_unchecked_total",
    "Gateway requests let through without a rate-limit check because its store did not answer.")


def exposition():
    """The process's metrics in Prometheus text format: ``(body, content_type)``."""
    return generate_latest(), CONTENT_TYPE_LATEST


def outcome_of(entrypoint, exc_info):
    """``ok``; ``rejected`` for an expected domain answer (e.g. NotFound); else ``error``."""
    if exc_info is None:
        return "ok"
    if isinstance(exc_info[1], getattr(entrypoint, "expected_exceptions", ())):
        return "rejected"
    return "error"


class Instrumentation(DependencyProvider):
    """Times RPC and event workers and counts them by outcome.

    HTTP requests are timed by the gateway's own entrypoint, which knows the
    route template and the status it answered.
    """

    def __init__(self):
        # Each (entrypoint, outcome)'s histogram, looked up once: ``labels()`` checks and joins its
        # label values under a lock on every call.
        self.histograms = {}

    def worker_setup(self, worker_ctx):
        worker_ctx.onenet_started = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        elapsed = time.perf_counter() - worker_ctx.onenet_started
        entrypoint = worker_ctx.entrypoint
        outcome = outcome_of(entrypoint, exc_info)
        histogram = self.histograms.get((entrypoint, outcome))
        if histogram is None:
            histogram = self.histograms[entrypoint, outcome] = self._histogram(entrypoint, outcome)
        if histogram is not None:
            histogram.observe(elapsed)

    def _histogram(self, entrypoint, outcome):
        service = self.container.service_name
        if isinstance(entrypoint, Rpc):
            return RPC_DURATION.labels(service, entrypoint.method_name, outcome)
        if isinstance(entrypoint, EventHandler) or getattr(entrypoint, "is_event_handler", False):
            return EVENT_DURATION.labels(service, entrypoint.method_name, outcome)
        return None


class ScrapeTimeCollector:
    """Business gauges computed from the service's own schema when Prometheus scrapes, so that
    every replica reports the same exact values. A subclass names its ``families()``, what it
    ``read``s in one read-only transaction and how it ``fill``s the families from that."""

    def __init__(self, pool, config, timeout_ms=5000):
        self.pool, self.config, self.timeout_ms = pool, config, timeout_ms

    def families(self):
        raise NotImplementedError

    def read(self, tx):
        raise NotImplementedError

    def fill(self, families, found):
        raise NotImplementedError

    def describe(self):
        return list(self.families().values())

    def collect(self):
        families = self.families()
        try:
            with self.pool.connection() as conn:
                with transaction(conn) as tx:
                    tx.execute(f"SET LOCAL statement_timeout = {int(self.timeout_ms)}")
                    found = self.read(tx)
        except Exception:
            structlog.get_logger(__name__).exception("scraped_gauges_failed", collector=type(self).__name__)
            return []
        self.fill(families, found)
        return list(families.values())


class ScrapeTimeGauges(DependencyProvider):
    """Registers the service's :class:`ScrapeTimeCollector` (``collector``, a subclass) while the
    service runs; nothing for workers."""

    schema_pool = SchemaPool()
    collector = None

    def __init__(self, collector_cls):
        self.collector_cls = collector_cls

    def start(self):
        collector = self.collector_cls(self.schema_pool.pool, self.container.config)
        try:
            REGISTRY.register(collector)
        except ValueError:  # another container of this service in the same process reports them
            return
        self.collector = collector

    def stop(self):
        if self.collector is not None:
            REGISTRY.unregister(self.collector)
            self.collector = None

    kill = stop

    def get_dependency(self, worker_ctx):
        return None
