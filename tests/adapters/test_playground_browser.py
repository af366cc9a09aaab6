"""The playground page in a real headless Chromium, against the real app over real HTTP."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page, expect

from bot.runtime.app import Runtime, create_app
from tests.adapters.trackers.github_fake import REPO, FakeGitHub
from tests.adapters.trackers.test_github_tracker import connect, github  # noqa: F401 - fixture
from tests.browser import chromium
from tests.handlers.coaching_support import contract
from tests.handlers.test_routing import set_person

pytestmark = [
    pytest.mark.browser,
    # The page does not care which database is behind the API; the API loop tests run on both.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

INCIDENT = "The customer portal shows a 500 error on login since 10:00, nobody can get in!"
FEATURE = (
    "Could we add a CSV export to the monthly sales report? Finance retypes the figures into "
    "Excel by hand every month."
)
REASON = "Finance already gets this from the BI dashboard."
# Set to a file path to keep a screenshot of the PO's view outside pytest's tmp_path.
SCREENSHOT = os.environ.get("HEATSHIELD_PLAYGROUND_SCREENSHOT")

expect.set_options(timeout=10_000)


@pytest.fixture
async def base_url(runtime: Runtime) -> AsyncIterator[str]:
    """The real app on a free local port, without the background worker."""
    runner = web.AppRunner(create_app(runtime, background=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def page(base_url: str) -> AsyncIterator[Page]:
    """The playground page, opened; fails the test on any uncaught script error."""
    problems: list[str] = []
    async with chromium() as browser:
        context = await browser.new_context(
            viewport={"width": 1280, "height": 860}, locale="en-GB", timezone_id="Europe/Amsterdam"
        )
        page = await context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        await page.goto(f"{base_url}/playground")
        yield page
        await context.close()
    assert problems == []


async def chat_as(page: Page, user: str) -> None:
    await page.get_by_test_id("person-select").select_option(user)


async def send(page: Page, text: str) -> None:
    composer = page.get_by_test_id("composer")
    await composer.fill(text)
    await page.get_by_test_id("send").click()
    await expect(composer).to_have_value("")


async def test_incident_is_approved_in_the_page_and_the_stakeholder_hears_it(
    page: Page, tmp_path: Path
) -> None:
    await expect(page).to_have_title("Heatshield playground")
    person = page.get_by_test_id("person-select")
    await expect(person.locator("option[value=po]")).to_have_text("Petra (PO) · po")
    await expect(page.get_by_test_id("message-list")).to_have_attribute("aria-live", "polite")
    messages = page.get_by_test_id("message")

    await chat_as(page, "anna")
    composer = page.get_by_test_id("composer")
    await composer.fill(INCIDENT)
    await composer.press("Enter")
    await expect(messages.last).to_contain_text(re.compile("urgent", re.IGNORECASE))
    await expect(composer).to_have_value("")
    await expect(page.get_by_test_id("sent").locator(".text")).to_have_text(INCIDENT)

    await chat_as(page, "po")
    card = page.get_by_test_id("card-section").filter(has_text=INCIDENT)
    await expect(card).to_have_count(1)
    await expect(card.locator("dl")).to_contain_text("Incident")
    approve = card.get_by_role("button", name="Approve (top)")
    await expect(approve).to_have_class("primary")
    await expect(card.get_by_role("button", name="Decline")).to_have_class("danger")
    message_id = await messages.filter(has=card).get_attribute("data-message-id")
    await page.screenshot(path=tmp_path / "playground.png")
    if SCREENSHOT:
        shutil.copy(tmp_path / "playground.png", SCREENSHOT)

    await approve.click()

    resolve = card.get_by_role("button", name="Mark resolved")
    await expect(card.get_by_role("button")).to_have_count(1)
    await expect(resolve).to_be_visible()
    await expect(card).to_contain_text("Approved by Petra (PO)")
    await expect(card.locator("dl")).to_contain_text("being worked on")
    await expect(messages.filter(has=card)).to_have_attribute("data-message-id", str(message_id))
    await expect(messages.last).to_contain_text("Approved #1")
    await page.screenshot(path=tmp_path / "playground-decided.png")

    await chat_as(page, "anna")
    await expect(messages.last).to_contain_text("someone is on it")

    await chat_as(page, "po")
    await resolve.click()
    await expect(card.get_by_role("button")).to_have_count(0)
    await expect(card.locator("dl")).to_contain_text("resolved")
    await chat_as(page, "anna")
    await expect(messages.last).to_contain_text("has been resolved")
    await expect(page.get_by_test_id("error")).to_be_hidden()


async def test_declining_asks_for_a_reason_and_the_stakeholder_reads_it(
    page: Page, tmp_path: Path
) -> None:
    messages = page.get_by_test_id("message")
    await chat_as(page, "anna")
    await send(page, FEATURE)
    await expect(messages.last).to_contain_text("triage queue")

    await chat_as(page, "po")
    await send(page, "queue")
    queue = messages.filter(has_text="Triage queue")
    line = queue.get_by_test_id("card-section").filter(has_text="CSV export")
    await expect(line).to_contain_text("Feature · Not urgent · Anna")
    await expect(line.get_by_role("button", name="Decline")).to_have_count(0)
    await line.get_by_role("button", name="Open card").click()
    card = messages.filter(has_text="from Anna:")
    section = card.get_by_test_id("card-section")
    await section.get_by_role("button", name="Decline").click()
    reason = section.get_by_label("Reason for the stakeholder")
    await expect(reason).to_be_focused()
    confirm = section.get_by_role("button", name="Confirm: Decline")
    await confirm.click()
    await expect(section).to_contain_text("Please fill this in first.")
    await reason.fill(REASON)
    await confirm.click()

    await expect(section.get_by_role("button")).to_have_count(0)
    await expect(section).to_contain_text(f"Declined by Petra (PO): {REASON}")
    await expect(line).to_contain_text(f"Declined by Petra (PO): {REASON}")
    await expect(queue).to_contain_text("Triage queue: every request is decided.")
    await page.screenshot(path=tmp_path / "queue-decided.png")

    await chat_as(page, "anna")
    await expect(messages.last).to_contain_text(REASON)
    await expect(messages.last).to_contain_text("not to take it on")


async def test_a_team_member_forwards_a_request_that_reached_them_directly(page: Page) -> None:
    await chat_as(page, "ben")
    await page.get_by_test_id("forward-toggle").click()
    await page.get_by_label("Original author").select_option("anna")
    await page.get_by_label("What they wrote").fill(FEATURE)
    await page.get_by_test_id("forward-send").click()
    await expect(page.get_by_label("What they wrote")).to_have_value("")
    await expect(page.get_by_test_id("sent")).to_contain_text("forwarded a message from Anna")

    await chat_as(page, "anna")
    await expect(page.get_by_test_id("message").last).to_contain_text("Ben")
    await expect(page.get_by_test_id("forward")).to_be_hidden()


async def test_an_api_error_is_shown_and_what_was_typed_is_kept(page: Page) -> None:
    await chat_as(page, "anna")
    composer = page.get_by_test_id("composer")
    await composer.fill("help")
    await composer.press("Shift+Enter")
    await expect(composer).to_have_value("help\n")
    await composer.press("Backspace")
    await composer.press("Enter")
    reply = page.get_by_test_id("message").last
    await expect(reply).to_contain_text("status")
    assert "\n" in (await reply.locator(".text").inner_text()).strip()

    too_long = "x" * 20_001
    await composer.fill(too_long)
    await page.get_by_test_id("send").click()
    error = page.get_by_test_id("error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("text")
    await expect(composer).to_have_value(too_long)
    await expect(page.get_by_test_id("message")).to_have_count(1)

    await composer.fill("status")
    await composer.press("Enter")
    await expect(error).to_be_hidden()
    await expect(page.get_by_test_id("message")).to_have_count(2)


async def test_its_urgent_and_a_correction_in_the_page(page: Page, tmp_path: Path) -> None:
    messages = page.get_by_test_id("message")
    await chat_as(page, "anna")
    await send(page, FEATURE)
    await expect(messages.last).to_contain_text("triage queue")
    ack_id = await messages.last.get_attribute("data-message-id")
    ack = page.locator(f"[data-testid=message][data-message-id='{ack_id}']")
    await ack.get_by_role("button", name="It's urgent").click()
    await expect(messages.last).to_contain_text("passed it to the PO right away")
    await expect(ack).to_contain_text("You marked it urgent; the PO has it.")
    await expect(ack.get_by_role("button")).to_have_count(0)
    await page.screenshot(path=tmp_path / "stakeholder-escalated.png")

    await chat_as(page, "po")
    card = page.get_by_test_id("card-section").filter(has_text="CSV export")
    await expect(card.locator("dl")).to_contain_text("Urgent (the stakeholder says so)")
    menu = card.get_by_test_id("menu")
    await menu.locator("summary").click()
    await menu.get_by_role("button", name="It's a bug").click()
    await expect(card.locator("dl")).to_contain_text("Bug")
    await expect(card.locator("dl")).to_contain_text("Petra (PO) corrected it: a bug")
    await expect(messages.last).to_contain_text("Similar requests will be triaged that way")
    await page.screenshot(path=tmp_path / "po-corrected.png", full_page=True)
    if SCREENSHOT:
        shutil.copy(tmp_path / "po-corrected.png", SCREENSHOT)


async def test_the_chat_reads_the_same_after_a_reload_and_in_another_tab(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    await chat_as(page, "anna")
    await send(page, "Can the login button be orange instead of blue?")
    await expect(page.get_by_test_id("message").last).to_contain_text(
        "What problem does this solve"
    )
    await send(page, "no idea")
    await expect(page.get_by_test_id("message").last).to_contain_text("'skip'")
    long_text = "Our brand colour is orange; marketing wants a consistent look. " * 30

    await send(page, long_text)
    await expect(page.get_by_test_id("message").last).to_contain_text("Thanks, that helps")

    await page.reload()
    await chat_as(page, "anna")
    conversation = page.locator("[data-testid=sent], [data-testid=message]")
    await expect(conversation).to_have_count(6)
    kinds = [await node.get_attribute("data-testid") for node in await conversation.all()]
    assert kinds == ["sent", "message", "sent", "message", "sent", "message"], "in order"
    await expect(page.get_by_test_id("sent").nth(1).locator(".text")).to_have_text("no idea")
    folded = page.get_by_test_id("sent").last
    unfold = folded.get_by_test_id("unfold")
    await expect(unfold).to_contain_text("Show all (")
    height = await folded.evaluate("node => node.getBoundingClientRect().height")
    assert height < 250, f"a long message is folded, not {height} px high"
    await page.screenshot(path=tmp_path / "folded.png")
    await unfold.click()
    await expect(unfold).to_have_text("Show less")
    assert await folded.evaluate("node => node.getBoundingClientRect().height") > height * 2
    await page.screenshot(path=tmp_path / "reloaded.png", full_page=True)

    other = await page.context.new_page()
    await other.goto(f"{base_url}/playground")
    await other.get_by_test_id("person-select").select_option("anna")
    await expect(other.get_by_test_id("sent")).to_have_count(3)
    await other.close()

    await chat_as(page, "po")
    await send(page, "queue")
    await page.get_by_role("button", name="Open card").click()
    card = page.get_by_test_id("message").last.get_by_test_id("card-section")
    await expect(card.locator("dl")).to_contain_text("The stakeholder explained why")
    await expect(card.get_by_test_id("unfold")).to_have_count(1)


async def test_in_dutch_small_talk_the_why_question_the_queue_and_status(
    page: Page, runtime: Runtime, tmp_path: Path
) -> None:
    await set_person(runtime, "anna", language="nl")
    await set_person(runtime, "po", language="nl")
    messages = page.get_by_test_id("message")
    await chat_as(page, "anna")
    await send(page, "Hoi!")
    await expect(messages.last).to_have_text(re.compile("Stuur me een verzoek"))
    await send(page, "Kan de inlogknop oranje worden in plaats van blauw?")
    await expect(messages.last).to_contain_text("Welk probleem lost dit op, en voor wie?")
    await send(page, "geen idee")
    await expect(messages.last).to_contain_text("Of zeg 'overslaan'")
    await send(page, "overslaan")
    await expect(messages.last).to_contain_text("zoals het is aan de PO doorgegeven")
    await send(page, "Bedankt!")
    await expect(messages.last).to_contain_text("Graag gedaan!")

    await chat_as(page, "po")
    await send(page, "wachtrij")
    queue = messages.filter(has_text="Wachtrij:")
    await expect(queue).to_contain_text("Wachtrij: 1 verzoek wacht op een besluit.")
    line = queue.get_by_test_id("card-section")
    await expect(line).to_contain_text("geeft geen reden")
    await line.get_by_role("button", name="Open kaart").click()
    card = messages.filter(has_text="#1 van Anna:").get_by_test_id("card-section")
    await expect(card).to_contain_text("Gevraagd naar het waarom gaf de aanvrager geen reden")
    await line.get_by_test_id("menu").locator("summary").click()
    await line.get_by_role("button", name="Goedkeuren (bovenaan)").click()
    await expect(queue).to_contain_text("Wachtrij: over elk verzoek is besloten.")
    await expect(card.get_by_role("button")).to_have_count(0)
    await expect(card.locator("dl")).to_contain_text("op de backlog")
    await page.screenshot(path=tmp_path / "po-nl.png", full_page=True)

    await chat_as(page, "anna")
    await send(page, "mijn verzoeken")
    await expect(messages.last).to_contain_text("op de backlog")
    await expect(page.get_by_test_id("sent")).to_have_count(6)


async def test_a_coaching_change_is_confirmed_in_the_page(page: Page, runtime: Runtime) -> None:
    await contract(runtime, every_days=14)
    messages = page.get_by_test_id("message")
    await chat_as(page, "po")
    await send(page, "coaching every 3 weeks")
    await expect(messages.last).to_contain_text("I've asked Carla (coach) to confirm")

    await chat_as(page, "coach")
    proposal = messages.filter(has_text="proposes a change")
    await expect(proposal).to_contain_text("a session every 3 weeks")
    await proposal.get_by_role("button", name="Confirm").click()
    await expect(proposal).to_contain_text("You confirmed this change.")
    await expect(proposal.get_by_role("button")).to_have_count(0)
    await expect(messages.last).to_contain_text("Done: the coaching contract now has")

    await chat_as(page, "po")
    await expect(messages.last).to_contain_text("confirmed your change to the coaching contract")
    await send(page, "coaching")
    await expect(messages.last).to_contain_text("10:00 CET")
    await expect(messages.last).not_to_contain_text("Waiting for")


async def test_an_open_tracker_issue_like_the_request_is_offered_on_the_card(
    page: Page,
    runtime: Runtime,
    github: tuple[FakeGitHub, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake, url = github
    fake.add_issue("Customer portal login fails with a 500 error")
    await connect(runtime, url)
    await chat_as(page, "anna")
    await send(page, INCIDENT)
    await runtime.trackers.work_due()  # the tracker worker's search
    await runtime.worker.deliver_due()

    await chat_as(page, "po")
    card = page.get_by_test_id("card-section").filter(has_text=INCIDENT)
    await expect(card.locator("dl")).to_contain_text("Maybe already in the tracker")
    await expect(card.locator("dl")).to_contain_text(f"{REPO}#1 Customer portal login fails")
    merge = card.get_by_role("button", name=f"Merge into {REPO}#1")
    await expect(merge).to_be_visible()
    await page.screenshot(path=tmp_path / "found-in-tracker.png", full_page=True)
    if SCREENSHOT:
        shutil.copy(tmp_path / "found-in-tracker.png", SCREENSHOT)

    await merge.click()
    await expect(page.get_by_test_id("message").last).to_contain_text(
        f"into {REPO}#1; once the tracker confirms it"
    )
