"""The outbox through Slack's Web API: rate limits wait for Retry-After, outages back off, and a
message Slack will never take is given up."""

from __future__ import annotations

from datetime import timedelta

from bot.kernel.clock import FakeClock
from bot.kernel.events import ConversationRef
from bot.kernel.outbound import OutboundMessage
from bot.runtime.app import Runtime
from handlers import outbox
from storage.models import OutboxMessage
from tests.adapters.slack.conftest import TEAM, Slack


async def queue(runtime: Runtime, channel: str) -> int:
    conversation = ConversationRef(platform="slack", workspace=TEAM, channel=channel)
    async with runtime.db.transaction() as uow:
        row = outbox.new_outbox_row(
            conversation, OutboundMessage(text="Hello <team> & co"), runtime.services.clock.now()
        )
        await uow.outbox.add(row)
        await uow.session.flush()
        return row.id


async def row(runtime: Runtime, message_id: int) -> OutboxMessage:
    async with runtime.db.transaction() as uow:
        found = await uow.outbox.get(message_id=message_id)
        assert found is not None
        return found


async def test_a_429_is_retried_after_slacks_retry_after(
    slack: Slack, runtime: Runtime, clock: FakeClock
) -> None:
    message_id = await queue(runtime, "C0PRODUCT")
    slack.fake.failures["chat.postMessage"] = [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
    ]

    assert await runtime.worker.deliver_due() == 0
    waiting = await row(runtime, message_id)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=7)

    clock.advance(timedelta(seconds=6))
    assert await runtime.worker.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1
    sent = await row(runtime, message_id)
    assert sent.delivered_ref == f"C0PRODUCT:{slack.fake.posts()[-1]['ts']}"
    assert slack.fake.posts()[-1]["text"] == "Hello &lt;team&gt; &amp; co"
    assert "&lt;team&gt; &amp; co" in str(slack.fake.posts()[-1]["blocks"])


async def test_a_server_error_is_retried_with_backoff(slack: Slack, runtime: Runtime) -> None:
    message_id = await queue(runtime, "C0PRODUCT")
    slack.fake.failures["chat.postMessage"] = [(503, {"ok": False}, {})]

    assert await runtime.worker.deliver_due() == 0

    waiting = await row(runtime, message_id)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "503" in (waiting.last_error or "")


async def test_a_channel_that_is_gone_gives_the_message_up(slack: Slack, runtime: Runtime) -> None:
    message_id = await queue(runtime, "C0ARCHIVED")

    assert await runtime.worker.deliver_due() == 0

    failed = await row(runtime, message_id)
    assert failed.status == "failed"
    assert "channel_not_found" in (failed.last_error or "")


async def test_a_revoked_token_gives_the_message_up(slack: Slack, runtime: Runtime) -> None:
    message_id = await queue(runtime, "C0PRODUCT")
    slack.fake.failures["chat.postMessage"] = [(200, {"ok": False, "error": "invalid_auth"}, {})]

    await runtime.worker.deliver_due()

    assert (await row(runtime, message_id)).status == "failed"


async def test_a_dm_by_user_id_is_opened_and_referenced_by_its_channel(
    slack: Slack, runtime: Runtime
) -> None:
    message_id = await queue(runtime, "@U0ANNA")

    assert await runtime.worker.deliver_due() == 1

    [opened] = slack.fake.of("conversations.open")
    assert opened.args["users"] == "U0ANNA"
    assert (await row(runtime, message_id)).delivered_ref.startswith("D0ANNA:")  # type: ignore[union-attr]


async def test_a_message_with_a_chart_uploads_it_to_the_same_channel(
    slack: Slack, runtime: Runtime
) -> None:
    import base64

    from bot.kernel.outbound import Image

    png = b"\x89PNG\r\n\x1a\n" + b"chart"
    conversation = ConversationRef(platform="slack", workspace=TEAM, channel="D0COACH")
    message = OutboundMessage(
        text="Weekly digest", image=Image(png_base64=base64.b64encode(png).decode(), alt="Chart")
    )
    async with runtime.db.transaction() as uow:
        await uow.outbox.add(
            outbox.new_outbox_row(conversation, message, runtime.services.clock.now())
        )

    assert await runtime.worker.deliver_due() == 1

    [completed] = slack.fake.of("files.completeUploadExternal")
    assert completed.args["channel_id"] == "D0COACH"
    assert list(slack.fake.uploads.values()) == [png]


async def test_a_failed_chart_upload_does_not_post_the_message_twice(
    slack: Slack, runtime: Runtime
) -> None:
    import base64

    from bot.kernel.outbound import Image

    slack.fake.failures["files.getUploadURLExternal"] = [
        (200, {"ok": False, "error": "not_allowed"}, {})
    ]
    conversation = ConversationRef(platform="slack", workspace=TEAM, channel="D0COACH")
    message = OutboundMessage(
        text="Weekly digest", image=Image(png_base64=base64.b64encode(b"png").decode(), alt="Chart")
    )
    async with runtime.db.transaction() as uow:
        await uow.outbox.add(
            outbox.new_outbox_row(conversation, message, runtime.services.clock.now())
        )

    assert await runtime.worker.deliver_due() == 1
    assert await runtime.worker.deliver_due() == 0
    assert len(slack.fake.posts("D0COACH")) == 1


async def test_a_post_that_went_out_unmarked_is_found_not_posted_again(
    slack: Slack, runtime: Runtime, clock: FakeClock
) -> None:
    """Slack took the post, then marking it sent failed (or the replica was killed): once the
    claim runs out, the next pass finds the message by its metadata instead of posting again."""
    message_id = await queue(runtime, "C0PRODUCT")
    worker = runtime.worker
    write_sent = worker._write_sent
    worker._mark_retries = ()

    async def database_gone(*_: object) -> None:
        raise ConnectionError("database gone")

    worker._write_sent = database_gone  # type: ignore[method-assign]
    await worker.deliver_due()
    assert len(slack.fake.posts()) == 1
    assert (await row(runtime, message_id)).status == "pending"

    worker._write_sent = write_sent  # type: ignore[method-assign]
    clock.advance(timedelta(minutes=1))
    assert await worker.deliver_due() == 1

    assert len(slack.fake.posts()) == 1, "not posted twice"
    [looked] = slack.fake.of("conversations.history")
    assert looked.args["channel"] == "C0PRODUCT"
    sent = await row(runtime, message_id)
    assert (sent.status, sent.delivered_ref) == ("sent", f"C0PRODUCT:{slack.fake.posts()[0]['ts']}")
    assert slack.fake.posts()[0]["metadata"]["event_payload"] == {"key": f"outbox:{message_id}"}


async def test_a_claim_lost_before_the_post_is_posted_after_looking(
    slack: Slack, runtime: Runtime, clock: FakeClock
) -> None:
    """A replica claimed the message and died before posting: the next one looks, finds
    nothing, and posts it, once."""
    message_id = await queue(runtime, "C0PRODUCT")
    async with runtime.db.transaction() as uow:
        await uow.outbox.claim_due(now=clock.now(), lease=timedelta(seconds=45), limit=10)

    assert await runtime.worker.deliver_due() == 0, "still held by the dead replica"
    clock.advance(timedelta(seconds=46))
    assert await runtime.worker.deliver_due() == 1

    assert len(slack.fake.of("conversations.history")) == 1
    assert len(slack.fake.posts()) == 1
    assert (await row(runtime, message_id)).check_before_send is False


async def test_a_429_holds_back_the_whole_workspace_not_one_message(
    slack: Slack, runtime: Runtime, clock: FakeClock
) -> None:
    await queue(runtime, "C0PRODUCT")
    slack.fake.failures["chat.postMessage"] = [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    ]
    assert await runtime.worker.deliver_due() == 0
    for channel in ("C0SALES", "C0SUPPORT", "C0LEGAL"):
        await queue(runtime, channel)

    assert await runtime.worker.deliver_due() == 0
    assert len(slack.fake.of("chat.postMessage")) == 1, "one 429, then the workspace waits"
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 0
    assert len(slack.fake.of("chat.postMessage")) == 1
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1, "one goes first to see if the limit passed"
    assert len(slack.fake.of("chat.postMessage")) == 2
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 3
    assert len(slack.fake.of("chat.postMessage")) == 5
