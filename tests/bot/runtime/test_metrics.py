"""GET /metrics: Prometheus' text format, with what was accepted, handled and waits."""

from __future__ import annotations

from bot.kernel.events import ConversationRef, MessageEvent, PersonInfo
from bot.runtime.app import Runtime
from tests.playground import Playground


async def test_metrics_count_the_inbound_path(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", "How do I reset my password?")
    stored_only = MessageEvent(
        conversation=ConversationRef(platform="playground", workspace="demo", channel="@ben"),
        sender=PersonInfo(user_id="ben"),
        text="Where is the holiday calendar?",
        idempotency_key="stored-only",
    )
    assert await runtime.pipeline.accept(stored_only)
    assert not await runtime.pipeline.accept(stored_only)

    response = await client.http.get("/metrics")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    body = await response.text()
    assert 'heatshield_inbound_accepted_total{platform="playground"} 2.0' in body
    assert 'heatshield_inbound_redelivered_total{platform="playground"} 1.0' in body
    assert 'heatshield_inbound_handled_total{outcome="done"} 1.0' in body
    assert 'heatshield_inbound_waiting{status="pending"} 1.0' in body
    assert "heatshield_ack_seconds_count 3.0" in body
    assert "heatshield_handling_seconds_count 1.0" in body
    assert "heatshield_outbox_pending 0.0" in body
