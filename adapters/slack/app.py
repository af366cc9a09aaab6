"""The bolt AsyncApp behind POST /slack/events (and Socket Mode): verify, store, ack, handle.

Bolt verifies the signature, authorises the workspace and drops the bot's own events first. Then
one middleware translates the payload into neutral events and commits each (pipeline.accept)
before the request is acknowledged: acked means stored, and a redelivery (the same event_id, or
the same click) is recognised by its key and changes nothing. Handling runs after the ack in a
task of our own. Opening a modal and publishing the App Home are answers on Slack's screen, not
messages, so they are called directly here; every message goes through the outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from adapters.slack.clients import SlackClients
from adapters.slack.render import (
    CALLBACK_INPUT,
    CALLBACK_REQUEST,
    InputButton,
    home_view,
    input_modal,
    read_input_button,
    request_modal,
)
from adapters.slack.sender import classify
from adapters.slack.settings import BOT_SCOPES, SlackSettings
from adapters.slack.users import PeopleCache
from bot.delivery import RetryLaterError
from bot.errors import InvalidInputError
from bot.events import ConversationRef, InboundEvent, MessageEvent, PersonInfo
from bot.i18n import Translator, normalise_language
from bot.pipeline import Pipeline
from handlers.context import Context, Services
from handlers.home import home_view as neutral_home
from handlers.people import person_for, workspace_for
from storage.repositories import Database

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ANYTHING = re.compile(".*")
Next = Callable[[], Awaitable[None]]


class SlackBot:
    def __init__(
        self,
        settings: SlackSettings,
        *,
        db: Database,
        pipeline: Pipeline,
        services: Services,
        people: PeopleCache,
        clients: SlackClients,
        installation_store: AsyncInstallationStore | None = None,
        state_store: AsyncOAuthStateStore | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._pipeline = pipeline
        self._services = services
        self._people = people
        self._clients = clients
        self._tasks: set[asyncio.Task[None]] = set()
        client = AsyncWebClient(token=settings.bot_token, base_url=settings.base_url)
        oauth_settings = None
        if settings.mode == "oauth":
            oauth_settings = AsyncOAuthSettings(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                scopes=list(BOT_SCOPES),
                redirect_uri=settings.redirect_uri,
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                installation_store=installation_store,
                state_store=state_store,
                installation_store_bot_only=True,
            )
        self.app = AsyncApp(
            client=client,
            signing_secret=settings.signing_secret or "",
            oauth_settings=oauth_settings,
            logger=logging.getLogger("slack_bolt"),
        )
        self.app.middleware(self._store_then_ack)
        # Every kind of payload is acknowledged; what Heatshield does not know is logged.
        self.app.event(ANYTHING)(_nothing_more)
        self.app.action(ANYTHING)(_ack)
        self.app.view(ANYTHING)(_ack)
        self.app.shortcut(ANYTHING)(_ack)
        self.app.command(ANYTHING)(_ack)

    def mount(self, app: web.Application) -> None:
        app.router.add_post(EVENTS_PATH, self.events)
        if self.app.oauth_flow is not None:
            app.router.add_get(INSTALL_PATH, self.install)
            app.router.add_get(REDIRECT_PATH, self.oauth_redirect)

    async def events(self, request: web.Request) -> web.Response:
        if self._pipeline.store.overloaded:
            # Slack delivers an event again that is not answered 200: now, not after 3 s.
            self._pipeline.metrics.shed.inc()
            return web.Response(status=503, headers={"Retry-After": "1"}, text="busy")
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        if bolt_response.status == 404:
            log.warning("Slack sent something Heatshield does not handle; acknowledged")
            bolt_response = BoltResponse(status=200, body="")
        return await to_aiohttp_response(bolt_response)

    async def install(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def oauth_redirect(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    async def drain(self) -> None:
        """Wait until everything started for the requests so far has finished (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # The middleware: translate, store, then let bolt acknowledge.

    async def _store_then_ack(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        resp: BoltResponse,
        next: Next,
    ) -> BoltResponse:
        kind = body.get("type")
        early: BoltResponse | None = None
        if kind == "event_callback":
            await self._event(body, client, context)
        elif kind == "block_actions":
            await self._block_actions(body, client)
        elif kind == "view_submission":
            early = await self._view_submission(body, client)
        elif kind == "message_action":
            await self._message_shortcut(body, client)
        elif body.get("command"):
            await self._command(body, client)
        else:
            log.info("Slack %s payload ignored", kind or "unknown")
        if early is not None:
            return early
        await next()
        return resp

    async def _accept(self, event: InboundEvent) -> None:
        """Commit the event (raising means a 500, so Slack retries); the workers handle it
        after the ack."""
        if not await self._pipeline.accept(event):
            log.info("Ignoring redelivered Slack %s %s", event.kind, event.idempotency_key)

    def _who(self, team: str, user: str) -> PersonInfo:
        """The person as far as known now; the rest is fetched after the ack (enrich)."""
        return self._people.cached(team, user)

    async def _person(self, client: AsyncWebClient, team: str, user: str) -> PersonInfo:
        return await self._people.person(client, team, user)

    # What the pipeline asks of Slack around handling (bot.pipeline.InboundHooks).

    async def enrich(self, event: InboundEvent) -> InboundEvent:
        """The sender's (and a forward's author's) name, time zone and language from
        users.info, fetched now that the event is acknowledged."""
        team = event.conversation.workspace
        client = await self._clients.for_team(team)
        if client is None:
            return event
        changes: dict[str, Any] = {}
        if event.sender.display_name is None:
            changes["sender"] = await self._person(client, team, event.sender.user_id)
        forward = event.forward_of if isinstance(event, MessageEvent) else None
        if forward is not None and forward.author.display_name is None:
            author = await self._person(client, team, forward.author.user_id)
            changes["forward_of"] = forward.model_copy(update={"author": author})
        return event.model_copy(update=changes) if changes else event

    async def handled(self, event: InboundEvent) -> None:
        """A click on the App Home changes what it shows: publish it again."""
        if not translate.from_home(event):
            return
        client = await self._clients.for_team(event.conversation.workspace)
        if client is not None:
            await self._publish_home(client, event.conversation.workspace, event.sender)

    def _translator(self, person: PersonInfo) -> Translator:
        return Translator(normalise_language(person.language, self._services.defaults.language))

    async def _event(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        event = body.get("event") or {}
        kind = event.get("type")
        team = translate.team_of(body) or ""
        if kind == "message" and event.get("channel_type") == "im":
            if translate.from_a_person(event):
                sender = self._who(team, event["user"])
                await self._accept(translate.direct_message_event(body, sender))
        elif kind == "app_mention":
            if translate.from_a_person(event):
                sender = self._who(team, event["user"])
                await self._accept(translate.mention_event(body, sender, context.bot_user_id))
        elif kind == "reaction_added":
            await self._reaction(body, client)
        elif kind == "app_home_opened":
            if event.get("tab", "home") == "home":
                self._spawn(self._publish_home(client, team, PersonInfo(user_id=event["user"])))
        elif kind == "user_change":
            self._people.forget(team, str((event.get("user") or {}).get("id")))
        else:
            log.info("Slack event %s ignored", kind)

    async def _reaction(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        event = body["event"]
        item = event.get("item") or {}
        if event.get("reaction") != translate.TICKET or item.get("type") != "message":
            return
        team = translate.team_of(body) or ""
        message = await self._message(client, item["channel"], item["ts"])
        if message is None or not translate.from_a_person(message):
            log.info("The :ticket: message %s in %s is gone or not a person's", item["ts"], team)
            return
        reactor = self._who(team, event["user"])
        author = self._who(team, message["user"])
        text = message.get("text") or ""
        await self._accept(translate.reaction_forward(body, reactor, author, text))

    async def _message(
        self, client: AsyncWebClient, channel: str, ts: str
    ) -> dict[str, Any] | None:
        """One message by its ts: a channel's history has it, or else its thread."""
        try:
            history = await client.conversations_history(
                channel=channel, latest=ts, inclusive=True, limit=1
            )
            for message in history.get("messages") or []:
                if message.get("ts") == ts:
                    return dict(message)
            replies = await client.conversations_replies(
                channel=channel, ts=ts, latest=ts, inclusive=True, limit=1
            )
            for message in replies.get("messages") or []:
                if message.get("ts") == ts:
                    return dict(message)
        except SlackApiError as exc:
            if isinstance(classify(exc), RetryLaterError):
                raise  # answered 500: Slack delivers the reaction again
            log.warning("Reading message %s in %s failed: %s", ts, channel, exc)
        # A timeout or a broken connection propagates too: Slack delivers the reaction again.
        return None

    async def _block_actions(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        team = translate.team_of(body) or ""
        user = body["user"]["id"]
        for action in body.get("actions") or []:
            action_id = str(action.get("action_id") or "")
            button = read_input_button(action_id, str(action.get("value") or ""))
            if button is not None:
                self._spawn(self._open_input_modal(client, body, button))
                continue
            await self._accept(translate.action_event(body, action, self._who(team, user)))

    async def _open_input_modal(
        self, client: AsyncWebClient, body: dict[str, Any], button: InputButton
    ) -> None:
        team = translate.team_of(body) or ""
        sender = await self._person(client, team, body["user"]["id"])
        metadata = translate.modal_metadata(body, button.action_id, button.value)
        metadata["h"] = (body.get("view") or {}).get("type") == "home"
        view = input_modal(self._translator(sender), button, metadata)
        await self._open(client, body["trigger_id"], view)

    async def _open(self, client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> None:
        try:
            await client.views_open(trigger_id=trigger_id, view=view)
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            log.warning("views.open failed: %s", exc)

    async def _view_submission(
        self, body: dict[str, Any], client: AsyncWebClient
    ) -> BoltResponse | None:
        view = body.get("view") or {}
        callback = view.get("callback_id")
        team = translate.team_of(body) or ""
        if callback not in (CALLBACK_INPUT, CALLBACK_REQUEST):
            log.info("Slack view %s submitted; not Heatshield's", callback)
            return None
        sender = await self._person(client, team, body["user"]["id"])
        event: InboundEvent
        try:
            if callback == CALLBACK_INPUT:
                event = translate.input_submission_event(body, sender)
            else:
                event = translate.request_submission_event(body, sender, self._translator(sender))
        except InvalidInputError as exc:
            return _view_errors({exc.field: exc.problem})
        await self._accept(event)
        return None

    async def _message_shortcut(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        if body.get("callback_id") != translate.FORWARD_SHORTCUT:
            log.info("Slack shortcut %s ignored", body.get("callback_id"))
            return
        team = translate.team_of(body) or ""
        message = body.get("message") or {}
        if not translate.from_a_person(message):
            log.info("Shortcut on a message without a person as author; ignored")
            return
        forwarder = self._who(team, body["user"]["id"])
        author = self._who(team, message["user"])
        await self._accept(translate.shortcut_forward(body, forwarder, author))

    async def _command(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        if body.get("command") != translate.REQUEST_COMMAND:
            log.info("Slack command %s ignored", body.get("command"))
            return
        team = translate.team_of(body) or ""
        text = translate.plain_text(body.get("text") or "")
        if text:
            # "/request status", or a request typed in one go: stored before the ack, like a DM,
            # so it cannot get lost with a form that failed to open.
            await self._accept(translate.command_event(body, self._who(team, body["user_id"])))
            return
        self._spawn(self._open_request_modal(client, team, body))

    async def _open_request_modal(
        self, client: AsyncWebClient, team: str, body: dict[str, Any]
    ) -> None:
        sender = await self._person(client, team, body["user_id"])
        await self._open(client, body["trigger_id"], request_modal(self._translator(sender), ""))

    async def _publish_home(self, client: AsyncWebClient, team: str, who: PersonInfo) -> None:
        """The App Home tab, built from the database each time it is opened or changed."""
        try:
            info = await self._person(client, team, who.user_id)
            conversation = ConversationRef(
                platform=translate.PLATFORM,
                workspace=team,
                channel=f"@{info.user_id}",
                user=info.user_id,
            )
            now = self._services.clock.now()
            async with self._db.transaction() as uow:
                workspace = await workspace_for(uow, conversation, self._services.defaults, now)
                actor = await person_for(uow, workspace, info, now)
                message = await neutral_home(Context(uow, self._services, workspace, actor))
            await client.views_publish(user_id=info.user_id, view=home_view(message))
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            log.warning("Publishing the App Home for %s failed: %s", who.user_id, exc)
        except Exception:
            log.exception("Building the App Home for %s failed", who.user_id)


def _view_errors(errors: dict[str, str]) -> BoltResponse:
    body = json.dumps({"response_action": "errors", "errors": errors})
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})


async def _ack(ack: AsyncAck) -> None:
    await ack()


async def _nothing_more() -> None:
    """Events are acknowledged by bolt before the listener runs; the middleware did the work."""
