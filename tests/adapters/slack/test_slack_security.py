"""Every request is verified with the signing secret; what fails is refused and never stored."""

from __future__ import annotations

import json
import time

import pytest

from bot.runtime.app import Runtime
from storage.models import InboundRecord
from tests import state
from tests.adapters.slack.conftest import Slack, fixture, signed


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(signed("something else"), id="bad-signature"),
        pytest.param(signed("{}", secret="not-the-secret"), id="wrong-secret"),
        pytest.param("old", id="older-than-five-minutes"),
    ],
)
async def test_an_unverified_request_is_refused(
    slack: Slack, runtime: Runtime, headers: dict[str, str] | str
) -> None:
    body = json.dumps(fixture("message_im"))
    if headers == "old":
        headers = signed(body, timestamp=int(time.time()) - 6 * 60)
    response = await slack.http.post(
        "/slack/events",
        data=body.encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    await slack.settle()

    assert response.status == 401
    assert await state.count(runtime, InboundRecord) == 0
    assert slack.fake.posts() == []


async def test_a_signed_request_four_minutes_old_is_still_accepted(
    slack: Slack, runtime: Runtime
) -> None:
    body = json.dumps(fixture("message_im"))
    headers = signed(body, timestamp=int(time.time()) - 4 * 60)
    response = await slack.http.post(
        "/slack/events",
        data=body.encode(),
        headers={"Content-Type": "application/json", **headers},
    )

    assert response.status == 200
    assert await state.count(runtime, InboundRecord) == 1


async def test_the_url_verification_challenge_is_answered(slack: Slack) -> None:
    challenge = {
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    response = await slack.event(challenge)

    assert response.status == 200
    assert (await response.json())["challenge"] == challenge["challenge"]


async def test_a_database_failure_is_a_500_so_slack_retries(slack: Slack, runtime: Runtime) -> None:
    original = runtime.pipeline.accept

    async def broken(event: object) -> bool:
        raise ConnectionError("database down")

    runtime.pipeline.accept = broken  # type: ignore[method-assign]
    try:
        response = await slack.event(fixture("message_im"))
    finally:
        runtime.pipeline.accept = original  # type: ignore[method-assign]

    assert response.status == 500
    retried = await slack.event(fixture("message_im"), **{"X-Slack-Retry-Num": "1"})
    await slack.settle()
    assert retried.status == 200
    assert await state.count(runtime, InboundRecord) == 1
