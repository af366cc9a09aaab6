"""Linear as the workspace's tracker, against a fake Linear GraphQL API at the HTTP level: an
approved request created in the team (before its open issues when approved at the top), a
rate limit waiting, and the webhook (Linear-Signature) bringing the state back once."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

from bot.cli import main
from bot.kernel.clock import FakeClock
from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.tracker_settings import put_tracker
from tests import state
from tests.adapters.trackers.github_fake import running_in_a_thread
from tests.adapters.trackers.linear_fake import API_KEY, TEAM, FakeLinear, issue_update
from tests.adapters.trackers.test_github_webhooks import handle_stored, texts
from tests.adapters.trackers.test_jira_tracker import FEATURE, approve
from tests.handlers.coaching_support import demo
from tests.playground import Playground

SECRET = "lin_wh_signing_secret_0001"


@pytest.fixture
async def linear(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLinear]:
    monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", API_KEY)
    fake = FakeLinear()
    server = TestServer(fake.app())
    await server.start_server()
    api = str(server.make_url("/graphql"))
    async with runtime.db.transaction() as uow:
        settings = TrackerSettings(kind="linear", url=api, team=TEAM, webhook_secret=SECRET)
        await put_tracker(uow, await demo(uow), settings, "connected", runtime.services.clock.now())
    try:
        yield fake
    finally:
        await server.close()


async def deliver(
    client: Playground, payload: dict[str, Any], delivery: str, secret: str = SECRET
) -> Any:
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "Linear-Delivery": delivery,
               "Linear-Event": "Issue", "Linear-Signature": signature}  # fmt: skip
    return await client.http.post("/trackers/linear/webhook", data=body, headers=headers)


async def test_an_approved_request_becomes_a_linear_issue_before_the_open_ones(
    client: Playground, runtime: Runtime, linear: FakeLinear
) -> None:
    item_id = await approve(client, runtime, FEATURE, "approve_top")

    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    [created] = linear.creates
    assert created["title"] == (await state.item(runtime, item_id)).title
    assert "Requested by Anna, via Heatshield" in created["description"]
    assert created["sortOrder"] == -121.5, "before the team's first open issue"
    item = await state.item(runtime, item_id)
    assert (item.tracker_key, item.tracker_url) == (
        "ENG-101",
        "https://linear.app/acme/issue/ENG-101",
    )
    assert (
        "as ENG-101: https://linear.app/acme/issue/ENG-101" in (await client.last("anna"))["text"]
    )


async def test_linears_rate_limit_waits_and_loses_nothing(
    client: Playground, runtime: Runtime, linear: FakeLinear, clock: FakeClock
) -> None:
    linear.next_errors = [(400, {"errors": [{"message": "Rate limit exceeded",
                                             "extensions": {"code": "RATELIMITED"}}]})]  # fmt: skip
    item_id = await approve(client, runtime, FEATURE, "approve_bottom")

    assert await runtime.trackers.work_due() == 0
    [job] = [j for j in await state.tracker_jobs(runtime) if j.action != "search"]
    assert (job.status, job.attempts) == ("pending", 1)
    clock.advance(timedelta(minutes=10))
    assert await runtime.trackers.work_due() == 1
    assert "sortOrder" not in linear.creates[0], "at the bottom: where Linear puts it"
    assert (await state.item(runtime, item_id)).tracker_key == "ENG-101"


async def test_a_completed_issue_is_told_once_and_a_bad_signature_is_refused(
    client: Playground, runtime: Runtime, linear: FakeLinear
) -> None:
    item_id = await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()

    forged = await deliver(client, issue_update("ENG-101", "completed", "Done"), "d-0", "guess")
    assert forged.status == 401
    [entry] = await state.audit(runtime)
    assert (entry.platform, entry.target) == ("linear", TEAM)

    started = issue_update("ENG-101", "started", "In Progress")
    done = issue_update("ENG-101", "completed", "Done")
    for payload, delivery in ((started, "d-1"), (done, "d-2"), (done, "d-2")):
        assert (await deliver(client, payload, delivery)).status == 200
    await handle_stored(runtime)

    anna = await texts(client, "anna")
    assert sum("Work has started" in text for text in anna) == 1
    assert sum("has shipped: ENG-101 is done" in text for text in anna) == 1
    assert (await state.item(runtime, item_id)).status == "done"


def test_tracker_set_checks_the_linear_team(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", API_KEY)
    cli = CliRunner()
    with running_in_a_thread(FakeLinear()) as base:
        api = f"{base}/graphql"
        wrong = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "linear",
                                  "--team", "NOPE", "--url", api])  # fmt: skip
        monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", "lin_api_wrong")
        refused = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "linear",
                                    "--team", TEAM, "--url", api])  # fmt: skip
        monkeypatch.setenv("HEATSHIELD_LINEAR_API_KEY", API_KEY)
        done = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "linear",
                                 "--team", TEAM, "--url", api])  # fmt: skip

    assert wrong.exit_code != 0 and "Linear has no team NOPE" in wrong.output
    assert refused.exit_code != 0 and "Linear did not accept the API key" in refused.output
    assert done.exit_code == 0, done.output
    assert "connected to Linear team ENG (Engineering) as Petra de Vries" in done.output
