"""The PO changes the workspace's review times and delegates in chat (from any platform)."""

from __future__ import annotations

import logging
import re

from bot.kernel.errors import InvalidInputError
from bot.kernel.events import ActionEvent
from bot.kernel.i18n import N_
from bot.kernel.review_times import format_review_times, parse_review_times
from handlers import outbox
from handlers.context import Context
from handlers.registry import Refusal, on_action
from handlers.team import TeamSpec, set_team
from handlers.texts import review_rhythm
from storage.models import Role

log = logging.getLogger(__name__)
MAX_DELEGATES = 20
USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,255}$")


@on_action("set_review_times")
async def set_review_times(event: ActionEvent, ctx: Context) -> None:
    tr = ctx.tr
    try:
        slots = parse_review_times((event.input or "").strip())
    except InvalidInputError:
        await outbox.answer(
            ctx,
            event,
            tr.t("That is not a review time I understand; use the form tue,thu 09:00."),
        )
        return
    ctx.workspace.review_times = format_review_times(slots)
    log.info("Review times of workspace %s set to %r", ctx.workspace.id, ctx.workspace.review_times)
    await outbox.answer(
        ctx,
        event,
        tr.t(
            "Done: the PO now reviews new requests on {rhythm}.",
            rhythm=review_rhythm(tr, ctx.workspace.review_times),
        ),
    )


def parse_users(text: str | None) -> list[str]:
    users = [part for part in re.split(r"[\s,;]+", text or "") if part]
    unique = list(dict.fromkeys(user.removeprefix("@") for user in users))
    if len(unique) > MAX_DELEGATES or not all(USER_ID.match(user) for user in unique):
        raise InvalidInputError("delegates", "not a list of user ids")
    return unique


# Only the PO names delegates; a delegate who tries is told, and the audit names whom they typed.
@on_action(
    "set_delegates",
    roles=(Role.PO,),
    refusal=Refusal(
        N_("Only the PO can change the delegates; nothing was changed."),
        "not the PO",
        target="input",
    ),
)
async def set_delegates(event: ActionEvent, ctx: Context) -> None:
    tr = ctx.tr
    try:
        users = [user for user in parse_users(event.input) if user != ctx.actor.platform_user_id]
    except InvalidInputError:
        await outbox.answer(
            ctx, event, tr.t("Please pick the people who may decide on your behalf.")
        )
        return
    spec = TeamSpec(
        platform=ctx.workspace.platform, workspace=ctx.workspace.external_id, delegates=users
    )
    await set_team(ctx.uow, spec, ctx.services.defaults, ctx.clock.now())
    delegates = await ctx.uow.people.with_roles(
        workspace_id=ctx.workspace.id, roles=[Role.DELEGATE]
    )
    if not delegates:
        await outbox.answer(ctx, event, tr.t("Done: you have no delegates now; only you decide."))
        return
    names = ", ".join(person.name for person in delegates)
    await outbox.answer(ctx, event, tr.t("Done: your delegates are now {names}.", names=names))
