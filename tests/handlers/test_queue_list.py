"""The triage queue as one compact, paged list: a line per request with its quick decisions,
its card on demand, paging in place, a new list replacing the open one, and decisions
updating the lines and the heading of the list."""

from __future__ import annotations

import json
from typing import Any

from bot.runtime.app import Runtime
from tests import state
from tests.playground import Playground, button

REQUESTS = [
    f"Could the {thing} report also show {what}? Finance needs it for the monthly closing."
    for thing in ("sales", "expense", "payroll", "stock", "invoice", "refund")
    for what in ("totals per region", "VAT per line", "the cost centre", "last year's figures")
]


async def fill_queue(client: Playground, count: int) -> None:
    """Requests from different people: an open question takes no one's next request."""
    for n in range(count):
        await client.say("anna" if n == 0 else f"person{n}", REQUESTS[n])


async def message(client: Playground, user: str, message_id: int) -> dict[str, Any]:
    return next(m for m in await client.inbox(user) if m["id"] == message_id)


def entries(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s for s in listing["sections"] if s["key"].startswith("queue:") and s["key"][6:].isdigit()
    ]


async def test_the_queue_is_a_compact_list_with_quick_decisions_and_cards_on_demand(
    client: Playground, runtime: Runtime
) -> None:
    await fill_queue(client, 2)
    first, second = await state.items(runtime)

    await client.say("po", "queue")

    listing = await client.last("po")
    assert listing["text"] == "Triage queue: 2 requests waiting for a decision."
    lines = entries(listing)
    assert [s["title"] for s in lines] == [
        f"#{first.id} {first.title}",
        f"#{second.id} {second.title}",
    ]
    assert all(s["fields"] == [] for s in lines), "no facts table, no reasons: one line each"
    assert lines[0]["text"].startswith("Feature · Not urgent · Anna")
    assert [b["action_id"] for b in lines[0]["menu"]["buttons"]] == [
        "approve_top", "approve_bottom", "defer_review",
    ]  # fmt: skip
    assert [b["action_id"] for b in lines[0]["buttons"]] == ["queue_open"]

    await client.click("po", "queue_open", str(first.id))

    card = await client.last("po")
    assert card["text"] == f"#{first.id} from Anna:"
    assert "person1" in entries(listing)[1]["text"]
    assert {b["action_id"] for b in card["buttons"]} >= {"decline", "ask", "defer_until"}
    assert "Why" in json.dumps(card["sections"])


async def test_a_decision_in_the_list_updates_its_line_and_heading(
    client: Playground, runtime: Runtime
) -> None:
    await fill_queue(client, 2)
    first, second = await state.items(runtime)
    await client.say("po", "queue")
    listing = await client.last("po")

    await client.click("po", "approve_top", button(listing, "approve_top")["value"])

    listing = await message(client, "po", listing["id"])
    assert listing["text"] == "Triage queue: 1 request waiting for a decision."
    decided, waiting = entries(listing)
    assert decided["outcome"].startswith("Approved by Petra (PO), at the top of the backlog.")
    assert decided["buttons"] == [] and decided["menu"] is None
    assert waiting["outcome"] is None and waiting["buttons"]

    await client.click("po", "defer_review", str(second.id))

    listing = await message(client, "po", listing["id"])
    assert listing["text"] == "Triage queue: every request is decided."
    await client.click("po", "queue_open", str(first.id))
    assert "already been decided" in (await client.last("po"))["text"]


async def test_pages_turn_in_place_and_a_new_list_replaces_the_open_one(
    client: Playground, runtime: Runtime
) -> None:
    await fill_queue(client, 23)
    items = await state.items(runtime)
    await client.say("po", "queue")
    listing = await client.last("po")
    assert [s["title"].split()[0] for s in entries(listing)] == [f"#{i.id}" for i in items[:10]]
    assert "Page 1 of 3" in json.dumps(listing["sections"])

    await client.click("po", "queue_page", button(listing, "queue_page")["value"])

    paged = await message(client, "po", listing["id"])
    assert [s["title"].split()[0] for s in entries(paged)] == [f"#{i.id}" for i in items[10:20]]
    assert "Page 2 of 3" in json.dumps(paged["sections"])
    assert [b["label"] for b in paged["buttons"] if b["action_id"] == "queue_page"] == [
        "‹ Previous", "Next ›",
    ]  # fmt: skip
    assert sum(bool(m["sections"]) for m in await client.inbox("po")) == 1, "no new message"

    # A decision on page 1 no longer touches the list, which shows page 2 now.
    await client.click("po", "approve_bottom", str(items[0].id))
    assert entries(await message(client, "po", listing["id"])) == entries(paged)

    await client.say("po", "wachtrij")

    old = await message(client, "po", listing["id"])
    assert old["text"] == "This list was replaced by a newer one below." and old["sections"] == []
    lists = [m for m in await client.inbox("po") if m["sections"]]
    assert len(lists) == 1 and lists[0]["text"].startswith("Triage queue: 22 requests")


async def test_a_page_beyond_the_last_shows_the_last_and_a_stakeholder_cannot_page(
    client: Playground,
) -> None:
    await fill_queue(client, 12)
    await client.say("po", "queue")
    listing = await client.last("po")

    await client.click("po", "queue_page", "99")
    assert "Page 2 of 2" in json.dumps((await message(client, "po", listing["id"]))["sections"])
    await client.click("po", "queue_page", "not a page")
    assert "Page 1 of 2" in json.dumps((await message(client, "po", listing["id"]))["sections"])

    await client.click("anna", "queue_page", "2")
    assert "only the PO and their delegates" in (await client.last("anna"))["text"]
