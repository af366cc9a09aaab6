"""The playground: chat as any person of a workspace in a web page, no credentials needed.

Every message goes the same way as Slack's and Teams': stored, handled, and answered through
the outbox; the playground's "platform" is an inbox table, so it survives restarts and replicas.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from adapters.playground.render import inbox_entry, own_message
from adapters.playground.translate import (
    PLATFORM,
    ActionBody,
    MessageBody,
    action_event,
    message_event,
    parse,
)
from bot.kernel.clock import Clock
from bot.kernel.errors import InvalidInputError, NotFoundError, OverloadedError
from bot.kernel.events import ANY_CONTROL, MAX_ID, InboundEvent, MessageEvent
from bot.kernel.payloads import nested_too_deep
from bot.kernel.ports import Inbox
from storage.models import PlaygroundMessage
from storage.repositories import Database

log = logging.getLogger(__name__)


class UnknownPersonError(NotFoundError):
    def __init__(self, user: str) -> None:
        super().__init__("person", user)
        self.args = (
            f"user: nobody called {user!r} in this workspace; "
            'send "create": true to take them in as a stakeholder',
        )


PAGE = Path(__file__).parent / "static" / "index.html"
PREFIX = "/playground"


def content_security_policy(page: str) -> str:
    """Only the page's own inline script and style run (by their hashes), it talks only to
    this server, and no other site may frame it."""

    def hashes(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)
        digests = (base64.b64encode(hashlib.sha256(b.encode()).digest()) for b in blocks)
        return " ".join(f"'sha256-{d.decode()}'" for d in digests)

    return (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": content_security_policy(PAGE.read_text(encoding="utf-8")),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(PREFIX):
        response.headers.update(SECURITY_HEADERS)


class PlaygroundRoutes:
    def __init__(
        self, db: Database, inbox: Inbox, deliver: Callable[[], Awaitable[int]], clock: Clock
    ) -> None:
        self._db = db
        self._clock = clock
        self._inbox = inbox
        self._deliver = deliver

    def mount(self, app: web.Application) -> None:
        app.on_response_prepare.append(_secure)
        app.router.add_get("/playground", self.page)
        app.router.add_get("/playground/", self.page)
        app.router.add_get("/playground/api/workspaces", self.workspaces)
        app.router.add_post("/playground/api/messages", self.post_message)
        app.router.add_post("/playground/api/actions", self.post_action)
        app.router.add_get("/playground/api/inbox", self.inbox)

    async def page(self, _: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache"})

    async def workspaces(self, _: web.Request) -> web.Response:
        async with self._db.transaction() as uow:
            result = []
            for workspace in await uow.workspaces.all(platform=PLATFORM):
                people = await uow.people.in_workspace(workspace_id=workspace.id)
                result.append(
                    {
                        "workspace": workspace.external_id,
                        "name": workspace.name,
                        "people": [
                            {"user": p.platform_user_id, "name": p.name, "role": p.role}
                            for p in people
                        ],
                    }
                )
        return web.json_response({"workspaces": result})

    async def post_message(self, request: web.Request) -> web.Response:
        return await self._receive(request, _message)

    async def post_action(self, request: web.Request) -> web.Response:
        # A click by someone unknown is not refused here: the bot refuses it, and audits it.
        return await self._receive(
            request, lambda body: (action_event(parse(ActionBody, body)), False)
        )

    async def inbox(self, request: web.Request) -> web.Response:
        try:
            workspace = _required(request.query, "workspace")
            user = _required(request.query, "user")
            after = int(request.query.get("after", "0"))
            if not 0 <= after < 2**31:
                raise ValueError(after)
            await self._ensure_workspace(workspace)
        except ValueError:
            return _error(400, "after: must be a whole number")
        except InvalidInputError as exc:
            return _error(400, str(exc))
        except NotFoundError as exc:
            return _error(404, str(exc))
        async with self._db.transaction() as uow:
            rows = await uow.playground.inbox(workspace=workspace, user_id=user, after_id=after)
            messages = [inbox_entry(row) for row in rows]
        return web.json_response({"messages": messages})

    async def _receive(
        self, request: web.Request, translate: Callable[[Any], tuple[InboundEvent, bool]]
    ) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return _error(400, "body: not valid JSON")
        if nested_too_deep(body):
            return _error(400, "body: nested too deep")
        try:
            event, known_only = translate(body)
            await self._ensure_workspace(event.conversation.workspace)
            if known_only:
                await self._ensure_person(event.conversation.workspace, event.sender.user_id)
        except InvalidInputError as exc:
            return _error(400, str(exc))
        except ValidationError as exc:  # an id the neutral event refuses (a control character)
            first = exc.errors()[0]
            field = first["loc"][-1] if first["loc"] else "body"
            problem = str(first["msg"]).removeprefix("Value error, ")
            return _error(400, f"{field}: {problem}")
        except NotFoundError as exc:
            return _error(404, str(exc))
        try:
            if isinstance(event, MessageEvent):
                # Kept first, so it shows before the replies; sent again, it is kept once.
                await self._keep_own_message(event)
            fresh = await self._inbox.accept(event)
        except OverloadedError as exc:
            return _error(503, "busy; try again in a moment", retry_after=exc.retry_after)
        except (SQLAlchemyError, OSError) as exc:  # nothing accepted: the client sends it again
            log.warning("Could not keep a playground message (%s); asked to resend it", exc)
            return _error(503, "could not keep your message; send it again", retry_after=1)
        if fresh:
            # Handled here when no worker took it first; the answer waits for the replies.
            await self._inbox.process(event)
            await self._inbox.wait_handled(event)
        delivered = await self._deliver()
        return web.json_response({"accepted": True, "duplicate": not fresh, "delivered": delivered})

    async def _ensure_workspace(self, workspace: str) -> None:
        async with self._db.transaction() as uow:
            if await uow.workspaces.get(platform=PLATFORM, external_id=workspace) is None:
                raise NotFoundError("playground workspace", workspace)

    async def _ensure_person(self, workspace: str, user: str) -> None:
        async with self._db.read() as uow:
            found = await uow.workspaces.get(platform=PLATFORM, external_id=workspace)
            if found is None or await uow.people.get(workspace_id=found.id, user_id=user) is None:
                raise UnknownPersonError(user)

    async def _keep_own_message(self, event: MessageEvent) -> None:
        """What the person wrote, in their own conversation, before the bot's replies to it."""
        forward = event.forward_of
        workspace, user, key = (
            event.conversation.workspace, event.sender.user_id, event.idempotency_key
        )  # fmt: skip
        try:
            async with self._db.transaction() as uow:
                if await uow.playground.has_own(workspace=workspace, user_id=user, inbound_key=key):
                    return
                await uow.playground.add(
                    PlaygroundMessage(
                        workspace=workspace,
                        user_id=user,
                        from_person=True,
                        inbound_key=key,
                        message=own_message(event, forward.author.user_id if forward else None),
                        created_at=self._clock.now(),
                    )
                )
        except IntegrityError:  # the same event sent twice at once: the other one kept it
            return


def _message(body: Any) -> tuple[MessageEvent, bool]:
    parsed: MessageBody = parse(MessageBody, body)
    return message_event(parsed), not parsed.create


def _required(query: Any, name: str) -> str:
    value = str(query.get(name, ""))
    if not value:
        raise InvalidInputError(name, "is required")
    if ANY_CONTROL.search(value) or len(value) > MAX_ID:
        raise InvalidInputError(name, "is not a valid id")
    return value


def _error(status: int, message: str, *, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.json_response({"error": message}, status=status, headers=headers)
