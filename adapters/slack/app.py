"""POST /slack/events (and Socket Mode): verify, store, ack, handle.

The signature is checked on the raw body first. A person's direct message to the bot (most of
what Slack sends) is then translated and committed in a fast lane of its own; every other
payload goes through bolt's AsyncApp, whose matchers route each kind Heatshield handles to its
listener. In front of every listener sits the same middleware: it translates the payload into
neutral events (the kind's reader) and commits each (the inbox's accept) before the listener
acknowledges it. What no listener matches is acknowledged and stored nowhere. Either way acked
means stored, and a redelivery (the same event_id, or the same click) is recognised by its key and
changes nothing. Nothing on the way to the ack asks Slack who someone is: the people in an event
are as far as cached, and users.info fills them in after the ack (enrich). The workers handle what
is stored after the ack. Opening a modal and publishing the App Home are answers on Slack's
screen, not messages, so the listeners start them after the ack; every message goes through the
outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from re import Pattern
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import ValidationError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError
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
    ACTION_ID,
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
SIGNATURE = "X-Slack-Signature"
TIMESTAMP = "X-Slack-Request-Timestamp"
# What reading a signed payload of an unexpected shape raises (a missing key, a null where an
# object belongs, an id no event may carry): Slack would send it again forever if answered 500.
SHAPE_ERRORS = (KeyError, TypeError, AttributeError, IndexError, ValueError)
# The message events that are a person writing (bolt's subtype constraint: None is no subtype).
PERSON_MESSAGES: dict[str, str | Sequence[str | Pattern[str] | None] | None] = {
    "type": "message",
    "subtype": translate.MESSAGE_SUBTYPES,
}
Next = Callable[[], Awaitable[None]]
Found = list[InboundEvent]
# A kind's reader: the neutral events in its payload, read before the ack (no Web API call but
# the :ticket: reaction's message); raises one of SHAPE_ERRORS for a payload it cannot read.
Reader = Callable[[dict[str, Any], AsyncWebClient, AsyncBoltContext], Awaitable[Found]]
StoreThenAck = Callable[..., Awaitable[BoltResponse | None]]


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
            # The listeners only acknowledge and start what comes after the ack (a modal, the
            # App Home) as tasks of ours, so the response waits for nothing else, and no ack
            # waits on the 10 ms poll bolt runs for a listener left running on its own.
            process_before_response=True,
            # What no listener matches reaches _unhandled_or_failed, which acknowledges it (in
            # Socket Mode too, where bolt's 404 would leave the envelope unacknowledged).
            raise_error_for_unhandled_request=True,
            # Heatshield answers through the outbox, never with bolt's say() or set_status().
            attaching_conversation_kwargs_enabled=False,
        )
        self.app.error(self._unhandled_or_failed)
        self._listen()

    def _listen(self) -> None:
        """What Heatshield handles, by bolt's matchers, each with the middleware that stores it
        in front of its listener."""
        app, stored = self.app, self._store_then_ack
        app.event(
            PERSON_MESSAGES,
            matchers=[_in_a_direct_message],
            middleware=[stored(self._read_direct_message)],
        )(_nothing_more)
        app.event("app_mention", middleware=[stored(self._read_mention)])(_nothing_more)
        app.event("reaction_added", middleware=[stored(self._read_reaction)])(_nothing_more)
        app.event("app_home_opened", middleware=[stored(self._read_home_opened)])(self._show_home)
        app.event("user_change", middleware=[stored(self._read_user_change)])(self._forget_user)
        app.action(
            {"type": "block_actions", "action_id": ACTION_ID},
            middleware=[stored(self._read_clicks)],
        )(self._open_input_modals)
        app.view(CALLBACK_INPUT, middleware=[stored(self._read_input_submission)])(_ack)
        app.view(CALLBACK_REQUEST, middleware=[stored(self._read_request_submission)])(_ack)
        app.shortcut(
            {"type": "message_action", "callback_id": translate.FORWARD_SHORTCUT},
            middleware=[stored(self._read_forward)],
        )(_ack)
        app.command(translate.REQUEST_COMMAND, middleware=[stored(self._read_command)])(
            self._open_request_form
        )

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
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

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

    # The middleware in front of every listener: translate, store, then let the listener ack.

    def _store_then_ack(self, read: Reader) -> StoreThenAck:
        """The listener middleware for a kind of payload, given the kind's reader."""

        async def store_then_ack(
            body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, next: Next
        ) -> BoltResponse | None:
            """Commit the payload's neutral events before its listener acknowledges it; a
            payload that cannot be read is acknowledged and dropped, a view's input that is not
            right is answered with its errors, and a full store answers 503."""
            try:
                found = await read(body, client, context)
                if found and translate.team_of(body) is None:
                    raise ValueError("no team id")
            except InvalidInputError as exc:
                return _view_errors({exc.field: exc.problem})
            except SHAPE_ERRORS as exc:
                log.warning(
                    "Slack %s payload not understood; acknowledged and dropped: %s",
                    _what(body),
                    _reason(exc),
                )
                return BoltResponse(status=200, body="")
            try:
                for event in found:
                    await self._accept(event)
            except OverloadedError as exc:
                return BoltResponse(status=503, body="busy", headers={**_retry_after(exc)})
            await next()
            return None

        return store_then_ack

    async def _unhandled_or_failed(
        self, error: Exception, body: dict[str, Any]
    ) -> BoltResponse | None:
        """Bolt's error handler. A payload no listener matches is not Heatshield's: answered
        200 so that Slack does not send it again, and nothing is stored. Anything else that
        failed stays a 500, so that Slack delivers it again."""
        if isinstance(error, BoltUnhandledRequestError):
            log.info("Slack %s is not handled by Heatshield; acknowledged", _what(body))
            return BoltResponse(status=200, body="")
        log.error("Slack %s failed; answered 500, Slack delivers it again", _what(body),
                  exc_info=error)  # fmt: skip
        return None

    async def _accept(self, event: InboundEvent) -> None:
        """Commit the event (raising means a 500, so Slack retries); the workers handle it
        after the ack."""
        if not await self._inbox.accept(event):
            log.info("Ignoring redelivered Slack %s %s", event.kind, event.idempotency_key)

    def _who(self, team: str, user: str) -> PersonInfo:
        """The person as far as known now; the rest is fetched after the ack (enrich)."""
        return self._people.cached(team, user)

    async def _person(self, client: AsyncWebClient, team: str, user: str) -> PersonInfo:
        """The person from users.info: only ever after the ack."""
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

    def _translator(self, language: str | None) -> Translator:
        return Translator(normalise_language(language, self._services.defaults.language))

    # The readers, one per kind: what the middleware stores before the ack.

    async def _read_direct_message(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """A message in the bot's DM that reached bolt (Socket Mode): what the fast lane does."""
        return self._direct_message(body, translate.team_of(body) or "")

    def _direct_message(self, body: dict[str, Any], team: str) -> Found:
        event = body["event"]
        if not translate.from_a_person(event) or translate.from_the_bot(body):
            return []
        return [translate.direct_message_event(body, self._who(team, event["user"]))]

    async def _read_mention(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        event = body["event"]
        if not translate.from_a_person(event):
            return []
        sender = self._who(translate.team_of(body) or "", event["user"])
        return [translate.mention_event(body, sender, context.bot_user_id)]

    async def _read_reaction(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """The :ticket: reaction: the message it is on, read from Slack, forwarded."""
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

    async def _read_home_opened(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """Nothing to store; read here so that a payload of an odd shape is acknowledged and
        logged before its listener would trip over it."""
        _home_owner(body)
        return []

    async def _read_user_change(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """Nothing to store; read here, as the App Home's."""
        _changed_user(body)
        return []

    async def _read_clicks(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """The clicks on the bot's buttons and menus; an "input:" button's click is stored
        when its modal is submitted, not now."""
        sender = self._who(translate.team_of(body) or "", body["user"]["id"])
        _input_buttons(body)  # read now: its listener opens them
        return [translate.action_event(body, action, sender) for action in _clicks(body)]

    async def _read_input_submission(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """The input modal, submitted: the click it was opened for."""
        sender = self._who(translate.team_of(body) or "", body["user"]["id"])
        return [translate.input_submission_event(body, sender)]

    async def _read_request_submission(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """The /request modal, submitted, in the language the modal was written in."""
        sender = self._who(translate.team_of(body) or "", body["user"]["id"])
        language = translate.modal_language(body["view"]) or sender.language
        return [translate.request_submission_event(body, sender, self._translator(language))]

    async def _read_forward(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """The message shortcut "Send to Product Owner"."""
        team = translate.team_of(body) or ""
        message = body.get("message") or {}
        if not translate.from_a_person(message):
            log.info("Shortcut on a message without a person as author; ignored")
            return []
        forwarder = self._who(team, body["user"]["id"])
        author = self._who(team, message["user"])
        return [translate.shortcut_forward(body, forwarder, author)]

    async def _read_command(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> Found:
        """/request status, or a request typed in one go: stored before the ack, like a DM,
        so it cannot get lost with a form that failed to open. A bare /request opens the form
        (its listener)."""
        sender = self._who(translate.team_of(body) or "", body["user_id"])
        return [translate.command_event(body, sender)] if _typed(body) else []

    # The listeners, one per kind, each after the middleware stored its events.

    async def _show_home(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """app_home_opened, acknowledged by bolt: the App Home, built afresh."""
        owner = _home_owner(body)
        if owner is not None:
            self._spawn(self._publish_home(client, translate.team_of(body) or "", owner))

    async def _forget_user(self, body: dict[str, Any]) -> None:
        """user_change, acknowledged by bolt: what is cached of the person is out of date."""
        self._people.forget(*_changed_user(body))

    async def _open_input_modals(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A click: acknowledged; a button that asks for something first opens its modal
        (once the whole payload is understood, not for half of one)."""
        await ack()
        for button in _input_buttons(body):
            self._spawn(self._open_input_modal(client, body, button))

    async def _open_input_modal(
        self, client: AsyncWebClient, body: dict[str, Any], button: InputButton
    ) -> None:
        team = translate.team_of(body) or ""
        sender = await self._person(client, team, body["user"]["id"])
        metadata = translate.modal_metadata(body, button.action_id, button.value)
        metadata["h"] = (body.get("view") or {}).get("type") == "home"
        view = input_modal(self._translator(sender.language), button, metadata)
        await self._open(client, body["trigger_id"], view)

    async def _open(self, client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> None:
        try:
            await client.views_open(trigger_id=trigger_id, view=view)
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as exc:
            log.warning("views.open failed: %s", exc)

    async def _open_request_form(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """/request: acknowledged; without a request typed after it, it opens the form."""
        await ack()
        if not _typed(body):
            self._spawn(self._open_request_modal(client, translate.team_of(body) or "", body))

    async def _open_request_modal(
        self, client: AsyncWebClient, team: str, body: dict[str, Any]
    ) -> None:
        sender = await self._person(client, team, body["user_id"])
        view = request_modal(self._translator(sender.language), "")
        await self._open(client, body["trigger_id"], view)

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


# What the readers and the listeners of a kind both read out of its payload.


def _home_owner(body: dict[str, Any]) -> PersonInfo | None:
    """Whose App Home was opened; None for its Messages tab."""
    event = body["event"]
    if event.get("tab", "home") != "home":
        return None
    return PersonInfo(user_id=event["user"])


def _changed_user(body: dict[str, Any]) -> tuple[str, str]:
    """(team, user) of a user_change."""
    user = body["event"].get("user") or {}
    return translate.team_of(body) or "", str(user.get("id"))


def _input_buttons(body: dict[str, Any]) -> list[InputButton]:
    """The clicked buttons that ask for something first: each opens its modal."""
    buttons = (
        read_input_button(str(action.get("action_id") or ""), str(action.get("value") or ""))
        for action in body.get("actions") or []
    )
    return [button for button in buttons if button is not None]


def _clicks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The clicks stored as they are: the bot's own actions but the "input:" buttons."""
    return [
        action
        for action in body.get("actions") or []
        if ACTION_ID.search(str(action.get("action_id") or ""))
        and read_input_button(str(action["action_id"]), str(action.get("value") or "")) is None
    ]


def _typed(body: dict[str, Any]) -> bool:
    """Whether a request (or "status") was typed after the command."""
    return bool(translate.plain_text(body.get("text") or ""))


async def _in_a_direct_message(event: dict[str, Any]) -> bool:
    """A listener matcher: the message is in a person's DM with the bot."""
    return event.get("channel_type") == "im"


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


def _what(body: Any) -> str:
    """What kind of payload it is, for the log: "event_callback app_mention", "block_actions"."""
    if not isinstance(body, dict):
        return "payload"
    kind = str(body.get("type") or body.get("command") or "unknown")
    event = body.get("event")
    return f"{kind} {event.get('type')}" if isinstance(event, dict) else kind


async def _ack(ack: AsyncAck) -> None:
    """A listener that acknowledges: what was to be stored, the middleware stored."""
    await ack()


async def _nothing_more() -> None:
    """Events are acknowledged by bolt after their listener; the middleware did the work."""
