"""The load generator, in its own process: signed Slack `message.im` events, distinct ids, from
50 stakeholders, at a server, either closed-loop (C connections, each sends again as soon as it
is answered) or open-loop (R events a second, whatever the answers). Writes one JSON object per
event to OUT: when it was sent, the answer's status and how long the answer took.

    python -m bench.load.loadgen URL SECRET closed CONNECTIONS SECONDS OUT PREFIX
    python -m bench.load.loadgen URL SECRET open RATE SECONDS OUT PREFIX
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

FIXTURE = Path(__file__).resolve().parents[2] / "tests/adapters/slack/fixtures/message_im.json"
STAKEHOLDERS = 50
TEXTS = (
    "Could the invoice overview get a filter on due date? Finance retypes it every month.",
    "The export on the orders page gives the wrong totals for returns.",
    "How do I give a colleague access to the shared reports?",
    "Kunnen we in het klantportaal ook op postcode zoeken? Nu bellen klanten ons daarvoor.",
    "De datum op de pakbon staat in het Amerikaanse formaat.",
)
TIMEOUT = aiohttp.ClientTimeout(total=30)


class Events:
    def __init__(self, secret: str, prefix: str) -> None:
        self.template = json.loads(FIXTURE.read_text())
        self.verifier = SignatureVerifier(secret)
        self.prefix = prefix
        self.numbers = itertools.count()

    def next(self) -> tuple[str, str, dict[str, str]]:
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
        return user, raw, headers


async def send(
    session: aiohttp.ClientSession, url: str, events: Events, results: list[dict[str, Any]]
) -> None:
    user, raw, headers = events.next()
    sent = time.time()
    started = time.perf_counter()
    try:
        async with session.post(url, data=raw, headers=headers) as response:
            await response.read()
            status = response.status
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    results.append(
        {"user": user, "sent": sent, "status": status, "seconds": time.perf_counter() - started}
    )


async def closed_loop(url: str, events: Events, connections: int, seconds: float) -> list[Any]:
    results: list[dict[str, Any]] = []
    end = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as session:

        async def one_connection() -> None:
            while time.perf_counter() < end:
                await send(session, url, events, results)

        await asyncio.gather(*(one_connection() for _ in range(connections)))
    return results


async def open_loop(url: str, events: Events, rate: float, seconds: float) -> list[Any]:
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


async def main(url: str, secret: str, mode: str, amount: str, seconds: str, prefix: str) -> Any:
    events = Events(secret, prefix)
    if mode == "closed":
        return await closed_loop(url, events, int(amount), float(seconds))
    return await open_loop(url, events, float(amount), float(seconds))


if __name__ == "__main__":
    url, secret, mode, amount, seconds, out, prefix = sys.argv[1:]
    results = asyncio.run(main(url, secret, mode, amount, seconds, prefix))
    Path(out).write_text("\n".join(json.dumps(r) for r in results), encoding="utf-8")
