"""The PO sets the workspace's tracker in chat ("tracker github acme/shop"): the tracker worker
checks the connection with the environment's token first and stores the setting only once it
connects; a refusal, or an address outside HEATSHIELD_TRACKER_HOSTS (the token would be sent
there), changes nothing; the PO hears either way. A stakeholder's words about a tracker are
an ordinary request."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from tests import state
from tests.adapters.trackers.github_fake import REPO, FakeGitHub
from tests.adapters.trackers.test_github_tracker import FEATURE, github  # noqa: F401 - fixture
from tests.handlers.coaching_support import demo
from tests.playground import Playground


async def tracker_of_demo(runtime: Runtime) -> object:
    async with runtime.db.read() as uow:
        return await uow.trackers.of_workspace(workspace_id=(await demo(uow)).id)


@pytest.fixture
def local_trackers(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake trackers listen on this machine: allowed, as a self-hosted one would be."""
    monkeypatch.setattr(runtime.trackers, "_allowed_hosts", ("127.0.0.1",))


async def test_the_po_connects_github_in_chat_once_the_token_works(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
    local_trackers: None,
) -> None:
    fake, url = github
    await client.say("po", f"tracker github {REPO} {url}")

    assert "Checking the connection to GitHub acme/shop" in (await client.last("po"))["text"]
    assert await tracker_of_demo(runtime) is None, "not stored before it connects"
    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    told = (await client.last("po"))["text"]
    assert f"Tracker set: connected to GitHub repository {REPO} as octocat." in told
    assert "--webhook-secret" in told, "the webhook's secret is set where secrets belong"
    row = await tracker_of_demo(runtime)
    assert row is not None and (row.kind, row.repo, row.url) == ("github", REPO, url)

    await client.say("po", "tracker")
    shown = (await client.last("po"))["text"]
    assert f"created in GitHub {REPO} ({url})" in shown and "secret is not set" in shown

    await client.say("anna", FEATURE)
    item = (await state.items(runtime))[-1]
    await client.click("po", "approve_top", str(item.id))
    assert await runtime.trackers.work_due() == 1
    assert len(fake.issues) == 1, "approved requests now go to the tracker set in chat"


async def test_a_token_the_tracker_refuses_changes_nothing(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
    local_trackers: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = github
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", "ghp_revoked")
    await client.say("po", f"tracker github {REPO} {url}")
    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    told = (await client.last("po"))["text"]
    assert told.startswith("The tracker is not set: ") and "Nothing was changed." in told
    assert await tracker_of_demo(runtime) is None


async def test_an_address_outside_the_allowed_hosts_is_never_called(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    fake, url = github  # on 127.0.0.1, which the default hosts do not allow
    await client.say("po", f"tracker github {REPO} {url}")
    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    told = (await client.last("po"))["text"]
    assert "127.0.0.1 is not a tracker address that may be set in chat" in told
    assert "HEATSHIELD_TRACKER_HOSTS" in told
    assert fake.calls == [], "the token was not sent there"
    assert await tracker_of_demo(runtime) is None


@pytest.mark.parametrize(
    "words",
    ["tracker jira APP", "tracker jira https://acme.atlassian.net", "tracker github shop"],
)
async def test_a_shape_not_understood_shows_the_po_how_to_say_it(
    client: Playground, runtime: Runtime, words: str
) -> None:
    await client.say("po", words)

    assert "Say it as: tracker github owner/repository" in (await client.last("po"))["text"]
    assert await state.tracker_jobs(runtime) == []


async def test_a_stakeholders_words_about_a_tracker_are_a_request(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", "tracker jira is slow again since this morning, it times out")
    await client.say("anna", f"tracker github {REPO}")

    [item] = await state.items(runtime)
    assert "slow" in item.title.lower(), "filed as the request it is"
    assert "only for" in (await client.last("anna"))["text"]
    assert await state.tracker_jobs(runtime) == []
