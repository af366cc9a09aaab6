"""Many workspaces: /slack/install and /slack/oauth_redirect keep the OAuth state and the
installations in Heatshield's own database, and each workspace is served with its own token."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.slack.platform import SlackPlatform
from adapters.slack.settings import SlackSettings
from bot.runtime.app import Runtime, create_app
from storage.models import InboundRecord, SlackBot, SlackInstallation, SlackOAuthState
from tests.adapters.slack.conftest import SECRET, FakeSlack, Slack, fixture

INSTALLED_TEAM = "T9TK3CUKW"


@pytest.fixture
async def oauth_slack(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[Slack]:
    settings = SlackSettings(
        client_id="1111.2222",
        client_secret="client-secret",
        signing_secret=SECRET,
        api_url=fake_slack.url,
    )
    platform = SlackPlatform(runtime.platform_deps, settings)
    runtime.platforms.append(platform)
    runtime.senders[platform.name] = platform.sender
    async with TestClient(TestServer(create_app(runtime, background=False))) as http:
        yield Slack(http, runtime, platform, fake_slack)
    await platform.stop()


async def count(runtime: Runtime, model: type[object]) -> int:
    async with runtime.db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_install_keeps_the_installation_and_serves_the_workspace_with_its_token(
    oauth_slack: Slack, runtime: Runtime
) -> None:
    slack = oauth_slack
    page = await slack.http.get("/slack/install")
    assert page.status == 200
    html = await page.text()
    [state] = re.findall(r"state=([0-9a-f-]{36})", html)
    assert "client_id=1111.2222" in html
    assert await count(runtime, SlackOAuthState) == 1
    cookie = page.headers["Set-Cookie"].split(";")[0]

    done = await slack.http.get(
        f"/slack/oauth_redirect?code=granted-code&state={state}", headers={"Cookie": cookie}
    )

    assert done.status == 200
    assert await count(runtime, SlackOAuthState) == 0  # the state is used up
    assert await count(runtime, SlackInstallation) == 1
    assert await count(runtime, SlackBot) == 1
    assert slack.fake.of("oauth.v2.access")[0].args["code"] == "granted-code"

    body = copy.deepcopy(fixture("message_im"))
    body["team_id"] = INSTALLED_TEAM
    body["event"]["team"] = INSTALLED_TEAM
    body["authorizations"][0]["team_id"] = INSTALLED_TEAM
    response = await slack.event(body)
    await slack.settle()

    assert response.status == 200
    [ack] = slack.fake.of("chat.postMessage")
    assert ack.authorization == f"Bearer {slack.fake.installed_token}"


async def test_a_redirect_with_a_forged_state_installs_nothing(
    oauth_slack: Slack, runtime: Runtime
) -> None:
    response = await oauth_slack.http.get(
        "/slack/oauth_redirect?code=granted-code&state=forged",
        headers={"Cookie": "slack-app-oauth-state=forged"},
    )

    assert response.status == 401
    assert await count(runtime, SlackInstallation) == 0
    assert oauth_slack.fake.of("oauth.v2.access") == []


async def test_a_message_from_a_workspace_that_never_installed_is_acknowledged_and_dropped(
    oauth_slack: Slack, runtime: Runtime
) -> None:
    body = copy.deepcopy(fixture("message_im"))  # team T0123ACME has no installation here

    response = await oauth_slack.event(body)
    await oauth_slack.settle()

    assert response.status == 200
    assert await count(runtime, InboundRecord) == 0
    assert oauth_slack.fake.of("chat.postMessage") == []
