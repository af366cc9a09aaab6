"""Each tracker's search, as the port offers it: the open items whose words match, never a
done or dropped one; the words are the request's most telling ones."""

from __future__ import annotations

import os

import pytest

from adapters.trackers.registry import build_tracker
from bot.kernel.trackers import search_terms
from bot.runtime.app import Runtime
from tests.adapters.trackers.kinds import KINDS, Connected, tracker
from tests.handlers.coaching_support import demo

TITLE = "CSV export of the expense overview"


def put_items(connected: Connected) -> tuple[str, str]:
    """An open item and a finished one with the same title; their keys."""
    fake = connected.fake
    if connected.kind == "github":
        fake.add_issue(TITLE)
        fake.add_issue(TITLE, state="closed")
        return "acme/shop#1", "acme/shop#2"
    if connected.kind == "jira":
        fake.issues["APP-7"] = {"summary": TITLE, "description": {}}
        fake.issues["APP-8"] = {"summary": TITLE, "description": {}}
        fake.statuses["APP-8"] = ("done", "Done", "Done")
        return "APP-7", "APP-8"
    if connected.kind == "azure-devops":
        fake.items[20] = {"System.Title": TITLE, "System.State": "Active"}
        fake.items[21] = {"System.Title": TITLE, "System.State": "Closed"}
        return "Shop#20", "Shop#21"
    fake.issues.append(
        {
            "identifier": "ENG-20",
            "title": TITLE,
            "description": "",
            "url": "https://linear.app/acme/issue/ENG-20",
            "sortOrder": 1.0,
        }
    )
    fake.issues.append({"identifier": "ENG-21", "title": TITLE, "description": "",
                        "url": "https://linear.app/acme/issue/ENG-21", "sortOrder": 2.0,
                        "state_type": "completed"})  # fmt: skip
    return "ENG-20", "ENG-21"


@pytest.mark.parametrize("kind", KINDS)
async def test_the_search_finds_the_open_item_not_the_finished_one(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    async with runtime.db.read() as uow:
        workspace_id = (await demo(uow)).id
    async with tracker(kind, runtime, workspace_id, monkeypatch) as connected:
        open_key, finished_key = put_items(connected)
        assert connected.settings is not None
        client = build_tracker(connected.settings, os.environ)
        try:
            found = await client.search(search_terms("Could we get a CSV export of the expense "
                                                     "overview for finance?"))  # fmt: skip
        finally:
            await client.close()

    assert [match.key for match in found] == [open_key], f"open only, not {finished_key}"
    assert found[0].title == TITLE and found[0].url


def test_the_search_words_are_the_most_telling_ones() -> None:
    assert search_terms("Could we get a CSV export of the expense overview?") == (
        "export expense overview"
    )
    assert search_terms("Kunnen we in het klantportaal ook op postcode zoeken?") == (
        "klantportaal postcode zoeken"
    )
    assert search_terms("?? !!") == ""
