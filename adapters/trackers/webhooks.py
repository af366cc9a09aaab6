"""The trackers' webhooks: each delivery verified as the tracker signs it, stored (deduplicated
by its delivery id) before it is answered 200 like every inbound, and handled by the workers.
A forged delivery is answered 401 and written to the audit log."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from adapters.trackers.azure_devops import webhook as azure_devops
from adapters.trackers.comment import Comment
from adapters.trackers.github import webhook as github
from adapters.trackers.jira import webhook as jira
from adapters.trackers.linear import webhook as linear
from bot.kernel.clock import Clock
from bot.kernel.errors import OverloadedError
from bot.kernel.events import (
    ANY_CONTROL,
    ConversationRef,
    PersonInfo,
    TrackerEvent,
    TrackerState,
    for_requester,
)
from bot.kernel.payloads import nested_too_deep
from bot.kernel.ports import Inbox
from storage.models import AuditEntry, WorkspaceTracker
from storage.repositories import Database

log = logging.getLogger(__name__)
BUSY = "busy; deliver it again in a moment"
AUDIT_EVERY = timedelta(minutes=1)
AUDITED_KEPT = 1000


class TrackerWebhooks:
    def __init__(self, db: Database, inbox: Inbox, clock: Clock) -> None:
        self._db = db
        self._inbox = inbox
        self._clock = clock
        # Per tracker and project: when a refusal was last audited, and how many came since.
        self._audited: dict[tuple[str, str], tuple[datetime, int]] = {}

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/trackers/github/webhook", _shaped(self.github))
        app.router.add_post("/trackers/jira/webhook", _shaped(self.jira))
        app.router.add_post("/trackers/linear/webhook", _shaped(self.linear))
        app.router.add_post("/trackers/azure-devops/webhook", _shaped(self.azure_devops))

    async def github(self, request: web.Request) -> web.Response:
        body = await request.read()
        delivery = request.headers.get("X-GitHub-Delivery", "")
        if not delivery or len(delivery) > 128:
            return _error(400, "X-GitHub-Delivery: a delivery id is required")
        payload = _json(body)
        if payload is None:
            return _error(400, "body: not a JSON object")
        signature = request.headers.get("X-Hub-Signature-256", "")
        verified = await self._verified(
            "github", github.repository_of(payload), lambda s: github.signed(body, signature, s)
        )
        if not verified:
            return _error(401, "X-Hub-Signature-256: the signature does not match")
        kind = request.headers.get("X-GitHub-Event")
        if kind == "issue_comment":
            return await self._comment("github", verified, github.comment_of(payload), delivery)
        change = github.issue_change(payload) if kind == "issues" else None
        if change is None:
            return _ignored()
        key, state = change
        sender = payload.get("sender")
        login = str(sender.get("login", "github")) if isinstance(sender, dict) else "github"
        return await self._accept("github", verified, key, login, delivery, state=state)

    async def jira(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = _json(body)
        if payload is None:
            return _error(400, "body: not a JSON object")
        given = request.query.get("secret", "")
        verified = await self._verified(
            "jira", jira.project_of(payload), lambda s: jira.secret_matches(given, s)
        )
        if not verified:
            return _error(401, "secret: the webhook's secret does not match")
        identifier = request.headers.get("X-Atlassian-Webhook-Identifier", "")[:128]
        delivery = jira.delivery_of(payload, identifier)[:128]
        if payload.get("webhookEvent") == "comment_created":
            return await self._comment("jira", verified, jira.comment_of(payload), delivery)
        change = jira.issue_change(payload)
        if change is None:
            return _ignored()
        key, state = change
        user = payload.get("user")
        who = str(user.get("displayName", "jira")) if isinstance(user, dict) else "jira"
        return await self._accept("jira", verified, key, who, delivery, state=state)

    async def linear(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = _json(body)
        if payload is None:
            return _error(400, "body: not a JSON object")
        signature = request.headers.get("Linear-Signature", "")
        verified = await self._verified(
            "linear", linear.team_of(payload), lambda s: linear.signed(body, signature, s)
        )
        if not verified:
            return _error(401, "Linear-Signature: the signature does not match")
        delivery = request.headers.get("Linear-Delivery", "")[:128] or str(
            payload.get("webhookTimestamp", "")
        )
        if payload.get("type") == "Comment":
            return await self._comment("linear", verified, linear.comment_of(payload), delivery)
        change = linear.issue_change(payload)
        if change is None:
            return _ignored()
        key, state = change
        actor = payload.get("actor")
        who = str(actor.get("name", "linear")) if isinstance(actor, dict) else "linear"
        return await self._accept("linear", verified, key, who, delivery, state=state)

    async def azure_devops(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = _json(body)
        if payload is None:
            return _error(400, "body: not a JSON object")
        authorization = request.headers.get("Authorization", "")
        verified = await self._verified(
            "azure-devops",
            azure_devops.project_of(payload),
            lambda s: azure_devops.password_matches(authorization, s),
        )
        if not verified:
            return _error(401, "Authorization: the service hook's password does not match")
        delivery = str(payload.get("id") or payload.get("notificationId") or "")[:128]
        if not delivery:
            return _error(400, "id: the event's id is required")
        if payload.get("eventType") == "workitem.commented":
            comment = azure_devops.comment_of(payload)
            return await self._comment("azure-devops", verified, comment, delivery)
        change = azure_devops.item_change(payload)
        if change is None:
            return _ignored()
        key, state = change
        resource = payload.get("resource") or {}
        revised = (resource.get("revisedBy") or {}) if isinstance(resource, dict) else {}
        who = str(revised.get("displayName", "azure-devops"))
        return await self._accept("azure-devops", verified, key, who, delivery, state=state)

    async def _comment(
        self,
        kind: str,
        rows: list[WorkspaceTracker],
        found: Comment | None,
        delivery: str,
    ) -> web.Response:
        """A comment is stored to be relayed only when it is marked for the requester; it is
        known by its own id where the tracker gives one, so a signed delivery sent again
        under a new delivery id is a duplicate, not a second message to the stakeholder."""
        text = for_requester(found.text) if found else None
        if found is None or text is None:
            return _ignored("not a comment for the requester")
        once = f"comment-{found.comment_id}" if _id(found.comment_id) else delivery
        return await self._accept(kind, rows, found.key, found.author, once, comment=text)

    async def _accept(
        self,
        kind: str,
        rows: list[WorkspaceTracker],
        key: str,
        who: str,
        delivery: str,
        *,
        state: TrackerState | None = None,
        comment: str | None = None,
    ) -> web.Response:
        """Store the move or the comment for each workspace whose tracker it is, before
        answering 200."""
        key, who, delivery = _id(key), _id(who) or kind, _id(delivery, 128)
        if not key or not delivery:
            return _error(400, "body: the item's key and the delivery's id are required")
        accepted = 0
        for row in rows:
            event = TrackerEvent(
                conversation=ConversationRef(
                    platform=kind, workspace=str(row.workspace_id), channel=key
                ),
                sender=PersonInfo(user_id=who),
                key=key,
                state=state,
                comment=comment,
                idempotency_key=f"{kind}:{delivery}:{row.workspace_id}",
            )
            if self._inbox.shedding():
                return _error(503, BUSY, retry_after=1)
            try:
                accepted += await self._inbox.accept(event)
            except OverloadedError as exc:
                return _error(503, BUSY, retry_after=exc.retry_after)
        return web.json_response({"accepted": accepted})

    async def _verified(
        self, kind: str, place: str | None, proves: Callable[[str], bool]
    ) -> list[WorkspaceTracker]:
        """The workspaces whose tracker this is and whose secret the delivery proves it knows;
        a delivery that proves none is written to the audit log."""
        rows: list[WorkspaceTracker] = []
        # A control character (a NUL) names no project: nothing to look up, nor to store.
        if place and not ANY_CONTROL.search(place):
            async with self._db.read() as uow:
                rows = list(await uow.trackers.with_place(kind=kind, place=place))
        verified = [row for row in rows if row.webhook_secret and proves(row.webhook_secret)]
        if not verified:
            await self._refused(kind, rows, place, "the secret or signature does not match")
        return verified

    async def _refused(
        self, kind: str, rows: list[WorkspaceTracker], place: str | None, reason: str
    ) -> None:
        """Written to the audit log (and the log) once a minute per tracker and project at
        most: a flood of forged deliveries is counted in the next row, not a row each."""
        now = self._clock.now()
        target = _id(place or "") or None
        key = (kind, target or "")
        last = self._audited.pop(key, None)
        if last is not None and now - last[0] < AUDIT_EVERY:
            self._audited[key] = (last[0], last[1] + 1)
            return
        self._audited[key] = (now, 0)
        while len(self._audited) > AUDITED_KEPT:  # the least recently refused go first
            self._audited.pop(next(iter(self._audited)))
        if last is not None and last[1]:
            reason = f"{reason} ({last[1]} more refused in the minute before)"
        log.warning("Refused a %s webhook for %r: %s", kind, place, reason)
        async with self._db.transaction() as uow:
            await uow.audit.add(
                AuditEntry(
                    workspace_id=rows[0].workspace_id if rows else None,
                    platform=kind,
                    actor_user_id="webhook",
                    action=f"{kind}_webhook",
                    target=target,
                    reason=reason,
                    at=now,
                )
            )


Route = Callable[[web.Request], Awaitable[web.Response]]


def _shaped(route: Route) -> Route:
    """A delivery whose JSON is not in the shape the tracker sends (a list where an object
    belongs, a number for a name, an id the neutral event refuses) is answered 400 in words,
    not 500: the trackers would only deliver it again."""

    async def guarded(request: web.Request) -> web.Response:
        try:
            return await route(request)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            log.info("A delivery at %s not in its tracker's shape: %s", request.path, exc)
            return _error(400, "body: not in the shape this tracker sends")

    return guarded


def _id(value: str, limit: int = 255) -> str:
    """A tracker's id or name as an id may be kept: without control characters (a NUL cannot
    be stored), clipped."""
    return ANY_CONTROL.sub("", value)[:limit]


def _ignored(why: str = "not a move of an item") -> web.Response:
    return web.json_response({"accepted": 0, "ignored": why})


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict) or nested_too_deep(payload):
        return None
    return payload


def _error(status: int, message: str, *, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.json_response({"error": message}, status=status, headers=headers)
