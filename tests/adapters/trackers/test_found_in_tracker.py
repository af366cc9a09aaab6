"""A new request is looked up among the tracker's open items: those close enough to be the
same (scored as the triage scores a duplicate) are shown on the PO's card, each with "Merge
into KEY"; one click merges the request into the tracker's item. A search that fails changes
nothing for the request."""

from __future__ import annotations

from typing import Any

from bot.runtime.app import Runtime
from tests import state
from tests.adapters.trackers.github_fake import REPO, FakeGitHub
from tests.adapters.trackers.test_github_tracker import connect, github  # noqa: F401 - fixture
from tests.playground import Playground

INCIDENT = "The customer portal shows a 500 error on login since 10:00, nobody can get in!"


async def po_card(client: Playground, item_id: int) -> dict[str, Any]:
    cards = [m for m in await client.inbox("po") if f"#{item_id} " in str(m.get("sections"))]
    assert cards, "the PO has the request's card"
    return cards[-1]


def merge_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's "Merge into KEY" buttons (the playground lists every section's buttons)."""
    return [b for b in card["buttons"] if b["action_id"] == "merge_tracker"]


async def test_an_open_issue_like_the_request_is_offered_and_merged_into_with_a_click(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
) -> None:
    fake, url = github
    fake.add_issue("Dark mode for the settings page")
    fake.add_issue("Customer portal login fails with a 500 error")
    await connect(runtime, url)

    await client.say("anna", INCIDENT)
    [item] = await state.items(runtime)
    assert merge_buttons(await po_card(client, item.id)) == [], "nothing found yet"

    assert await runtime.trackers.work_due() == 0, "a search writes nothing to the tracker"
    await runtime.worker.deliver_due()

    card = await po_card(client, item.id)
    [merge] = merge_buttons(card)
    assert merge["value"] == f"{item.id}:{REPO}#2", "the login issue, not the dark mode one"
    assert f"{REPO}#2 Customer portal login fails" in str(card["sections"])
    stored = await state.item(runtime, item.id)
    assert [m["key"] for m in stored.tracker_matches or []] == [f"{REPO}#2"]

    await client.click("po", "merge_tracker", merge["value"])
    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    merged = await state.item(runtime, item.id)
    assert (merged.status, merged.tracker_key) == ("merged", f"{REPO}#2")
    told = [m["text"] for m in await client.inbox("anna")]
    assert any(f"is the same as {REPO}#2 on the team's board" in text for text in told)
    assert len(fake.posts()) == 0, "nothing created in the tracker"


async def test_a_search_the_tracker_refuses_leaves_the_request_as_it_was(
    client: Playground,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
    monkeypatch: Any,
) -> None:
    fake, url = github
    fake.add_issue("Customer portal login fails with a 500 error")
    await connect(runtime, url)
    monkeypatch.setenv("HEATSHIELD_GITHUB_TOKEN", "ghp_revoked")

    await client.say("anna", INCIDENT)
    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    [item] = await state.items(runtime)
    assert item.tracker_matches is None and item.status == "queued"
    [job] = await state.tracker_jobs(runtime)
    assert (job.action, job.status) == ("search", "failed")
    told = [m["text"] for m in await client.inbox("po")]
    assert not any("could not create" in text for text in told), "no word to the PO about it"
