"""The home view's triage queue counts its requests in the reader's language: "1 request"."""

from __future__ import annotations

from bot.runtime.app import Runtime
from handlers.context import Context
from handlers.home import home_view
from tests.handlers.coaching_support import demo
from tests.playground import Playground

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)
OTHER_FEATURE = (
    "Could the invoice page show the payment due date? Customers keep calling support to ask "
    "when they have to pay."
)


async def queue_heading(runtime: Runtime, language: str | None = None) -> str:
    """The text under the "Triage queue" title of the PO's home view."""
    async with runtime.db.transaction() as uow:
        workspace = await demo(uow)
        po = await uow.people.get(workspace_id=workspace.id, user_id="po")
        assert po is not None
        if language is not None:
            po.language = language
        ctx = Context(uow, runtime.services, workspace, po)
        view = await home_view(ctx)
    title = ctx.tr.t("Triage queue")
    return next(s.text for s in view.sections if s.title == title and s.text)


async def test_the_home_queue_heading_reads_singular_for_one_request(
    client: Playground, runtime: Runtime
) -> None:
    await client.say("anna", FEATURE)
    assert await queue_heading(runtime) == "1 request waiting for a decision."
    assert await queue_heading(runtime, "nl") == "1 verzoek wacht op een beslissing."

    await client.say("anna", OTHER_FEATURE)
    assert await queue_heading(runtime, "en") == "2 requests waiting for a decision."
    assert await queue_heading(runtime, "nl") == "2 verzoeken wachten op een beslissing."
