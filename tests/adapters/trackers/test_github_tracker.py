"""GitHub Issues as the workspace's tracker, against a fake GitHub at the HTTP level: set and
checked from the CLI, an approved request created as an issue through the tracker's outbox,
an outage or a 429 delaying it and losing nothing, a lost answer not making it twice, and a
refusal told to the PO in plain words with the request kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import ClientTimeout
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

import adapters.trackers.http
from bot.cli import main
from bot.kernel.clock import FakeClock
from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.export import export_rows
from handlers.tracker_settings import put_tracker
from handlers.trackers import new_tracker_item
from storage.models import TrackerJob
from tests import state
from tests.adapters.trackers.github_fake import REPO, TOKEN, Answer, FakeGitHub, running_in_a_thread
from tests.handlers.coaching_support import demo
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


@pytest.fixture
async def github(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeGitHub, str]]:
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def connect(runtime: Runtime, url: str) -> None:
    async with runtime.db.transaction() as uow:
        settings = TrackerSettings(kind="github", url=url, repo=REPO)
        await put_tracker(uow, await demo(uow), settings, "connected", runtime.services.clock.now())


async def approved(client: Playground, runtime: Runtime) -> int:
    await client.say("anna", FEATURE)
    [item] = await state.items(runtime)
    await client.click("po", "queue_open", str(item.id))
    await client.click("po", "approve_top", str(item.id))
    return item.id


async def jobs(runtime: Runtime) -> list[TrackerJob]:
    """The jobs that write to the tracker (each new request's search aside)."""
    return [job for job in await state.tracker_jobs(runtime) if job.action != "search"]


async def test_an_approved_request_becomes_an_issue_and_the_stakeholder_hears_its_key(
    client: Playground, runtime: Runtime, github: tuple[FakeGitHub, str]
) -> None:
    fake, url = github
    await connect(runtime, url)
    item_id = await approved(client, runtime)

    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    [posted] = fake.posts()
    assert posted["title"] == (await state.item(runtime, item_id)).title
    assert posted["labels"] == ["feature", "backlog: top"]
    assert FEATURE in posted["body"] and "Requested by Anna, via Heatshield" in posted["body"]
    item = await state.item(runtime, item_id)
    assert (item.tracker_key, item.tracker_url) == (
        f"{REPO}#1", f"https://github.com/{REPO}/issues/1",
    )  # fmt: skip
    told = (await client.last("anna"))["text"]
    assert f"on the team's board now, as {REPO}#1: https://github.com/{REPO}/issues/1" in told
    card = next(m for m in await client.inbox("po") if m["text"].startswith(f"#{item_id} from"))
    assert f"{REPO}#1 https://github.com/{REPO}/issues/1" in json.dumps(card["sections"])
    assert [job.status for job in await jobs(runtime)] == ["done"]
    assert await runtime.trackers.work_due() == 0, "done once"


async def test_an_outage_and_a_429_delay_the_issue_and_lose_nothing(
    client: Playground, runtime: Runtime, github: tuple[FakeGitHub, str], clock: FakeClock
) -> None:
    fake, url = github
    await connect(runtime, url)
    fake.next_creates = [
        Answer(503, {"message": "Service Unavailable"}),
        Answer(429, {"message": "secondary rate limit"}, {"Retry-After": "60"}),
    ]
    item_id = await approved(client, runtime)

    assert await runtime.trackers.work_due() == 0
    [job] = await jobs(runtime)
    assert (job.status, job.attempts) == ("pending", 1)
    clock.advance(timedelta(minutes=10))
    assert await runtime.trackers.work_due() == 0
    [job] = await jobs(runtime)
    assert job.attempts == 2 and job.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert (await state.item(runtime, item_id)).tracker_key is None
    clock.advance(timedelta(seconds=59))
    assert await runtime.trackers.work_due() == 0, "not before GitHub's Retry-After"

    clock.advance(timedelta(seconds=2))
    assert await runtime.trackers.work_due() == 1
    assert len(fake.posts()) == 3 and len(fake.issues) == 1
    assert (await state.item(runtime, item_id)).tracker_key == f"{REPO}#1"


async def test_an_answer_lost_to_a_time_out_does_not_make_the_issue_twice(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = github
    await connect(runtime, url)
    monkeypatch.setattr(adapters.trackers.http, "TIMEOUT", ClientTimeout(total=0.2))
    fake.next_creates = [Answer(201, {}, hang_after_create=True)]
    item_id = await approved(client, runtime)

    assert await runtime.trackers.work_due() == 0
    [job] = await jobs(runtime)
    assert job.maybe_sent and len(fake.issues) == 1, "created, but the answer never came"
    clock.advance(timedelta(minutes=10))

    assert fake.indexed == 0, "GitHub's search index has not caught up with it yet"
    assert await runtime.trackers.work_due() == 1
    assert len(fake.issues) == 1 and len(fake.posts()) == 1, "found, not made again"
    assert (await state.item(runtime, item_id)).tracker_key == f"{REPO}#1"


async def test_a_refusal_is_told_to_the_po_and_setting_the_tracker_again_retries_it(
    client: Playground, runtime: Runtime, github: tuple[FakeGitHub, str]
) -> None:
    fake, url = github
    await connect(runtime, url)
    fake.next_creates = [
        Answer(422, {"message": "Validation Failed", "errors": [
            {"resource": "Issue", "code": "missing_field", "field": "milestone"}
        ]})
    ]  # fmt: skip
    item_id = await approved(client, runtime)

    assert await runtime.trackers.work_due() == 0
    await runtime.worker.deliver_due()

    told = (await client.last("po"))["text"]
    assert f"I could not create #{item_id}" in told and "in GitHub" in told
    assert "GitHub refused it: Validation Failed; milestone is missing_field" in told
    assert (await state.item(runtime, item_id)).status == "approved", "the request is kept"
    [job] = await jobs(runtime)
    assert job.status == "failed"

    await connect(runtime, url)
    assert await runtime.trackers.work_due() == 1
    assert (await state.item(runtime, item_id)).tracker_key == f"{REPO}#1"


async def test_without_a_tracker_an_approval_writes_no_job(
    client: Playground, runtime: Runtime
) -> None:
    await approved(client, runtime)

    assert await jobs(runtime) == []


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    return CliRunner()


def test_tracker_set_checks_the_connection_and_show_keeps_the_secret(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeGitHub()
    with running_in_a_thread(fake) as url:
        monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", "ghp_wrong")
        wrong = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "github",
                                  "--repo", REPO, "--url", url])  # fmt: skip
        monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", TOKEN)
        missing = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "github",
                                    "--repo", "acme/nothing", "--url", url])  # fmt: skip
        done = cli.invoke(main, ["tracker", "set", "--workspace", "demo", "--kind", "github",
                                 "--repo", REPO, "--url", url,
                                 "--webhook-secret", "s3cr3t-hook"])  # fmt: skip

    assert wrong.exit_code != 0 and "Not connected: GitHub did not accept the token" in wrong.output
    assert missing.exit_code != 0 and "no repository acme/nothing" in missing.output
    assert done.exit_code == 0, done.output
    assert done.output.strip() == (
        f"Tracker set: connected to GitHub repository {REPO} as octocat."
    )
    shown = cli.invoke(main, ["tracker", "show", "--workspace", "demo"])
    assert shown.exit_code == 0
    assert "kind: github" in shown.output and f"where: {REPO}" in shown.output
    assert "webhook secret: set" in shown.output and "s3cr3t" not in shown.output


@pytest.mark.parametrize(
    ("args", "env", "problem"),
    [
        (["--kind", "github", "--repo", REPO], {}, "HEATSHIELD_GITHUB_TOKEN: is not set"),
        (["--kind", "github"], {"HEATSHIELD_GITHUB_TOKEN": TOKEN}, "--kind github needs --repo"),
        (["--kind", "linear", "--team", "ENG"], {}, "HEATSHIELD_LINEAR_API_KEY: is not set"),
        (["--kind", "jira", "--url", "https://acme.atlassian.net", "--project", "APP"], {},
         "HEATSHIELD_JIRA_EMAIL: is not set"),
        (["--kind", "trello"], {}, "Invalid value for '--kind'"),
    ],
)  # fmt: skip
def test_tracker_set_explains_what_is_missing(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    problem: str,
) -> None:
    monkeypatch.delenv("HEATSHIELD_GITHUB_TOKEN", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = cli.invoke(main, ["tracker", "set", "--workspace", "demo", *args])

    assert result.exit_code != 0
    assert problem in result.output
    shown = cli.invoke(main, ["tracker", "show", "--workspace", "demo"])
    assert "has no tracker" in shown.output, "nothing was stored"


async def test_the_export_carries_the_issues_key_and_link(
    client: Playground, runtime: Runtime, github: tuple[FakeGitHub, str]
) -> None:
    _, url = github
    await connect(runtime, url)
    await approved(client, runtime)
    await runtime.trackers.work_due()

    async with runtime.db.read() as uow:
        [row] = await export_rows(uow, workspace="demo")

    assert (row["tracker_key"], row["tracker_url"]) == (
        f"{REPO}#1", f"https://github.com/{REPO}/issues/1",
    )  # fmt: skip


async def test_a_replica_killed_after_creating_the_issue_does_not_make_it_twice(
    client: Playground, runtime: Runtime, github: tuple[FakeGitHub, str], clock: FakeClock
) -> None:
    fake, url = github
    await connect(runtime, url)
    item_id = await approved(client, runtime)
    # A replica claims the job, creates the issue in GitHub, and is killed before it marks it.
    async with runtime.db.transaction() as uow:
        ids = await uow.trackers.claim_due(now=clock.now(), lease=timedelta(minutes=2), limit=5)
        actions = {i: (await uow.trackers.job(job_id=i)).action for i in ids}  # type: ignore[union-attr]
        [claimed] = [i for i in ids if actions[i] == "create"]
        workspace = await demo(uow)
        item = await uow.backlog.by_id(item_id=item_id)
        assert item is not None
        link = new_tracker_item(workspace, item, top=True).link
    fake.issues.append({"number": 1, "title": "another request's, whose link starts the same",
                        "body": f"({link}0)", "state": "open",
                        "html_url": f"https://github.com/{REPO}/issues/1"})  # fmt: skip
    fake.issues.append({"number": 2, "title": "made by the dead replica",
                        "body": f"text\n\n---\nvia Heatshield ({link}).", "state": "open",
                        "html_url": f"https://github.com/{REPO}/issues/2"})  # fmt: skip

    assert await runtime.trackers.work_due() == 0, "its claim still holds"
    clock.advance(timedelta(minutes=3))
    assert await runtime.trackers.work_due() == 1

    assert fake.posts() == [], "looked for and found, not made again"
    assert (await state.item(runtime, item_id)).tracker_key == f"{REPO}#2", "its own, not #1"
    [job] = await jobs(runtime)
    assert (job.id, job.status, job.maybe_sent) == (claimed, "done", True)


async def test_two_replicas_at_once_create_the_issue_once(
    client: Playground,
    runtime: Runtime,
    replica: Runtime,
    github: tuple[FakeGitHub, str],
) -> None:
    fake, url = github
    await connect(runtime, url)
    await approved(client, runtime)

    done = await asyncio.gather(runtime.trackers.work_due(), replica.trackers.work_due())

    assert sorted(done) == [0, 1]
    assert len(fake.posts()) == 1 and len(fake.issues) == 1


async def test_an_answer_of_an_unforeseen_shape_is_tried_again_not_left_claimed(
    client: Playground, runtime: Runtime, github: tuple[FakeGitHub, str], clock: FakeClock
) -> None:
    fake, url = github
    await connect(runtime, url)
    fake.next_creates = [Answer(201, {"unexpected": "no number"})]
    item_id = await approved(client, runtime)

    assert await runtime.trackers.work_due() == 0
    [job] = await jobs(runtime)
    assert (job.status, job.attempts, job.claimed_until) == ("pending", 1, None)
    assert job.maybe_sent, "it may have been made: looked for first"
    clock.advance(timedelta(minutes=10))
    assert await runtime.trackers.work_due() == 1
    assert (await state.item(runtime, item_id)).tracker_key == f"{REPO}#1"


@pytest.mark.parametrize(
    ("answer", "wait"),
    [
        (Answer(429, {"message": "slow down"}, {"Retry-After": "inf"}), 3600.0),
        (Answer(403, {"message": "You have exceeded a secondary rate limit"},
                {"retry-after": "90"}), 90.0),
    ],
)  # fmt: skip
async def test_a_rate_limit_waits_as_long_as_github_says_within_an_hour(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],
    clock: FakeClock,
    answer: Answer,
    wait: float,
) -> None:
    fake, url = github
    await connect(runtime, url)
    fake.next_creates = [answer]
    await approved(client, runtime)

    assert await runtime.trackers.work_due() == 0

    [job] = await jobs(runtime)
    assert job.status == "pending", "a rate limit is no refusal"
    assert job.next_attempt_at == clock.now() + timedelta(seconds=wait)


async def test_setting_the_tracker_again_without_a_secret_keeps_the_secret(
    runtime: Runtime, github: tuple[FakeGitHub, str]
) -> None:
    _, url = github
    async with runtime.db.transaction() as uow:
        workspace = await demo(uow)
        first = TrackerSettings(kind="github", url=url, repo=REPO, webhook_secret="kept")
        await put_tracker(uow, workspace, first, "connected", runtime.services.clock.now())
        again = TrackerSettings(kind="github", url=url, repo=REPO)
        await put_tracker(uow, workspace, again, "connected", runtime.services.clock.now())
    async with runtime.db.read() as uow:
        row = await uow.trackers.of_workspace(workspace_id=(await demo(uow)).id)
    assert row is not None and row.webhook_secret == "kept"
