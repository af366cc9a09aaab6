"""The coach's digest as a person sees it: the HTML page (the e-mail's body and `digest --out`)
with its chart, rendered by a real headless Chromium, in English and in Dutch."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from adapters.email.render import message_html
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translator
from bot.runtime.app import Runtime
from handlers.coaching.digest import build_digest
from handlers.coaching.report import digest_chart, digest_message
from tests.browser import chromium
from tests.handlers.coaching_support import contract, demo
from tests.handlers.test_coaching_digest import known_week
from tests.playground import Playground

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

HEADINGS = {
    "en": ("Weekly digest for Demo: Monday 23 November to Sunday 29 November 2026 (week 48).",
           "What the shield did", "Held for the review", "3 of 3", "Anna · on the backlog"),
    "nl": ("Weekoverzicht voor Demo: maandag 23 november tot en met zondag 29 november 2026 "
           "(week 48).", "Wat het schild deed", "Vastgehouden tot de review", "3 van 3",
           "Anna · op de backlog"),
}  # fmt: skip


async def write_digest(runtime: Runtime, language: str, folder: Path) -> Path:
    async with runtime.db.transaction() as uow:
        workspace = await demo(uow)
        agreement = await uow.coaching.contract(workspace_id=workspace.id)
        assert agreement is not None
        digest = await build_digest(uow, workspace, agreement, "2026-W48")
    tr = Translator(language)
    chart = digest_chart(tr, digest)
    folder.mkdir()  # noqa: ASYNC240 - a test's temporary folder
    (folder / "chart.png").write_bytes(chart)
    page = folder / "digest.html"
    page.write_text(message_html(digest_message(tr, digest, chart), "chart.png"), "utf-8")
    return page


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_the_digest_page_and_its_chart_as_rendered(
    client: Playground, runtime: Runtime, clock: FakeClock, tmp_path: Path, language: str
) -> None:
    await contract(runtime, confidentiality="names")
    await known_week(client, runtime, clock)
    page_file = await write_digest(runtime, language, tmp_path / language)

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 900, "height": 1200})
        await page.goto(page_file.as_uri())
        title, shield, held, heard, status = HEADINGS[language]
        await expect(page.locator("body > p").first).to_have_text(title)
        await expect(page.locator("h3").first).to_have_text(shield)
        await expect(page.locator("th", has_text=held)).to_be_visible()
        await expect(page.locator("td", has_text=heard)).to_be_visible()
        await expect(page.locator("td", has_text=status).first).to_be_visible()
        chart = page.locator("img")
        await expect(chart).to_be_visible()
        width = await chart.evaluate("img => img.naturalWidth")
        height = await chart.evaluate("img => img.naturalHeight")
        assert (width, height) == (900, 640), "the chart loaded, at its full size"
        await page.screenshot(path=tmp_path / f"digest-{language}.png", full_page=True)
        await chart.screenshot(path=tmp_path / f"chart-{language}.png")
        await browser.close()
