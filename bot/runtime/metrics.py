"""What a running Heatshield counts, for Prometheus at GET /metrics.

One registry per runtime (not the process-wide default), so that tests and two replicas in one
process never count into each other. Counts that live in the database (what waits) are read
when Prometheus asks, not kept in memory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.accepted = Counter(
            "heatshield_inbound_accepted", "Inbound events stored (new ones)", ["platform"],
            registry=r,
        )  # fmt: skip
        self.redelivered = Counter(
            "heatshield_inbound_redelivered", "Inbound events seen before (redeliveries)",
            ["platform"], registry=r,
        )  # fmt: skip
        self.shed = Counter(
            "heatshield_inbound_shed", "Inbound events answered 503 to be delivered again",
            registry=r,
        )  # fmt: skip
        self.handled = Counter(
            "heatshield_inbound_handled", "Inbound events handled, by outcome",
            ["outcome"], registry=r,
        )  # fmt: skip
        self.ack_seconds = Histogram(
            "heatshield_ack_seconds", "From receiving an event to having it stored",
            buckets=FAST, registry=r,
        )  # fmt: skip
        self.handling_seconds = Histogram(
            "heatshield_handling_seconds", "Handling one inbound event", buckets=SLOW,
            registry=r,
        )  # fmt: skip
        self.delivery_lag_seconds = Histogram(
            "heatshield_delivery_lag_seconds", "From an outbox message written to it sent",
            buckets=SLOW, registry=r,
        )  # fmt: skip
        self.tick_seconds = Histogram(
            "heatshield_scheduler_tick_seconds", "One scheduler tick", buckets=SLOW, registry=r
        )
        self.waiting = Gauge(
            "heatshield_inbound_waiting", "Inbound events stored but not handled yet",
            ["status"], registry=r,
        )  # fmt: skip
        self.outbox_pending = Gauge(
            "heatshield_outbox_pending", "Outbox messages waiting to be sent", registry=r
        )

    async def render(self, refresh: Callable[[Metrics], Awaitable[None]]) -> bytes:
        """The text exposition, after reading what lives in the database."""
        await refresh(self)
        return generate_latest(self.registry)
