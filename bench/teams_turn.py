"""What the Bot Framework SDK's turn costs per Teams activity, in this process, against the
rest of what an ack needs (reading the activity, the token check without an app id).

    python bench/teams_turn.py [--activities 200] [--rounds 3]

The activity is the personal message the Teams tests use. Prints, per step, the CPU
milliseconds an activity (min / median / max over rounds): `Activity().deserialize`,
`authenticate_request` (no app id, as the benchmarks run), and `CloudAdapter.process_activity`
with a turn that does nothing, the step Heatshield's endpoint no longer runs (replies go
through the outbox, so the connector client and turn context it builds are not used).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests/adapters/teams/fixtures/personal_message.json"


class _Configuration:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TENANTID = ""
    APP_TYPE = "MultiTenant"


async def per_activity(step: Callable[[], Awaitable[Any]], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        await step()
    return (time.process_time() - started) / count * 1000


async def main() -> None:
    from botbuilder.core import TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )
    from botbuilder.schema import Activity

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    body = json.loads(FIXTURE.read_text())
    body["serviceUrl"] = "http://127.0.0.1:1/teams/"
    authentication = ConfigurationBotFrameworkAuthentication(_Configuration())
    adapter = CloudAdapter(authentication)
    activity = Activity().deserialize(body)
    authenticated = await authentication.authenticate_request(activity, None)

    async def nothing(_: TurnContext) -> None:
        return None

    async def deserialize() -> Any:
        return Activity().deserialize(body)

    async def authenticate() -> Any:
        return await authentication.authenticate_request(activity, None)

    async def turn() -> Any:
        return await adapter.process_activity(authenticated, activity, nothing)

    steps = {"deserialize": deserialize, "authenticate": authenticate, "SDK turn": turn}
    figures: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):  # interleaved: each round times every step
        for name, step in steps.items():
            figures[name].append(await per_activity(step, args.activities))
    print(f"Python {sys.version.split()[0]}; {args.activities} activities a round, "
          f"{args.rounds} rounds; CPU ms an activity, min / median / max")  # fmt: skip
    for name, values in figures.items():
        print(f"  {name:12s} {min(values):.3f} / {statistics.median(values):.3f} / "
              f"{max(values):.3f}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
