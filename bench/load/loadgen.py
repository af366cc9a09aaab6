"""The load generator, in its own process: signed Slack `message.im` events or Teams personal
message activities, distinct ids, from 50 stakeholders, at a server, either closed-loop (C
connections, each sends again as soon as it is answered) or open-loop (R events a second,
whatever the answers). Writes one JSON object per event to OUT: when it was sent, to which
stakeholder and conversation, the answer's status and how long the answer took.

    python -m bench.load.loadgen URL slack SIGNING_SECRET closed CONNECTIONS SECONDS OUT PREFIX
    python -m bench.load.loadgen URL teams SERVICE_URL open RATE SECONDS OUT PREFIX

Teams activities are sent without a token (the server runs without an app id, so the
Bot Framework's JWT check is not part of the figures; the serviceUrl must be on this machine).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

TESTS = Path(__file__).resolve().parents[2] / "tests/adapters"
FIXTURE = TESTS / "slack/fixtures/message_im.json"
TEAMS_FIXTURE = TESTS / "teams/fixtures/personal_message.json"
STAKEHOLDERS = 50
TEXTS = (
    "Could the invoice overview get a filter on due date? Finance retypes it every month.",
    "The export on the orders page gives the wrong totals for returns.",
    "How do I give a colleague access to the shared reports?",
    "Kunnen we in het klantportaal ook op postcode zoeken? Nu bellen klanten ons daarvoor.",
    "De datum op de pakbon staat in het Amerikaanse formaat.",
)
TIMEOUT = aiohttp.ClientTimeout(total=30)


Event = tuple[str, str, str, dict[str, str]]  # stakeholder, conversation, body, headers


class Events:
    """Signed Slack `message.im` events."""

    def __init__(self, secret: str, prefix: str) -> None:
        self.template = json.loads(FIXTURE.read_text())
        self.verifier = SignatureVerifier(secret)
        self.prefix = prefix
        self.numbers = itertools.count()

    def next(self) -> Event:
        n = next(self.numbers)
        user = f"U{n % STAKEHOLDERS:04d}X"
        body = copy.deepcopy(self.template)
        body["event_id"] = f"Ev{self.prefix}{n:07d}"
        body["event"].update(
            user=user,
            channel="D" + user[1:],
            text=f"{TEXTS[n % len(TEXTS)]} (#{self.prefix}{n})",
            ts=f"{1763890200 + n}.000100",
            client_msg_id=f"{self.prefix}-{n}",
        )
        del body["event"]["blocks"]
        raw = json.dumps(body)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=raw),
        }
        return user, "D" + user[1:], raw, headers


class TeamsEvents:
    """Teams personal message activities, as the Bot Connector posts them."""

    def __init__(self, service_url: str, prefix: str) -> None:
        self.template = json.loads(TEAMS_FIXTURE.read_text())
        self.service_url = service_url
        self.prefix = prefix
        self.numbers = itertools.count()

    def next(self) -> Event:
        n = next(self.numbers)
        user = f"29:U{n % STAKEHOLDERS:04d}X"
        conversation = f"a:U{n % STAKEHOLDERS:04d}X"
        body = copy.deepcopy(self.template)
        body.update(
            id=f"{self.prefix}{n:07d}",
            serviceUrl=self.service_url,
            text=f"{TEXTS[n % len(TEXTS)]} (#{self.prefix}{n})",
        )
        body["from"] = {**body["from"], "id": user, "name": f"Person {n % STAKEHOLDERS}"}
        body["from"].pop("aadObjectId", None)
        body["conversation"] = {**body["conversation"], "id": conversation}
        return user, conversation, json.dumps(body), {"Content-Type": "application/json"}


async def send(
    session: aiohttp.ClientSession,
    url: str,
    events: Events | TeamsEvents,
    results: list[dict[str, Any]],
) -> None:
    user, conversation, raw, headers = events.next()
    sent = time.time()
    started = time.perf_counter()
    try:
        async with session.post(url, data=raw, headers=headers) as response:
            await response.read()
            status = response.status
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    results.append({
        "user": user, "channel": conversation, "sent": sent, "status": status,
        "seconds": time.perf_counter() - started,
    })  # fmt: skip


async def closed_loop(
    url: str, events: Events | TeamsEvents, connections: int, seconds: float
) -> list[Any]:
    results: list[dict[str, Any]] = []
    end = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as session:

        async def one_connection() -> None:
            while time.perf_counter() < end:
                await send(session, url, events, results)

        await asyncio.gather(*(one_connection() for _ in range(connections)))
    return results


async def open_loop(
    url: str, events: Events | TeamsEvents, rate: float, seconds: float
) -> list[Any]:
    results: list[dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as session:
        start = time.perf_counter()
        tasks = []
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(session, url, events, results)))
        await asyncio.gather(*tasks)
    return results


async def main(
    url: str, platform: str, key: str, mode: str, amount: str, seconds: str, prefix: str
) -> Any:
    events = TeamsEvents(key, prefix) if platform == "teams" else Events(key, prefix)
    if mode == "closed":
        return await closed_loop(url, events, int(amount), float(seconds))
    return await open_loop(url, events, float(amount), float(seconds))


if __name__ == "__main__":
    url, platform, key, mode, amount, seconds, out, prefix = sys.argv[1:]
    results = asyncio.run(main(url, platform, key, mode, amount, seconds, prefix))
    Path(out).write_text("\n".join(json.dumps(r) for r in results), encoding="utf-8")
