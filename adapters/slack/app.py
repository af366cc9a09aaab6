"""POST /slack/events (and Socket Mode): verify, store, ack, handle.

The signature is checked on the raw body first. A person's direct message to the bot (most of
what Slack sends) is then translated and committed in a fast lane of its own; every other
payload goes through bolt's AsyncApp, where one middleware translates it into neutral events
and commits each (the inbox's accept) before bolt acknowledges it. Either way acked means stored,
and a redelivery (the same event_id, or the same click) is recognised by its key and changes
nothing. The workers handle what is stored after the ack. Opening a modal and publishing the
App Home are answers on Slack's screen, not messages, so they are called directly here; every
message goes through the outbox.
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
from pydantic import ValidationError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request import payload_utils
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.signature import SignatureVerifier
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
from bot.kernel.errors import InvalidInputError, OverloadedError, RetryLaterError
from bot.kernel.events import ConversationRef, InboundEvent, MessageEvent, PersonInfo
from bot.kernel.i18n import Translator, normalise_language
from bot.kernel.payloads import nested_too_deep
from bot.kernel.ports import Inbox
from handlers.context import Context, Services
from handlers.home import home_view as neutral_home
from handlers.people import person_for, workspace_for
from storage.repositories import Database

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ANYTHING = re.compile(".*")
SIGNATURE = "X-Slack-Signature"
TIMESTAMP = "X-Slack-Request-Timestamp"
# What reading a signed payload of an unexpected shape raises (a missing key, a null where an
# object belongs, an id no event may carry): Slack would send it again forever if answered 500.
SHAPE_ERRORS = (KeyError, TypeError, AttributeError, IndexError, ValueError)
Next = Callable[[], Awaitable[None]]
Found = list[InboundEvent]


class SlackBot:
    def __init__(
        self,
        settings: SlackSettings,
        *,
        db: Database,
        inbox: Inbox,
        services: Services,
        people: PeopleCache,
        clients: SlackClients,
        installation_store: AsyncInstallationStore | None = None,
        state_store: AsyncOAuthStateStore | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._inbox = inbox
        self._services = services
        self._people = people
        self._clients = clients
        self._tasks: set[asyncio.Task[None]] = set()
        # HTTP mode always has a secret (settings.validate); Socket Mode needs none.
        self._verifier = SignatureVerifier(settings.signing_secret or "-")
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
            # events() checks the signature itself, before the body is read as JSON.
            request_verification_enabled=False,
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
        if self._inbox.shedding():
            # Slack delivers an event again that is not answered 200: now, not after 3 s.
            return web.Response(status=503, headers={"Retry-After": "1"}, text="busy")
        body = await request.read()
        if not self._signed(body, request):
            return web.Response(status=401, text="invalid request signature")
        direct = _as_direct_message(body, request)
        if direct is not None:
            return await self._store_direct_message(direct)
        bolt_request = _bolt_request(body, request)
        if bolt_request is None:
            return web.Response(status=400, text="body: not a Slack payload")
        bolt_response = await self.app.async_dispatch(bolt_request)
        if bolt_response.status == 404:
            log.warning("Slack sent something Heatshield does not handle; acknowledged")
            bolt_response = BoltResponse(status=200, body="")
        return await to_aiohttp_response(bolt_response)

    async def _store_direct_message(self, body: dict[str, Any]) -> web.Response:
        """The fast lane for most of what Slack sends: a person's direct message, stored and
        acknowledged without bolt's dispatch (which would route it to a listener that does
        nothing), at about half the cost per event. Everything else goes through bolt."""
        team = translate.team_of(body)
        if self.app.oauth_flow is not None and (
            team is None or await self._clients.for_team(team) is None
        ):
            log.info("Slack event for workspace %s, which has not installed the app; dropped", team)
            return web.Response(status=200)
        try:
            if team is None:
                raise ValueError("no team id")
            found = self._direct_message(body, team)
        except SHAPE_ERRORS as exc:
            log.warning("Slack message payload not understood; acknowledged and dropped: %s",
                        _reason(exc))  # fmt: skip
            return web.Response(status=200)
        try:
            for event in found:
                await self._accept(event)
        except OverloadedError as exc:
            return web.Response(status=503, headers=_retry_after(exc), text="busy")
        return web.Response(status=200)

    def _signed(self, body: bytes, request: web.Request) -> bool:
        timestamp, signature = request.headers.get(TIMESTAMP), request.headers.get(SIGNATURE)
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is no number, a body that is no UTF-8
            return False

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
        try:
            found = await self._translate(body, client, context)
            if found and not isinstance(found, BoltResponse) and translate.team_of(body) is None:
                raise ValueError("no team id")
        except SHAPE_ERRORS as exc:
            log.warning(
                "Slack %s payload not understood; acknowledged and dropped: %s",
                body.get("type") or body.get("command") or "unknown",
                _reason(exc),
            )
            return BoltResponse(status=200, body="")
        if isinstance(found, BoltResponse):
            return found
        try:
            for event in found:
                await self._accept(event)
        except OverloadedError as exc:
            return BoltResponse(status=503, body="busy", headers={**_retry_after(exc)})
        await next()
        return resp

    async def _translate(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found | BoltResponse:
        """The neutral events in the payload, or the answer a modal needs at once."""
        kind = body.get("type")
        if kind == "event_callback":
            return await self._event(body, client, context)
        if kind == "block_actions":
            return self._block_actions(body, client)
        if kind == "view_submission":
            return await self._view_submission(body, client)
        if kind == "message_action":
            return self._message_shortcut(body)
        if body.get("command"):
            return self._command(body, client)
        log.info("Slack %s payload ignored", kind or "unknown")
        return []

    async def _accept(self, event: InboundEvent) -> None:
        """Commit the event (raising means a 500, so Slack retries); the workers handle it
        after the ack."""
        if not await self._inbox.accept(event):
            log.info("Ignoring redelivered Slack %s %s", event.kind, event.idempotency_key)

    def _who(self, team: str, user: str) -> PersonInfo:
        """The person as far as known now; the rest is fetched after the ack (enrich)."""
        return self._people.cached(team, user)

    async def _person(self, client: AsyncWebClient, team: str, user: str) -> PersonInfo:
        return await self._people.person(client, team, user)

    # What the pipeline asks of Slack around handling (bot.kernel.ports.InboundHooks).

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
    ) -> Found:
        event = body["event"]
        kind = event.get("type")
        team = translate.team_of(body) or ""
        if kind == "message" and event.get("channel_type") == "im":
            return self._direct_message(body, team)
        if kind == "app_mention":
            if translate.from_a_person(event):
                sender = self._who(team, event["user"])
                return [translate.mention_event(body, sender, context.bot_user_id)]
        elif kind == "reaction_added":
            return await self._reaction(body, client)
        elif kind == "app_home_opened":
            if event.get("tab", "home") == "home":
                who = PersonInfo(user_id=event["user"])
                self._spawn(self._publish_home(client, team, who))
        elif kind == "user_change":
            self._people.forget(team, str((event.get("user") or {}).get("id")))
        else:
            log.info("Slack event %s ignored", kind)
        return []

    def _direct_message(self, body: dict[str, Any], team: str) -> Found:
        event = body["event"]
        if not translate.from_a_person(event) or translate.from_the_bot(body):
            return []
        return [translate.direct_message_event(body, self._who(team, event["user"]))]

    async def _reaction(self, body: dict[str, Any], client: AsyncWebClient) -> Found:
        event = body["event"]
        item = event.get("item") or {}
        if event.get("reaction") != translate.TICKET or item.get("type") != "message":
            return []
        if not (isinstance(item.get("channel"), str) and isinstance(item.get("ts"), str)):
            raise ValueError("a reaction's item without its channel and ts")
        team = translate.team_of(body) or ""
        message = await self._message(client, item["channel"], item["ts"])
        if message is None or not translate.from_a_person(message):
            log.info("The :ticket: message %s in %s is gone or not a person's", item["ts"], team)
            return []
        reactor = self._who(team, event["user"])
        author = self._who(team, message["user"])
        text = message.get("text") or ""
        return [translate.reaction_forward(body, reactor, author, text)]

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

    def _block_actions(self, body: dict[str, Any], client: AsyncWebClient) -> Found:
        team = translate.team_of(body) or ""
        sender = self._who(team, body["user"]["id"])
        found: Found = []
        modals: list[InputButton] = []
        for action in body.get("actions") or []:
            action_id = str(action.get("action_id") or "")
            button = read_input_button(action_id, str(action.get("value") or ""))
            if button is not None:
                modals.append(button)
            else:
                found.append(translate.action_event(body, action, sender))
        # Opened once the whole payload is understood, not for half of one.
        for button in modals:
            self._spawn(self._open_input_modal(client, body, button))
        return found

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
    ) -> Found | BoltResponse:
        view = body["view"]
        callback = view.get("callback_id")
        team = translate.team_of(body) or ""
        if callback not in (CALLBACK_INPUT, CALLBACK_REQUEST):
            log.info("Slack view %s submitted; not Heatshield's", callback)
            return []
        sender = await self._person(client, team, body["user"]["id"])
        event: InboundEvent
        try:
            if callback == CALLBACK_INPUT:
                event = translate.input_submission_event(body, sender)
            else:
                event = translate.request_submission_event(body, sender, self._translator(sender))
        except InvalidInputError as exc:
            return _view_errors({exc.field: exc.problem})
        return [event]

    def _message_shortcut(self, body: dict[str, Any]) -> Found:
        if body.get("callback_id") != translate.FORWARD_SHORTCUT:
            log.info("Slack shortcut %s ignored", body.get("callback_id"))
            return []
        team = translate.team_of(body) or ""
        message = body.get("message") or {}
        if not translate.from_a_person(message):
            log.info("Shortcut on a message without a person as author; ignored")
            return []
        forwarder = self._who(team, body["user"]["id"])
        author = self._who(team, message["user"])
        return [translate.shortcut_forward(body, forwarder, author)]

    def _command(self, body: dict[str, Any], client: AsyncWebClient) -> Found:
        if body.get("command") != translate.REQUEST_COMMAND:
            log.info("Slack command %s ignored", body.get("command"))
            return []
        team = translate.team_of(body) or ""
        sender = self._who(team, body["user_id"])
        text = translate.plain_text(body.get("text") or "")
        if text:
            # "/request status", or a request typed in one go: stored before the ack, like a DM,
            # so it cannot get lost with a form that failed to open.
            return [translate.command_event(body, sender)]
        self._spawn(self._open_request_modal(client, team, body))
        return []

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


def _as_direct_message(body: bytes, request: web.Request) -> dict[str, Any] | None:
    """The verified body when it is an event of a person's direct message to the bot (Slack
    sends them as JSON), else None: bolt reads it then."""
    if request.content_type != "application/json":
        return None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict) or payload.get("type") != "event_callback":
        return None
    event = payload.get("event")
    if not isinstance(event, dict) or event.get("type") != "message":
        return None
    if event.get("channel_type") != "im" or nested_too_deep(payload):
        return None
    return payload


def _bolt_request(body: bytes, request: web.Request) -> AsyncBoltRequest | None:
    """The verified body as bolt reads it, or None when it is no Slack payload at all (no
    UTF-8, no JSON, not an object, nested absurdly deep)."""
    try:
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
    except (*SHAPE_ERRORS, RecursionError) as exc:
        log.warning("Refused a signed Slack request that is no payload: %s", _reason(exc))
        return None
    if not _shaped_for_bolt(bolt_request.body):
        log.warning("Refused a signed Slack request that is no payload: not shaped as one")
        return None
    return bolt_request


# The parts bolt itself reads before any middleware of ours, as Slack documents them.
OBJECTS = ("event", "view", "container", "user")
OBJECTS_OR_NULL = ("team", "enterprise", "channel", "message")
MATCHED_KEYS = ("type", "subtype", "command", "callback_id", "action_id", "block_id")
# What bolt reads out of every payload before our middleware runs (its kwargs injection).
BOLT_READERS = (
    payload_utils.to_options,
    payload_utils.to_shortcut,
    payload_utils.to_action,
    payload_utils.to_view,
    payload_utils.to_command,
    payload_utils.to_event,
    payload_utils.to_message,
    payload_utils.to_step,
)


def _shaped_for_bolt(body: Any) -> bool:
    """Whether bolt can route the payload without tripping over it (its own readers assume
    the documented shape and would answer 500): our checks, then bolt's own readers."""
    if not isinstance(body, dict) or nested_too_deep(body):
        return False
    try:
        for read in BOLT_READERS:
            read(body)
    except (*SHAPE_ERRORS, RecursionError):
        return False
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return False
    if any(key in body and not isinstance(body[key], dict) for key in OBJECTS):
        return False
    if any(not isinstance(body.get(key), dict | None) for key in OBJECTS_OR_NULL):
        return False
    actions = body.get("actions", [])
    if not (isinstance(actions, list) and all(_an_action(a) for a in actions)):
        return False
    # What bolt's matchers compare with patterns must be text.
    matched = [body, body.get("event") or {}, body.get("view") or {}, *actions]
    return all(isinstance(part.get(key), str | None) for part in matched for key in MATCHED_KEYS)


def _an_action(action: Any) -> bool:
    """Slack sends every action with its type and id; bolt's matchers read both."""
    return isinstance(action, dict) and all(
        isinstance(action.get(key), str) for key in ("type", "action_id")
    )


def _retry_after(exc: OverloadedError) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


def _reason(exc: BaseException) -> str:
    """One line on what was wrong (a pydantic error names the field and the problem)."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}"
    return f"{type(exc).__name__}: {exc}"[:300]


def _view_errors(errors: dict[str, str]) -> BoltResponse:
    body = json.dumps({"response_action": "errors", "errors": errors})
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})


async def _ack(ack: AsyncAck) -> None:
    await ack()


async def _nothing_more() -> None:
    """Events are acknowledged by bolt before the listener runs; the middleware did the work."""
