"""The `heatshield` command line, run as a user would, against SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    return CliRunner()


def test_db_upgrade_is_idempotent(cli: CliRunner) -> None:
    for _ in range(2):
        result = cli.invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output


def test_team_set_configures_roles_and_rhythm(cli: CliRunner) -> None:
    result = cli.invoke(
        main,
        [
            "team", "set", "--platform", "slack", "--workspace", "T0123", "--po", "U0456",
            "--delegate", "U0789", "--delegate", "U0790", "--coach", "U0999",
            "--timezone", "Europe/Amsterdam", "--language", "nl", "--review", "mon,wed 10:30",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "slack/T0123" in result.output
    assert "review mon,wed 10:30" in result.output
    for role in ("U0456=po", "U0789=delegate", "U0790=delegate", "U0999=coach"):
        assert role in result.output

    changed = cli.invoke(main, ["team", "set", "--platform", "slack", "--workspace", "T0123",
                                "--po", "U0789"])  # fmt: skip
    assert "U0789=po" in changed.output
    assert "U0456=member" in changed.output


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--review", "someday"], "review times"),
        (["--language", "de"], "Invalid value"),
    ],
)
def test_team_set_explains_bad_values(cli: CliRunner, option: list[str], problem: str) -> None:
    result = cli.invoke(main, ["team", "set", "--platform", "slack", "--workspace", "T1", *option])

    assert result.exit_code != 0
    assert problem in result.output


async def _request_and_decide(database_url: str) -> None:
    from bot.kernel.events import ActionEvent, ConversationRef, MessageEvent, PersonInfo
    from bot.kernel.settings import load_settings
    from bot.runtime.app import build_runtime, prepare
    from tests import state

    runtime = build_runtime(load_settings(database_url=database_url))
    await prepare(runtime, upgrade=False)

    def where(user: str) -> ConversationRef:
        return ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        )

    await runtime.pipeline.receive(
        MessageEvent(conversation=where("anna"), sender=PersonInfo(user_id="anna"), text=FEATURE,
                     idempotency_key="m1")
    )  # fmt: skip
    [item] = await state.items(runtime)
    await runtime.pipeline.receive(
        ActionEvent(conversation=where("po"), sender=PersonInfo(user_id="po"), action_id="decline",
                    value=str(item.id), input="Not this quarter", idempotency_key="a1")
    )  # fmt: skip
    await runtime.engine.dispose()


def test_backlog_export_as_json_and_csv(cli: CliRunner, database_url: str) -> None:
    import asyncio

    asyncio.run(_request_and_decide(database_url))

    as_json = cli.invoke(main, ["backlog", "export", "--workspace", "demo"])
    assert as_json.exit_code == 0, as_json.output
    [row] = json.loads(as_json.output)
    assert row["status"] == "declined"
    assert row["decision"] == "decline"
    assert row["reason"] == "Not this quarter"
    assert row["stakeholder"] == "Anna"
    assert row["source"] == "direct"
    assert row["type"] == "feature"
    # Times in the workspace's zone, with their offset: local to read, exact for a program.
    assert row["timezone"] == "Europe/Amsterdam"
    received = datetime.fromisoformat(row["received_at"])
    assert received.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert row["decided_at"].endswith(("+01:00", "+02:00"))
    assert (row["tracker_key"], row["tracker_url"]) == (None, None), "declined: never created"

    as_csv = cli.invoke(main, ["backlog", "export", "--format", "csv"])
    [csv_row] = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert csv_row["reason"] == "Not this quarter"
    assert csv_row["decided_by"] == "Petra (PO)"

    nothing = cli.invoke(main, ["backlog", "export", "--workspace", "nowhere"])
    assert nothing.exit_code != 0
    assert "workspace not found: nowhere" in nothing.output


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    from bot.cli import spreadsheet_safe

    assert spreadsheet_safe('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert spreadsheet_safe("-1") == "'-1"
    assert spreadsheet_safe("Add a CSV export") == "Add a CSV export"
    assert spreadsheet_safe(3) == 3


def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEATSHIELD_DEFAULT_TIMEZONE", "Nowhere/Land")

    result = CliRunner().invoke(main, ["db", "upgrade"])

    assert result.exit_code != 0
    assert "HEATSHIELD_DEFAULT_TIMEZONE" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(database: Path, port: int) -> tuple[subprocess.Popen[bytes], list[str]]:
    """`heatshield serve` on a SQLite file, once it says it is listening; and its output."""
    env = {**os.environ, "HEATSHIELD_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    executable = Path(sys.executable).with_name("heatshield")
    process = subprocess.Popen(
        [str(executable), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:  # ends when the process does
        output.append(line.decode())
        if b"is listening on" in line:
            break
    assert process.poll() is None, "".join(output)
    return process, output


def test_serve_starts_migrates_and_answers_health(tmp_path: Path) -> None:
    port = _free_port()
    process, _ = _serve(tmp_path / "serve.db", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert json.load(response)["status"] == "ok"
        url = f"http://127.0.0.1:{port}/playground/api/workspaces"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert json.load(response)["workspaces"][0]["workspace"] == "demo"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_bad_default_review_times_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEATSHIELD_DEFAULT_REVIEW_TIMES", "every tuesday at 9")

    result = CliRunner().invoke(main, ["db", "upgrade"])

    assert result.exit_code != 0
    assert "HEATSHIELD_DEFAULT_REVIEW_TIMES" in result.output


def test_serve_names_a_bad_platform_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("MICROSOFT_APP_ID", "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "Sideways")

    result = CliRunner().invoke(main, ["serve", "--port", str(_free_port())])

    assert result.exit_code != 0
    assert result.output.startswith("Error: Configuration error: MICROSOFT_APP_TYPE")


def test_sigterm_finishes_what_was_accepted_and_exits_0_without_a_traceback(
    tmp_path: Path,
) -> None:
    port = _free_port()
    database = tmp_path / "stop.db"
    process, output = _serve(database, port)
    assert process.stdout is not None
    answers: list[int] = []

    def say(n: int) -> None:
        body = json.dumps(
            {"workspace": "demo", "user": "anna", "text": f"Please add export number {n}"}
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/playground/api/messages",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append(response.status)

    senders = [threading.Thread(target=say, args=(n,)) for n in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)
    process.send_signal(signal.SIGTERM)
    output += [line.decode() for line in process.stdout]
    code = process.wait(timeout=60)

    log = "".join(output)
    assert code == 0, log
    assert "Traceback" not in log
    assert answers == [200] * 4
    with sqlite3.connect(database) as connection:
        statuses = connection.execute("SELECT status, count(*) FROM inbound_events GROUP BY 1")
        assert dict(statuses.fetchall()) == {"done": 4}
