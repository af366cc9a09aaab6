"""A thin client for the playground's JSON API, as the page and scripts use it."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient


class Playground:
    def __init__(self, http: TestClient, workspace: str = "demo") -> None:  # type: ignore[type-arg]
        self.http = http
        self.workspace = workspace

    async def say(self, user: str, text: str, **extra: Any) -> dict[str, Any]:
        """Post a message; a user the workspace does not know yet is taken in (``create``)."""
        body = {"workspace": self.workspace, "user": user, "text": text, "create": True, **extra}
        response = await self.http.post("/playground/api/messages", json=body)
        assert response.status == 200, await response.text()
        return dict(await response.json())

    async def click(
        self, user: str, action_id: str, value: str, input: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "workspace": self.workspace,
            "user": user,
            "action_id": action_id,
            "value": value,
        }
        if input is not None:
            body["input"] = input
        response = await self.http.post("/playground/api/actions", json=body)
        assert response.status == 200, await response.text()
        return dict(await response.json())

    async def inbox(self, user: str) -> list[dict[str, Any]]:
        """What the bot sent the person, oldest first."""
        return [m for m in await self.conversation(user) if m["from"] == "bot"]

    async def conversation(self, user: str) -> list[dict[str, Any]]:
        """The person's whole conversation: their own messages and the bot's, oldest first."""
        response = await self.http.get(
            "/playground/api/inbox", params={"workspace": self.workspace, "user": user}
        )
        assert response.status == 200, await response.text()
        return list((await response.json())["messages"])

    async def last(self, user: str) -> dict[str, Any]:
        messages = await self.inbox(user)
        assert messages, f"{user} has no messages"
        return messages[-1]


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for candidate in message["buttons"]:
        if candidate["action_id"] == action_id:
            return dict(candidate)
    raise AssertionError(f"no {action_id} button in {message['buttons']}")
