"""The coaching commands of the CLI: contract, sessions, people, digest files, the schedule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_coaching_set_plans_sessions_by_cadence(cli: CliRunner) -> None:
    output = invoke(
        cli, "coaching", "set", "--workspace", "demo", "--coach", "coach", "--start",
        "2027-01-05", "--every", "2 weeks", "--sessions", "3", "--confidentiality", "full",
        "--theme", "role", "--reflection", "thu 17:00",
    )  # fmt: skip
    contract = json.loads(output)
    assert [s["starts_at"] for s in contract["sessions"]] == [
        "2027-01-05T09:00:00+00:00",
        "2027-01-19T09:00:00+00:00",
        "2027-02-02T09:00:00+00:00",
    ]
    assert contract["confidentiality"] == "full"
    assert contract["reflection"] == "thu 17:00"

    added = invoke(cli, "coaching", "session", "add", "--workspace", "demo",
                   "--at", "2027-02-16T14:00+01:00", "--scope", "Final evaluation")  # fmt: skip
    assert "planned at Tue 2027-02-16 14:00 CET (Europe/Amsterdam)" in added, "the PO's time"


def test_a_session_in_the_past_or_doubling_another_is_warned_about(cli: CliRunner) -> None:
    invoke(cli, "coaching", "set", "--workspace", "demo", "--start", "2027-01-05",
           "--every", "2 weeks", "--sessions", "2")  # fmt: skip

    past = cli.invoke(main, ["coaching", "session", "add", "--workspace", "demo",
                             "--at", "2020-03-02T10:00+01:00"])  # fmt: skip
    double = cli.invoke(main, ["coaching", "session", "add", "--workspace", "demo",
                               "--at", "2027-01-05T10:30+01:00"])  # fmt: skip
    apart = cli.invoke(main, ["coaching", "session", "add", "--workspace", "demo",
                              "--at", "2027-01-06T10:00+01:00"])  # fmt: skip

    assert past.exit_code == 0 and "Warning: that moment has passed" in past.stderr
    assert double.exit_code == 0
    assert "Warning: it doubles session 1 at Tue 2027-01-05 10:00 CET" in double.stderr
    assert "planned at Tue 2027-01-05 10:30 CET" in double.stdout
    assert apart.exit_code == 0 and apart.stderr == ""


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--every", "sometimes"], "not a cadence"),
        (["--sessions", "40"], "between 1 and 12"),
        (["--email", "not-an-address"], "not an e-mail"),
        (["--reflection", "someday 25:00"], "not a day and time"),
    ],
)
def test_coaching_set_explains_bad_values(cli: CliRunner, args: list[str], problem: str) -> None:
    result = cli.invoke(
        main, ["coaching", "set", "--workspace", "demo", "--start", "2027-01-05", *args]
    )
    assert result.exit_code != 0
    assert problem in result.output


def test_a_session_needs_a_contract_and_a_time_zone(cli: CliRunner) -> None:
    result = cli.invoke(main, ["coaching", "session", "add", "--workspace", "demo",
                               "--at", "2027-02-16T14:00+01:00"])  # fmt: skip
    assert result.exit_code != 0 and "coaching contract" in result.output
    invoke(cli, "coaching", "set", "--workspace", "demo", "--start", "2027-01-05")
    naive = cli.invoke(main, ["coaching", "session", "add", "--workspace", "demo",
                              "--at", "2027-02-16T14:00"])  # fmt: skip
    assert naive.exit_code != 0 and "time zone" in naive.output


def test_digest_writes_json_html_and_a_chart(cli: CliRunner, tmp_path: Path) -> None:
    invoke(cli, "coaching", "set", "--workspace", "demo", "--coach", "coach", "--start",
           "2026-11-16")  # fmt: skip
    invoke(cli, "people", "set", "--workspace", "demo", "--user", "anna", "--group", "Finance")
    invoke(cli, "coaching", "shares", "--workspace", "demo", "--share", "Finance=30")

    invoke(cli, "digest", "--workspace", "demo", "--week", "2026-W47", "--out", str(tmp_path))

    figures = json.loads((tmp_path / "digest.json").read_text())
    assert figures["week"] == "2026-W47"
    assert figures["received"] == 0
    assert figures["shares"] == [
        {"group": "Finance", "requests": 0, "request_share": 0.0, "approvals": 0,
         "approval_share": 0.0, "desired": 30}
    ]  # fmt: skip
    assert 'src="chart.png"' in (tmp_path / "digest.html").read_text()
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"

    bad = cli.invoke(main, ["digest", "--workspace", "demo", "--week", "W47", "--out", "x"])
    assert bad.exit_code != 0 and "ISO week" in bad.output


def test_schedule_list_in_local_time(cli: CliRunner) -> None:
    invoke(cli, "coaching", "set", "--workspace", "demo", "--coach", "coach", "--start",
           "2030-01-07", "--every", "1 week", "--sessions", "2")  # fmt: skip
    invoke(cli, "people", "set", "--workspace", "demo", "--user", "coach",
           "--timezone", "America/New_York")  # fmt: skip

    rows = [json.loads(line) for line in invoke(
        cli, "schedule", "list", "--workspace", "demo", "--json", "--days", "4000"
    ).splitlines()]  # fmt: skip

    coach_hour = next(
        r for r in rows if r["kind"] == "reminder_hour" and r["recipient"] == "Carla (coach)"
    )
    assert coach_hour["timezone"] == "America/New_York"
    assert coach_hour["local_time"] == "Mon 2030-01-07 03:00"
    po_hour = next(
        r for r in rows if r["kind"] == "reminder_hour" and r["recipient"] == "Petra (PO)"
    )
    assert po_hour["local_time"] == "Mon 2030-01-07 09:00"
    assert any(r["kind"] == "review_batch" for r in rows)
