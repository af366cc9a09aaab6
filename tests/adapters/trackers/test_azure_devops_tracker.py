"""Azure DevOps Boards as the workspace's tracker, against a fake Azure DevOps at the HTTP
level: an approved request created as a work item (JSON Patch) and ordered first in the
backlog, a rule Azure DevOps enforces told to the PO, a token it does not accept refused when
the tracker is set, and the service hook (basic-auth password) bringing the state back once."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from click.testing import CliRunner

from bot.cli import main
from bot.kernel.trackers import TrackerSettings
from bot.runtime.app import Runtime
from handlers.tracker_settings import put_tracker
from tests import state
from tests.adapters.trackers.azure_devops_fake import (
    ORG,
    PAT,
    PROJECT,
    FakeAzureDevOps,
    work_item_updated,
)
from tests.adapters.trackers.github_fake import running_in_a_thread
from tests.adapters.trackers.test_github_webhooks import handle_stored, texts
from tests.adapters.trackers.test_jira_tracker import FEATURE, INCIDENT, approve
from tests.handlers.coaching_support import demo
from tests.playground import Playground

SECRET = "hook-password-5e1f"


@pytest.fixture
async def azure(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FakeAzureDevOps, str]]:
    monkeypatch.setenv("HEATSHIELD_AZURE_DEVOPS_PAT", PAT)
    fake = FakeAzureDevOps()
    server = TestServer(fake.app())
    await server.start_server()
    org = str(server.make_url(f"/{ORG}"))
    async with runtime.db.transaction() as uow:
        settings = TrackerSettings(
            kind="azure-devops", url=org, project=PROJECT, webhook_secret=SECRET
        )
        await put_tracker(uow, await demo(uow), settings, "connected", runtime.services.clock.now())
    try:
        yield fake, org
    finally:
        await server.close()


def fields_of(patch: list[dict[str, Any]]) -> dict[str, Any]:
    return {op["path"].removeprefix("/fields/"): op["value"] for op in patch}


async def deliver(client: Playground, payload: dict[str, Any], password: str = SECRET) -> Any:
    basic = base64.b64encode(f"heatshield:{password}".encode()).decode()
    return await client.http.post(
        "/trackers/azure-devops/webhook", json=payload, headers={"Authorization": f"Basic {basic}"}
    )


async def test_an_approved_request_is_a_work_item_first_in_the_backlog(
    client: Playground, runtime: Runtime, azure: tuple[FakeAzureDevOps, str]
) -> None:
    fake, org = azure
    item_id = await approve(client, runtime, FEATURE, "approve_top")

    assert await runtime.trackers.work_due() == 1
    await runtime.worker.deliver_due()

    [(kind, patch)] = fake.creates
    fields = fields_of(patch)
    assert kind == "User Story"
    assert fields["System.Tags"] == "heatshield; feature"
    assert "<p>Requested by Anna, via Heatshield" in fields["System.Description"]
    assert fields["Microsoft.VSTS.Common.BacklogPriority"] == 1998.0, "before the first item"
    item = await state.item(runtime, item_id)
    assert (item.tracker_key, item.tracker_url) == (
        f"{PROJECT}#8", f"{org}/{PROJECT}/_workitems/edit/8",
    )  # fmt: skip
    assert f"as {PROJECT}#8" in (await client.last("anna"))["text"]


async def test_an_incident_is_a_bug_and_a_rule_error_is_told_to_the_po(
    client: Playground, runtime: Runtime, azure: tuple[FakeAzureDevOps, str]
) -> None:
    fake, _ = azure
    fake.next_creates = [(400, {
        "$id": "1", "innerException": None,
        "message": "TF401320: Rule Error for field Area Path. Error code: Required.",
        "typeKey": "RuleValidationException", "errorCode": 0,
    })]  # fmt: skip
    item_id = await approve(client, runtime, INCIDENT, "approve_bottom")

    await runtime.trackers.work_due()
    await runtime.worker.deliver_due()

    [(kind, patch)] = fake.creates
    assert kind == "Bug"
    assert "Microsoft.VSTS.Common.BacklogPriority" not in fields_of(patch), "bottom: as created"
    told = (await client.last("po"))["text"]
    assert f"I could not create #{item_id}" in told and "in Azure DevOps" in told
    assert "TF401320: Rule Error for field Area Path" in told


async def test_the_service_hook_brings_the_state_back_once_and_a_wrong_password_is_refused(
    client: Playground, runtime: Runtime, azure: tuple[FakeAzureDevOps, str]
) -> None:
    item_id = await approve(client, runtime, FEATURE, "approve_top")
    await runtime.trackers.work_due()

    forged = await deliver(client, work_item_updated(8, "Closed", "e-0"), password="guess")
    assert forged.status == 401
    [entry] = await state.audit(runtime)
    assert (entry.platform, entry.target) == ("azure-devops", PROJECT)

    for payload in (work_item_updated(8, "Active", "e-1"), work_item_updated(8, "Closed", "e-2"),
                    work_item_updated(8, "Closed", "e-2")):  # fmt: skip
        assert (await deliver(client, payload)).status == 200
    await handle_stored(runtime)

    anna = await texts(client, "anna")
    assert sum("Work has started" in text for text in anna) == 1
    assert sum(f"has shipped: {PROJECT}#8 is done" in text for text in anna) == 1
    assert (await state.item(runtime, item_id)).status == "done"


def test_tracker_set_checks_the_project_and_the_token(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    cli = CliRunner()
    with running_in_a_thread(FakeAzureDevOps()) as base:
        args = ["tracker", "set", "--workspace", "demo", "--kind", "azure-devops",
                "--url", f"{base}/{ORG}", "--project"]  # fmt: skip
        monkeypatch.setenv("HEATSHIELD_AZURE_DEVOPS_PAT", "not-the-pat")
        refused = cli.invoke(main, [*args, PROJECT])
        monkeypatch.setenv("HEATSHIELD_AZURE_DEVOPS_PAT", PAT)
        missing = cli.invoke(main, [*args, "Nope"])
        done = cli.invoke(main, [*args, PROJECT])

    assert refused.exit_code != 0 and "did not accept the token" in refused.output
    assert missing.exit_code != 0 and "no project Nope" in missing.output
    assert done.exit_code == 0, done.output
    assert "connected to Azure DevOps project Shop as Petra de Vries" in done.output
