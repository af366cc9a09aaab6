"""A person's home view of Heatshield (Slack's App Home): for the PO and delegates the triage
queue with its decision buttons, the top of the backlog and the settings; for anyone else, their
own requests. Built from the database as a neutral message; each adapter shows it its own way."""

from __future__ import annotations

from bot.kernel.i18n import Translator
from bot.kernel.outbound import Button, Field, InputSpec, OutboundMessage, Section
from handlers.cards import item_section, status_name, type_name
from handlers.context import Context
from handlers.items import duplicate_of
from handlers.routing import DECIDER_ROLES
from handlers.texts import review_rhythm
from storage.models import Role

HOME_QUEUE = 10
HOME_BACKLOG = 5
HOME_REQUESTS = 10


async def home_view(ctx: Context) -> OutboundMessage:
    tr = ctx.tr
    sections: list[Section] = []
    if ctx.actor.role in DECIDER_ROLES:
        sections.extend(await queue_sections(ctx, tr))
        sections.extend(await backlog_sections(ctx, tr))
        sections.append(await settings_section(ctx, tr))
        text = tr.t("Heatshield: what waits for your decision, and how the shield is set.")
    else:
        sections.extend(await request_sections(ctx, tr))
        text = tr.t("Heatshield takes your requests to the PO. Send me a message, or use /request.")
    return OutboundMessage(text=text, sections=tuple(sections))


async def queue_sections(ctx: Context, tr: Translator) -> list[Section]:
    items = await ctx.uow.backlog.queue(workspace_id=ctx.workspace.id)
    if not items:
        return [Section(title=tr.t("Triage queue"), text=tr.t("The triage queue is empty."))]
    heading = Section(
        title=tr.t("Triage queue"),
        text=tr.n(
            "{count} request waiting for a decision.",
            "{count} requests waiting for a decision.",
            len(items),
        ),
    )
    shown = items[:HOME_QUEUE]
    cards = [item_section(tr, item, await duplicate_of(ctx, item)) for item in shown]
    return [heading, *cards]


async def backlog_sections(ctx: Context, tr: Translator) -> list[Section]:
    items = await ctx.uow.backlog.backlog(workspace_id=ctx.workspace.id, limit=HOME_BACKLOG)
    if not items:
        return [Section(title=tr.t("Top of the backlog"), text=tr.t("The backlog is empty."))]
    lines = [
        f"{position}. #{item.id} {item.title} ({type_name(tr, item)})"
        for position, item in enumerate(items, start=1)
    ]
    return [Section(title=tr.t("Top of the backlog"), text="\n".join(lines))]


async def settings_section(ctx: Context, tr: Translator) -> Section:
    workspace = ctx.workspace
    po = await ctx.uow.people.with_roles(workspace_id=workspace.id, roles=[Role.PO])
    delegates = await ctx.uow.people.with_roles(workspace_id=workspace.id, roles=[Role.DELEGATE])
    none = tr.t("none")
    fields = (
        Field(label=tr.t("Review times"), value=review_rhythm(tr, workspace.review_times)),
        Field(label=tr.t("PO"), value=", ".join(person.name for person in po) or none),
        Field(
            label=tr.t("Delegates"), value=", ".join(person.name for person in delegates) or none
        ),
        Field(label=tr.t("Time zone"), value=workspace.timezone),
    )
    buttons = [
        Button(
            label=tr.t("Change review times"),
            action_id="set_review_times",
            value=str(workspace.id),
            input=InputSpec(kind="text", label=tr.t("Review times, like tue,thu 09:00")),
        )
    ]
    if ctx.actor.role == Role.PO:
        buttons.append(
            Button(
                label=tr.t("Change delegates"),
                action_id="set_delegates",
                value=str(workspace.id),
                input=InputSpec(
                    kind="text", label=tr.t("Who may decide on your behalf?"), required=False
                ),
            )
        )
    return Section(key="settings", title=tr.t("Settings"), fields=fields, buttons=tuple(buttons))


async def request_sections(ctx: Context, tr: Translator) -> list[Section]:
    items = await ctx.uow.backlog.of_stakeholder(person_id=ctx.actor.id, limit=HOME_REQUESTS)
    if not items:
        return [Section(title=tr.t("Your requests:"), text=tr.t("You have no requests yet."))]
    lines = [f"#{item.id} {item.title}: {status_name(tr, item.status)}" for item in items]
    return [Section(title=tr.t("Your requests:"), text="\n".join(lines))]
