"""Jira Cloud as the workspace's tracker, against a fake Jira at the HTTP level: checked from
the CLI, an approved request created in the project and ranked first, a required field Jira
refuses told to the PO, and the webhook (its secret in the URL) bringing done back once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

from bot.cli import main
from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.tracker_settings import put_tracker
from storage.models import InboundRecord
from tests import state
from tests.adapters.trackers.github_fake import running_in_a_thread
from tests.adapters.trackers.jira_fake import EMAIL, PROJECT, TOKEN, FakeJira, issue_updated
from tests.adapters.trackers.test_github_webhooks import handle_stored, texts
from tests.handlers.coaching_support import demo
from tests.playground import Playground

SECRET = "jira-hook-7f3a"
INCIDENT = "The customer portal shows a 500 error on login since 10:00, nobody can get in!"
FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


@pytest.fixture
async def jira(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakeJira, str]]:
    monkeypatch.setenv("HEATSHIELD_JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("HEATSHIELD_JIRA_TOKEN", TOKEN)
    fake = FakeJira()
    server = TestServer(fake.app())
    await server.start_server()
    site = str(server.make_url("")).rstrip("/")
    async with runtime.db.transaction() as uow:
        settings = TrackerSettings(kind="jira", url=site, project=PROJECT, webhook_secret=SECRET)
        await put_tracker(uow, await demo(uow), settings, "connected", runtime.services.clock.now())
    try:
        yield fake, site
    finally:
        await server.close()


async def approve(client: Playground, runtime: Runtime, text: str, action: str) -> int:
    await client.say("anna", text)
    item = (await state.items(runtime))[-1]
    await client.click("po", action, str(item.id))
    return item.id


async def test_an_approved_request_is_created_in_the_project_and_ranked_first(
    client: Playground, runtime: Runtime, jira: tuple[FakeJira, str]
) -> None:
    fake, site = jira
    item_id = await approve(client, runtime, FEATURE, "approve_top")

    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    [fields] = [body["fields"] for body in fake.creates()]
    assert fields["project"] == {"key": PROJECT}
    assert fields["issuetype"] == {"name": "Story"}, "a feature request is a story"
    assert fields["labels"] == ["heatshield", "heatshield-feature"]
    described = json.dumps(fields["description"])
    assert fields["description"]["type"] == "doc" and "retypes everything by hand" in described
    assert "Requested by Anna, via Heatshield" in described
    assert fake.rank == ["APP-1", "APP-100"], "at the top of the backlog: ranked first"
    item = await state.item(runtime, item_id)
    assert (item.tracker_key, item.tracker_url) == ("APP-1", f"{site}/browse/APP-1")
    assert f"as APP-1: {site}/browse/APP-1" in (await client.last("anna"))["text"]


async def test_an_incident_is_a_bug_and_at_the_bottom_it_stays_where_jira_puts_it(
    client: Playground, runtime: Runtime, jira: tuple[FakeJira, str]
) -> None:
    fake, _ = jira
    await approve(client, runtime, INCIDENT, "approve_bottom")

    await runtime.trackers.work_due()

    [fields] = [body["fields"] for body in fake.creates()]
    assert fields["issuetype"] == {"name": "Bug"}
    assert fake.rank == ["APP-100", "APP-1"]
    assert not [call for call in fake.calls if call[0] == "PUT"], "no rank call"


async def test_a_field_jira_requires_is_told_to_the_po(
    client: Playground, runtime: Runtime, jira: tuple[FakeJira, str]
) -> None:
    fake, _ = jira
    fake.next_creates = [
        (400, {"errorMessages": [], "errors": {"customfield_10020": "Sprint is required."}})
    ]
    item_id = await approve(client, runtime, FEATURE, "approve_top")

    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    told = (await client.last("po"))["text"]
    assert f"I could not create #{item_id}" in told and "in Jira" in told
    assert "Jira refused it: customfield_10020: Sprint is required." in told
    assert (await state.item(runtime, item_id)).status == "approved"


async def deliver(client: Playground, payload: object, *, secret: str, identifier: str) -> object:
    return await client.http.post(
        f"/trackers/jira/webhook?secret={secret}",
        json=payload,
        headers={
            "X-Atlassian-Webhook-Identifier": identifier,
            "User-Agent": "Atlassian Webhook HTTP Client",
        },
    )


async def test_done_in_jira_reaches_the_stakeholder_once_and_a_wrong_secret_is_refused(
    client: Playground, runtime: Runtime, jira: tuple[FakeJira, str]
) -> None:
    item_id = await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()
    before = await state.count(runtime, InboundRecord)

    forged = await deliver(
        client, issue_updated("APP-1", "done", "Done", "Done"), secret="guess", identifier="w-0"
    )
    assert forged.status == 401  # type: ignore[attr-defined]
    assert await state.count(runtime, InboundRecord) == before
    [entry] = await state.audit(runtime)
    assert (entry.platform, entry.action, entry.target) == ("jira", "jira_webhook", PROJECT)

    done = issue_updated("APP-1", "done", "Done", "Done")
    for _ in range(2):  # Jira retries with the same identifier
        response = await deliver(client, done, secret=SECRET, identifier="w-1")
        assert response.status == 200  # type: ignore[attr-defined]
    await handle_stored(runtime)

    shipped = "has shipped: APP-1 is done"
    assert sum(shipped in text for text in await texts(client, "anna")) == 1
    item = await state.item(runtime, item_id)
    assert (item.status, item.tracker_state) == ("done", "done")


async def test_wont_do_and_in_progress_are_read_from_the_status_category(
    client: Playground, runtime: Runtime, jira: tuple[FakeJira, str]
) -> None:
    item_id = await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()

    await deliver(
        client,
        issue_updated("APP-1", "indeterminate", "In Progress", None),
        secret=SECRET,
        identifier="w-2",
    )
    await deliver(
        client,
        issue_updated("APP-1", "done", "Closed", "Won't Do"),
        secret=SECRET,
        identifier="w-3",
    )
    await handle_stored(runtime)

    anna = await texts(client, "anna")
    assert any("Work has started on your request" in text for text in anna)
    assert any("decided not to do your request" in text for text in anna)
    assert (await state.item(runtime, item_id)).tracker_state == "wont_do"


def test_tracker_set_checks_the_jira_project(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    monkeypatch.setenv("HEATSHIELD_JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("HEATSHIELD_JIRA_TOKEN", TOKEN)
    cli = CliRunner()
    fake = FakeJira()
    with running_in_a_thread(fake) as site:
        wrong = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "jira",
                                  "--url", site, "--project", "NOPE"])  # fmt: skip
        done = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "jira",
                                 "--url", site, "--project", PROJECT])  # fmt: skip

    assert wrong.exit_code != 0 and "Jira has no project NOPE" in wrong.output
    assert done.exit_code == 0, done.output
    assert "connected to Jira project APP (Acme App) as Petra de Vries" in done.output
