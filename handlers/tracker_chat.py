""" "tracker github acme/shop": the PO sets where the workspace's backlog lives, in chat. The
tracker worker checks the connection first (a "check" job, with the environment's token) and
stores the setting only once it connects; the PO hears either way. "tracker" alone says what
is set. A webhook secret is never asked for here: a secret does not belong in a chat.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from bot.kernel.events import MessageEvent
from bot.kernel.i18n import N_, Translator
from bot.kernel.trackers import DEFAULT_URLS, TrackerSettings
from handlers import outbox
from handlers.context import Context, Services
from handlers.routing import DECIDER_ROLES, Incoming, route
from handlers.tracker_settings import put_tracker
from handlers.trackers import KIND_NAMES, tell_deciders, tell_deciders_in_words
from storage.models import TrackerJob, Workspace
from storage.repositories import UnitOfWork

COMMAND = re.compile(r"^\s*tracker(?:\s+(?P<kind>[\w-]+)(?:\s+(?P<rest>.*\S))?)?\s*$", re.I)
URL = r"https?://[^\s/]+(?:/[^\s]*)?"
# Per kind, what follows it: the place (and, where the tracker has no single cloud address,
# the site first; GitHub Enterprise and a self-hosted Linear may add their API's address).
SHAPES = {
    "github": re.compile(rf"^(?P<place>[\w.-]+/[\w.-]+)(?:\s+(?P<url>{URL}))?$"),
    "linear": re.compile(rf"^(?P<place>[A-Za-z0-9]{{1,16}})(?:\s+(?P<url>{URL}))?$"),
    "jira": re.compile(rf"^(?P<url>{URL})\s+(?P<place>[A-Za-z][A-Za-z0-9_]{{0,30}})$"),
    "azure-devops": re.compile(rf"^(?P<url>{URL})\s+(?P<place>[^\s].{{0,63}})$"),
}
PLACE_FIELD = {"github": "repo", "linear": "team", "jira": "project", "azure-devops": "project"}


@dataclass(frozen=True)
class Command:
    """What the PO asked: to see the setting, how to say it (a shape not understood), or a
    tracker to connect."""

    settings: TrackerSettings | None = None
    usage: bool = False


def parsed(kind: str, rest: str) -> TrackerSettings | None:
    shape = SHAPES.get(kind.lower())
    found = shape.match(rest.strip()) if shape else None
    if found is None:
        return None
    kind = kind.lower()
    place = found["place"].upper() if kind in ("jira", "linear") else found["place"]
    url = (found["url"] or DEFAULT_URLS.get(kind, "")).rstrip("/")
    return TrackerSettings(kind=kind, url=url, **{PLACE_FIELD[kind]: place})


async def tracker_words(incoming: Incoming, ctx: Context) -> Command | None:
    found = COMMAND.match(incoming.text)
    if found is None:
        return None
    decider = ctx.actor.role in DECIDER_ROLES
    if found["kind"] is None:
        return Command()
    settings = parsed(found["kind"], found["rest"] or "")
    if settings is not None:
        return Command(settings=settings)
    # "tracker jira is slow again" from a stakeholder is a request, not a command gone wrong.
    return Command(usage=True) if decider and found["kind"].lower() in SHAPES else None


@route(
    "tracker",
    tracker_words,
    roles=DECIDER_ROLES,
    help=(
        N_(
            "tracker github acme/shop, tracker jira https://acme.atlassian.net APP, tracker "
            "azure-devops https://dev.azure.com/acme Shop, tracker linear ENG: where approved "
            "requests are created; 'tracker' alone says what is set."
        ),
    ),
    shown_to=DECIDER_ROLES,
)
async def set_tracker_in_chat(event: MessageEvent, ctx: Context, command: Command) -> None:
    tr = ctx.tr
    found = command.settings
    if found is None and not command.usage:
        await outbox.answer(ctx, event, await shown_in_chat(ctx))
        return
    if found is None:
        await outbox.answer(ctx, event, tr.t(
            "Say it as: tracker github owner/repository, tracker jira https://your-site."
            "atlassian.net PROJECT, tracker azure-devops https://dev.azure.com/ORGANISATION "
            "Project, or tracker linear TEAM."
        ))  # fmt: skip
        return
    now = ctx.clock.now()
    await ctx.uow.trackers.add_job(
        TrackerJob(workspace_id=ctx.workspace.id, item_id=None, action="check",
                   body=json.dumps(asdict(found)), top=False, status="pending", attempts=0,
                   next_attempt_at=now, created_at=now)
    )  # fmt: skip
    ctx.outcome = f"tracker {found.kind} {found.place} to be checked"
    await outbox.answer(ctx, event, tr.t(
        "Checking the connection to {tracker} {place}; I'll tell you as soon as it is set.",
        tracker=KIND_NAMES[found.kind], place=found.place,
    ))  # fmt: skip


async def shown_in_chat(ctx: Context) -> str:
    row = await ctx.uow.trackers.of_workspace(workspace_id=ctx.workspace.id)
    if row is None:
        return ctx.tr.t(
            "No tracker is set: approved requests stay in Heatshield's backlog. Set one with, "
            "for example, 'tracker github acme/shop'."
        )
    return ctx.tr.t(
        "Approved requests are created in {tracker} {place} ({url}); {checked}. The webhook "
        "secret is {secret}.",
        tracker=KIND_NAMES.get(row.kind, row.kind),
        place=row.project or row.repo or row.team or "?",
        url=row.url,
        checked=row.checked,
        secret=ctx.tr.t("set") if row.webhook_secret else ctx.tr.t("not set"),
    )


async def connected(
    uow: UnitOfWork,
    services: Services,
    workspace: Workspace,
    settings: TrackerSettings,
    checked: str,
) -> None:
    """The connection worked: the setting is stored (keeping the webhook secret there was),
    and the PO and delegates hear it, with what is left to do for the webhooks."""
    retried = await put_tracker(uow, workspace, settings, checked, services.clock.now())
    row = await uow.trackers.of_workspace(workspace_id=workspace.id)
    secret = row is not None and bool(row.webhook_secret)

    def compose(tr: Translator) -> str:
        said = [tr.t("Tracker set: {checked}.", checked=checked)]
        if retried:
            said.append(tr.t("{count} refused request(s) will be tried again.", count=retried))
        if not secret:
            said.append(tr.t(
                "To hear when items move, the tracker's webhook needs a shared secret: set it "
                "with 'heatshield tracker set ... --webhook-secret' (a secret does not belong "
                "in chat)."
            ))  # fmt: skip
        return " ".join(said)

    await tell_deciders_in_words(uow, services, workspace, compose)


async def host_refused(
    uow: UnitOfWork, services: Services, workspace: Workspace, host: str
) -> None:
    await tell_deciders(
        uow, services, workspace,
        N_("The tracker is not set: {host} is not a tracker address that may be set in chat "
           "(HEATSHIELD_TRACKER_HOSTS); nothing was sent there. Ask whoever runs Heatshield "
           "to add it, or to set the tracker with 'heatshield tracker set'."),
        host=host,
    )  # fmt: skip


async def not_connected(
    uow: UnitOfWork, services: Services, workspace: Workspace, problem: str
) -> None:
    await tell_deciders(
        uow, services, workspace,
        N_("The tracker is not set: {problem}. Nothing was changed."),
        problem=problem,
    )  # fmt: skip
