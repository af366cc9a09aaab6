"""Small talk before intake: a friendly word back, in the person's language, and nothing filed;
an open question stays open; a real request that starts politely is still a request."""

from __future__ import annotations

import pytest

from bot.runtime.app import Runtime
from handlers.small_talk import kind_of
from storage.models import ItemStatus
from tests import state
from tests.handlers.test_commands import set_language
from tests.playground import Playground


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("thanks!", "thanks"),
        ("Thanks Petra!", "thanks"),
        ("Hi there", "greeting"),
        ("Hi, how are you?", "chat"),
        ("Thanks, see you next week", "farewell"),
        ("ok 👍", "ack"),
        ("👍", "ack"),
        ("Dank je wel!", "thanks"),
        ("Goedemorgen allemaal", "greeting"),
        ("Tot volgende week!", "farewell"),
    ],
)
def test_small_talk_is_recognised_in_both_languages(text: str, kind: str) -> None:
    assert kind_of(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Thanks! Could the export also include VAT?",
        "Hi, the login page is down for everyone",
        "Morning, any news on the export?",
        "ok so when will it ship",
        "Thanks Petra Jansen for fixing it",  # two unknown words: not just a name
        "Can we add a button?",
        "Goedemorgen, de printer doet het niet",
        "...",
    ],
)
def test_anything_more_than_small_talk_is_not(text: str) -> None:
    assert kind_of(text) is None


async def test_thanks_gets_a_friendly_answer_and_files_nothing(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", "thanks!")

    assert (await client.last("anna"))["text"] == "You're welcome!"
    assert await state.items(runtime) == []
    assert await client.inbox("po") == []


async def test_small_talk_is_answered_in_the_persons_language(
    client: Playground, runtime: Runtime
) -> None:
    await set_language(runtime, "anna", "nl")

    await client.say("anna", "Dank je wel!")

    assert (await client.last("anna"))["text"] == "Graag gedaan!"
    assert await state.items(runtime) == []


async def test_a_greeting_is_not_taken_as_the_answer_to_the_why_question(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", "Can the login button be orange instead of blue?")
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.NEEDS_INFO

    await client.say("anna", "Hi there")

    assert "Send me a request" in (await client.last("anna"))["text"]
    [item] = await state.items(runtime)
    assert item.status == ItemStatus.NEEDS_INFO, "the question is still open"
    assert item.request.clarification is None


async def test_a_coachs_goodbye_is_no_request(client: Playground, runtime: Runtime) -> None:
    await client.say("coach", "Thanks, see you next week")

    assert (await client.last("coach"))["text"] == "See you!"
    assert await state.items(runtime) == []


async def test_a_polite_request_is_still_filed(client: Playground, runtime: Runtime) -> None:
    await client.say("anna", "Thanks! Could the expense export also include VAT per line?")

    [item] = await state.items(runtime)
    assert "VAT" in item.request.text
