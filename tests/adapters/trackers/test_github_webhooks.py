"""GitHub's webhooks bring the issue's state back: verified by X-Hub-Signature-256, stored
before the 200 and deduplicated by X-GitHub-Delivery, and told to the stakeholder (and everyone
merged into the request) exactly once, in their language; a forged delivery is refused 401 and
audited."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translator
from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.coaching.digest import build_digest
from handlers.coaching.report import digest_message
from handlers.tracker_settings import put_tracker
from storage.models import InboundRecord
from tests import state
from tests.adapters.trackers.github_fake import REPO, TOKEN, FakeGitHub
from tests.adapters.trackers.test_github_tracker import FEATURE
from tests.handlers.coaching_support import contract, demo
from tests.handlers.test_routing import set_person
from tests.playground import Playground

SECRET = "It's a Secret to Everybody"
DUPLICATE = (
    "Could we get a CSV export of the expense overview? Finance retypes all payouts by hand "
    "every month to reconcile them."
)


@pytest.fixture
def shipped_issue(issue_and_github: tuple[int, FakeGitHub]) -> int:
    return issue_and_github[0]


@pytest.fixture
async def issue_and_github(
    client: Playground, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[int, FakeGitHub]]:
    """Anna's approved request as issue acme/shop#1, with Ben's duplicate merged into it; and
    the fake GitHub that has it."""
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub()
    server = TestServer(fake.app())
    await server.start_server()
    async with runtime.db.transaction() as uow:
        settings = TrackerSettings(
            kind="github", url=str(server.make_url("")).rstrip("/"), repo=REPO,
            webhook_secret=SECRET,
        )  # fmt: skip
        await put_tracker(uow, await demo(uow), settings, "connected", runtime.services.clock.now())
    await client.say("anna", FEATURE)
    await client.say("ben", DUPLICATE)
    first, second = await state.items(runtime)
    assert second.duplicate_of_id == first.id
    await client.click("po", "approve_top", str(first.id))
    await client.click("po", "merge", str(second.id))
    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()
    try:
        yield first.id, fake
    finally:
        await server.close()


def issue_event(action: str, **issue: Any) -> dict[str, Any]:
    """An `issues` delivery as GitHub documents it (trimmed to what is read, and a bit more)."""
    return {
        "action": action,
        "issue": {
            "url": f"https://api.github.com/repos/{REPO}/issues/1",
            "html_url": f"https://github.com/{REPO}/issues/1",
            "id": 1001,
            "number": 1,
            "title": "Please add a CSV export to the expense overview",
            "state": "closed" if action == "closed" else "open",
            "state_reason": None,
            "labels": [],
            **issue,
        },
        "repository": {"id": 1296269, "name": "shop", "full_name": REPO, "private": True},
        "sender": {"login": "octocat", "id": 1, "type": "User"},
    }


async def deliver(
    client: Playground,
    payload: dict[str, Any],
    *,
    delivery: str,
    event: str = "issues",
    secret: str = SECRET,
) -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": signature,
    }
    return await client.http.post("/trackers/github/webhook", data=body, headers=headers)


async def handle_stored(runtime: Runtime) -> None:
    """What the workers do in the background: handle what was stored, deliver what it wrote."""
    while claimed := await runtime.pipeline.claim(limit=10):
        await runtime.pipeline.handle_batch(claimed)
    await runtime.worker.deliver_due()


async def texts(client: Playground, user: str) -> list[str]:
    return [str(m["text"]) for m in await client.inbox(user)]


async def test_done_in_github_reaches_the_stakeholders_exactly_once(
    client: Playground, runtime: Runtime, shipped_issue: int
) -> None:
    closed = issue_event("closed", state_reason="completed")

    first = await deliver(client, closed, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    again = await deliver(client, closed, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert (first.status, again.status) == (200, 200)
    assert (await first.json())["accepted"] == 1 and (await again.json())["accepted"] == 0
    await handle_stored(runtime)
    # GitHub's "Redeliver" sends it with a new delivery id: still told once.
    await deliver(client, closed, delivery="9c1d1e00-cc78-11e3-81ab-4c9367dc0958")
    await handle_stored(runtime)

    shipped = f"has shipped: {REPO}#1 is done"
    assert sum(shipped in text for text in await texts(client, "anna")) == 1
    assert sum(shipped in text for text in await texts(client, "ben")) == 1, "merged into it"
    item = await state.item(runtime, shipped_issue)
    assert (item.status, item.tracker_state) == ("done", "done")
    assert item.shipped_at is not None


async def test_in_progress_and_wont_do_are_told_in_the_stakeholders_language(
    client: Playground, runtime: Runtime, shipped_issue: int
) -> None:
    await set_person(runtime, "anna", language="nl")
    labelled = issue_event("labeled", labels=[{"name": "In progress"}])
    labelled["label"] = {"id": 208045946, "name": "In progress", "color": "f29513"}

    await deliver(client, labelled, delivery="d-label")
    await deliver(client, issue_event("closed", state_reason="not_planned"), delivery="d-close")
    await handle_stored(runtime)

    anna = await texts(client, "anna")
    assert any("Er wordt begonnen aan je verzoek" in text for text in anna), anna
    assert any("besloten je verzoek" in text and "toch niet te doen" in text for text in anna)
    assert any("decided not to do your request" in t for t in await texts(client, "ben"))
    assert (await state.item(runtime, shipped_issue)).tracker_state == "wont_do"


async def test_a_forged_delivery_is_refused_and_audited_and_nothing_is_stored(
    client: Playground, runtime: Runtime, shipped_issue: int
) -> None:
    before = await state.count(runtime, InboundRecord)

    forged = await deliver(client, issue_event("closed"), delivery="d-forged", secret="guess")
    unknown = issue_event("closed")
    unknown["repository"]["full_name"] = "evil/repo"
    elsewhere = await deliver(client, unknown, delivery="d-elsewhere")

    assert (forged.status, elsewhere.status) == (401, 401)
    assert "signature does not match" in (await forged.json())["error"]
    assert await state.count(runtime, InboundRecord) == before
    entries = [(e.platform, e.action, e.target) for e in await state.audit(runtime)]
    assert entries == [
        ("github", "github_webhook", REPO),
        ("github", "github_webhook", "evil/repo"),
    ]
    assert (await state.item(runtime, shipped_issue)).status == "approved"


async def test_a_flood_of_forged_deliveries_is_audited_once_a_minute_with_its_count(
    client: Playground, runtime: Runtime, clock: FakeClock, shipped_issue: int
) -> None:
    for n in range(30):
        response = await deliver(client, issue_event("closed"), delivery=f"f-{n}", secret="no")
        assert response.status == 401
    assert len(await state.audit(runtime)) == 1, "one row for the minute, not thirty"

    clock.advance(timedelta(seconds=61))
    await deliver(client, issue_event("closed"), delivery="f-later", secret="no")

    first, second = await state.audit(runtime)
    assert (first.target, second.target) == (REPO, REPO)
    assert "29 more refused in the minute before" in (second.reason or "")


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{}", {"X-GitHub-Event": "issues"}, 400),  # no delivery id
        (b"not json", {"X-GitHub-Delivery": "d-1"}, 400),
        (b"[1, 2]", {"X-GitHub-Delivery": "d-2"}, 400),
        (b'{"zen": "Keep it logically awesome."}', {"X-GitHub-Delivery": "d-3"}, 401),
    ],
)
async def test_bad_deliveries_get_a_clear_answer(
    client: Playground, runtime: Runtime, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = await client.http.post("/trackers/github/webhook", data=body, headers=headers)

    assert response.status == status
    assert (await response.json())["error"]


async def test_an_event_that_moves_nothing_is_taken_and_ignored(
    client: Playground, runtime: Runtime, shipped_issue: int
) -> None:
    edited = await deliver(client, issue_event("edited"), delivery="d-edit")
    ping = await deliver(client, {"zen": "Design for failure.", "hook_id": 1,
                                  "repository": {"full_name": REPO}}, delivery="d-ping",
                         event="ping")  # fmt: skip

    assert (edited.status, ping.status) == (200, 200)
    assert (await edited.json())["accepted"] == 0
    await handle_stored(runtime)
    assert (await state.item(runtime, shipped_issue)).tracker_state is None


async def test_the_coachs_digest_counts_what_shipped(
    client: Playground, runtime: Runtime, shipped_issue: int, clock: FakeClock
) -> None:
    await contract(runtime)
    clock.advance(timedelta(days=2, hours=3))
    await deliver(client, issue_event("closed", state_reason="completed"), delivery="d-done")
    await handle_stored(runtime)

    async with runtime.db.read() as uow:
        workspace = await demo(uow)
        agreement = await uow.coaching.contract(workspace_id=workspace.id)
        assert agreement is not None
        digest = await build_digest(uow, workspace, agreement, "2026-W48")

    assert (digest.shipped, digest.median_days_to_shipped) == (1, 2.12)
    fields = {
        f.label: f.value
        for section in digest_message(Translator("en"), digest, b"").sections
        for f in section.fields
    }
    assert fields["Shipped (the tracker says done)"] == "1, a median 2 days after the request"


async def test_a_webhook_and_the_reconcile_telling_the_same_move_at_once_tell_it_once(
    client: Playground, runtime: Runtime, issue_and_github: tuple[int, FakeGitHub]
) -> None:
    """The move's webhook is handled while a reconcile finds the same move: whichever locks
    the item first tells it, the other sees it told (a row lock on PostgreSQL)."""
    item_id, fake = issue_and_github
    fake.issues[0].update(state="closed", state_reason="completed")
    response = await deliver(client, issue_event("closed", state_reason="completed"),
                             delivery="d-race")  # fmt: skip
    assert response.status == 200

    async def webhook() -> None:
        while claimed := await runtime.pipeline.claim(limit=10):
            await runtime.pipeline.handle_batch(claimed)

    await asyncio.gather(webhook(), runtime.trackers.reconcile())
    await runtime.worker.deliver_due()

    for user in ("anna", "ben"):
        assert sum("has shipped" in t for t in await texts(client, user)) == 1, user
    assert (await state.item(runtime, item_id)).tracker_state == "done"
