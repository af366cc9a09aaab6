"""Triage quality on a labelled set of requests: type, urgency, duplicates, missing "why".

    python bench/triage_quality.py [--file PATH] [--json] [--require-cli]

Runs the real CLI (``heatshield triage FILE``) when it is installed next to this Python; when
it is missing or fails, triages in-process with ``triage_batch`` and says so. Timings (model
load, mean time per request) are always measured in-process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO.parent / "shared" / "triage" / "devset.jsonl"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

Record = Mapping[str, Any]


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def run_cli(path: Path) -> tuple[list[dict[str, Any]] | None, str]:
    """The CLI's answers, or None and why it could not be used."""
    exe = Path(sys.executable).with_name("heatshield")
    if not exe.exists():
        return None, f"no {exe}"
    done = subprocess.run(
        [str(exe), "triage", str(path)], capture_output=True, text=True, cwd=REPO, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"CLI exited {done.returncode}: {last}"
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return rows, f"CLI {exe} triage"


def run_in_process(records: Sequence[Record]) -> list[dict[str, Any]]:
    from handlers.triage import triage_batch

    return list(triage_batch(records))


def timings(records: Sequence[Record]) -> dict[str, float]:
    """Model load time (first use in this process) and mean seconds per triaged request."""
    from handlers.triage import Candidate, default_triager
    from handlers.triage.model import load_seconds

    started = time.perf_counter()
    triager = default_triager()
    triager.triage("warm up")
    load = load_seconds() or (time.perf_counter() - started)
    earlier: list[Candidate] = []
    started = time.perf_counter()
    for record in records:
        result = triager.triage(str(record["text"]), earlier)
        earlier.append(Candidate(str(record["id"]), str(record["text"]), result.vector))
    per_request = (time.perf_counter() - started) / max(1, len(records))
    return {"model_load_s": round(load, 3), "mean_triage_ms": round(per_request * 1000, 2)}


def duplicate_groups(records: Sequence[Record]) -> dict[str, str]:
    """Each id mapped to the original it (transitively) duplicates, or to itself."""
    parent = {str(r["id"]): r["expect"]["duplicate_of"] for r in records}

    def root(item: str) -> str:
        seen = set()
        while parent.get(item) and item not in seen:
            seen.add(item)
            item = str(parent[item])
        return item

    return {item: root(item) for item in parent}


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def evaluate(records: Sequence[Record], predictions: Sequence[Record]) -> dict[str, Any]:
    by_id = {str(p["id"]): p for p in predictions}
    group = duplicate_groups(records)
    counts = dict.fromkeys(("type", "info", "u_tp", "u_fp", "u_fn", "d_tp", "d_fp", "d_fn"), 0)
    wrong: dict[str, list[str]] = {"type": [], "urgent": [], "duplicate": [], "needs_info": []}
    for record in records:
        rid, want = str(record["id"]), record["expect"]
        got = by_id.get(rid, {})
        _score_type(rid, want, got, counts, wrong)
        _score_urgent(rid, want, got, counts, wrong)
        _score_duplicate(rid, want, got, group, counts, wrong)
    n = len(records)
    d_p = _ratio(counts["d_tp"], counts["d_tp"] + counts["d_fp"])
    d_r = _ratio(counts["d_tp"], counts["d_tp"] + counts["d_fn"])
    return {
        "records": n,
        "answered": sum(1 for r in records if str(r["id"]) in by_id),
        "type_accuracy": _ratio(counts["type"], n),
        "urgent_precision": _ratio(counts["u_tp"], counts["u_tp"] + counts["u_fp"]),
        "urgent_recall": _ratio(counts["u_tp"], counts["u_tp"] + counts["u_fn"]),
        "duplicate_precision": d_p,
        "duplicate_recall": d_r,
        "duplicate_f1": round(2 * d_p * d_r / (d_p + d_r), 3) if d_p + d_r else 0.0,
        "needs_info_accuracy": _ratio(counts["info"], n),
        "wrong": wrong,
    }


def _score_type(rid: str, want: Record, got: Record, counts: dict[str, int], wrong: Any) -> None:
    if got.get("type") == want["type"]:
        counts["type"] += 1
    else:
        wrong["type"].append(f"{rid} ({want['type']} -> {got.get('type')})")
    if bool(got.get("needs_info")) == bool(want["needs_info"]):
        counts["info"] += 1
    else:
        wrong["needs_info"].append(rid)


def _score_urgent(rid: str, want: Record, got: Record, counts: dict[str, int], wrong: Any) -> None:
    said, truth = bool(got.get("urgent")), bool(want["urgent"])
    counts["u_tp"] += said and truth
    counts["u_fp"] += said and not truth
    counts["u_fn"] += truth and not said
    if said != truth:
        wrong["urgent"].append(rid)


def _score_duplicate(
    rid: str,
    want: Record,
    got: Record,
    group: Mapping[str, str],
    counts: dict[str, int],
    wrong: Any,
) -> None:
    said, truth = got.get("duplicate_of"), want["duplicate_of"]
    right = bool(said and truth and group.get(str(said)) == group[rid])
    counts["d_tp"] += right
    counts["d_fp"] += bool(said) and not right
    counts["d_fn"] += bool(truth) and not right
    if (said or truth) and not right:
        wrong["duplicate"].append(f"{rid} ({truth} -> {said})")


def report(figures: Mapping[str, Any]) -> str:
    lines = [
        f"file: {figures['file']}",
        f"runner: {figures['runner']}",
        f"records: {figures['records']} (answered {figures['answered']})",
        f"type accuracy:       {figures['type_accuracy']:.3f}",
        f"urgent precision:    {figures['urgent_precision']:.3f}",
        f"urgent recall:       {figures['urgent_recall']:.3f}",
        f"duplicate precision: {figures['duplicate_precision']:.3f}",
        f"duplicate recall:    {figures['duplicate_recall']:.3f}",
        f"duplicate F1:        {figures['duplicate_f1']:.3f}",
        f"needs-info accuracy: {figures['needs_info_accuracy']:.3f}",
        f"model load:          {figures['model_load_s']:.2f} s",
        f"mean triage time:    {figures['mean_triage_ms']:.1f} ms per request",
    ]
    for key, ids in figures["wrong"].items():
        lines.append(f"wrong {key}: {', '.join(ids) if ids else '-'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--require-cli", action="store_true", help="fail instead of falling back")
    args = parser.parse_args(argv)
    records = load(args.file)
    predictions, runner = run_cli(args.file)
    if predictions is None:
        if args.require_cli:
            print(f"cannot use the CLI: {runner}", file=sys.stderr)
            return 1
        runner = f"in-process triage_batch (CLI not used: {runner})"
        predictions = run_in_process(records)
    figures = {"file": str(args.file), "runner": runner, **timings(records)}
    figures.update(evaluate(records, predictions))
    print(json.dumps(figures, ensure_ascii=False) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
