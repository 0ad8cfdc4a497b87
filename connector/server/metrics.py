"""Prometheus metrics of one app instance, in its own registry (tests run many apps in one process)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from connector.run_warnings import RunWarning

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _LiveCollector(Collector):
    """Values read at scrape time: inbox depth, API calls per CRM, the last sync's warnings."""

    def __init__(
        self,
        depth: Callable[[], int | None],
        api_calls: Callable[[], Mapping[str, Mapping[str, int]]],
        run_warnings: Callable[[], Sequence[RunWarning]],
    ) -> None:
        self._depth = depth
        self._api_calls = api_calls
        self._run_warnings = run_warnings

    def collect(self) -> Iterator[Metric]:
        depth = self._depth()
        if depth is not None:
            gauge = GaugeMetricFamily("referee_inbox_depth", "Inbox events waiting, retrying or in flight.")
            gauge.add_metric([], depth)
            yield gauge
        calls = GaugeMetricFamily(
            "referee_crm_api_calls",
            "API calls this process made to each CRM, by kind.",
            labels=["adapter", "kind"],
        )
        for adapter, kinds in sorted(self._api_calls().items()):
            for kind, count in sorted(kinds.items()):
                calls.add_metric([adapter, kind], count)
        yield calls
        warnings = GaugeMetricFamily(
            "referee_last_sync_warnings",
            "Warnings the latest finished sync run recorded (see `referee runs`), by adapter and code.",
            labels=["adapter", "code"],
        )
        for (adapter, code), count in sorted(Tally((w.adapter, w.code) for w in self._run_warnings()).items()):
            warnings.add_metric([adapter, code], count)
        yield warnings


class Metrics:
    """Counters the server and its worker update; ``render()`` is the ``/metrics`` body."""

    def __init__(
        self,
        depth: Callable[[], int | None] = lambda: None,
        api_calls: Callable[[], Mapping[str, Mapping[str, int]]] = dict,
        run_warnings: Callable[[], Sequence[RunWarning]] = tuple,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.received = Counter(
            "referee_webhook_events_received",
            "Webhook requests by adapter and outcome (accepted, duplicate, rejected, invalid, too_large).",
            ["adapter", "outcome"],
            registry=self.registry,
        )
        self.processed = Counter(
            "referee_events_processed",
            "Inbox events processed successfully.",
            ["adapter"],
            registry=self.registry,
        )
        self.failed = Counter(
            "referee_events_failed",
            "Inbox event attempts that failed, by what happened next (retry, parked).",
            ["adapter", "next"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "referee_event_processing_seconds",
            "Time to process one inbox event (fetch, store, evaluate, apply).",
            ["adapter"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.actions = Counter(
            "referee_actions",
            "Actions the worker planned or applied, by status.",
            ["adapter", "status"],
            registry=self.registry,
        )
        self.checks = Counter(
            "referee_check_requests", "/v1/check requests by outcome.", ["outcome"], registry=self.registry
        )
        self.registry.register(_LiveCollector(depth, api_calls, run_warnings))

    def render(self) -> bytes:
        return generate_latest(self.registry)
