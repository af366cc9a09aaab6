"""Triage quality: the devset, leave-one-domain-out over the corpus, and learning from the PO.

    python bench/triage_quality.py [--file PATH] [--json] [--skip-lodo] [--domains a,b]

1. **Devset** (``--file``, by default ../shared/triage/devset.jsonl): the shipped model, through
   the real CLI (``heatshield triage FILE``) when it is installed next to this Python.
   A development figure: the devset was looked at while building the triage.
2. **Leave-one-domain-out** over the corpus: for each domain, a model trained on all the others
   (thresholds included, by cross-validation inside those) triages that domain as its own
   history. The honest figure for a team whose words the model never saw. The regularisation
   and the features were chosen by cross-validation over the DEVELOPMENT domains only; the
   HELD_OUT domains were not looked at, nor scored, until the design was fixed, so their
   figures are the cleanest ones.
3. **External sets** (bench/external/): requests written apart from the corpus, in rounds, for
   the earlier rule-based triage; the model never trained or was tuned on them. The shipped
   model triages each round as its own history.
4. **Learning from the PO**: each domain streamed in order through its leave-one-out model;
   after every miss (type or urgency) the right label is applied as the PO's correction. The
   error rate in the first and the second half, next to the same stream without corrections.
5. Time per request (triage and embedding) and the model's load time.

"Urgent caught" counts an urgent request as caught when it broke through by itself or when the
stakeholder was asked "is it blocking people now?" (whose "yes" breaks it through).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO.parent / "shared" / "triage" / "devset.jsonl"
EXTERNAL = REPO / "bench" / "external"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from handlers.triage import Label, Triager, Vectors, corpus, training, triage_batch  # noqa: E402
from handlers.triage.embedding import builtin  # noqa: E402
from handlers.triage.model import TriageModel  # noqa: E402
from handlers.triage.text import analysed  # noqa: E402

Record = Mapping[str, Any]
HELD_OUT = ("housing", "internalit", "legal", "travel")
TARGETS = {
    "type_accuracy": 0.85,
    "urgent_caught": 0.95,
    "urgent_precision": 0.85,
    "needs_info_accuracy": 0.92,
    "question_share": 0.20,
}


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


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 3) if whole else 0.0


def _f1(tp: int, fp: int, fn: int) -> float:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return round(2 * p * r / (p + r), 3) if p + r else 0.0


def evaluate(records: Sequence[Record], predictions: Sequence[Record]) -> dict[str, Any]:
    by_id = {str(p["id"]): p for p in predictions}
    group = duplicate_groups(records)
    c = dict.fromkeys(
        ("type", "info", "utp", "ufp", "ufn", "caught", "asked", "dtp", "dfp", "dfn", "dask"), 0
    )
    wrong: dict[str, list[str]] = {"type": [], "urgent": [], "duplicate": [], "needs_info": []}
    for record in records:
        rid, want = str(record["id"]), record["expect"]
        got = by_id.get(rid, {})
        check = got.get("check") or {}
        if got.get("type") == want["type"]:
            c["type"] += 1
        else:
            wrong["type"].append(f"{rid} ({want['type']} -> {got.get('type')})")
        if bool(got.get("needs_info")) == bool(want["needs_info"]):
            c["info"] += 1
        else:
            wrong["needs_info"].append(rid)
        said, truth = bool(got.get("urgent")), bool(want["urgent"])
        c["utp"] += said and truth
        c["ufp"] += said and not truth
        c["ufn"] += truth and not said
        c["caught"] += truth and (said or check.get("kind") == "urgency")
        c["asked"] += bool(check)
        if said != truth:
            wrong["urgent"].append(rid)
        linked, dup = got.get("duplicate_of"), want["duplicate_of"]
        right = bool(linked and dup and group.get(str(linked)) == group[rid])
        asked_right = check.get("kind") == "duplicate" and bool(dup)
        asked_right = asked_right and group.get(str(check.get("of"))) == group[rid]
        c["dtp"] += right
        c["dfp"] += bool(linked) and not right
        c["dfn"] += bool(dup) and not right
        c["dask"] += asked_right
        if (linked or dup) and not right:
            wrong["duplicate"].append(f"{rid} ({dup} -> {linked})")
    n = len(records)
    urgent = c["utp"] + c["ufn"]
    return {
        "records": n,
        "answered": sum(1 for r in records if str(r["id"]) in by_id),
        "type_accuracy": _ratio(c["type"], n),
        "urgent_precision": _ratio(c["utp"], c["utp"] + c["ufp"]),
        "urgent_recall": _ratio(c["utp"], urgent),
        "urgent_caught": _ratio(c["caught"], urgent),
        "question_share": _ratio(c["asked"], n),
        "duplicate_precision": _ratio(c["dtp"], c["dtp"] + c["dfp"]),
        "duplicate_recall": _ratio(c["dtp"], c["dtp"] + c["dfn"]),
        "duplicate_f1": _f1(c["dtp"], c["dfp"], c["dfn"]),
        # Duplicates linked automatically or by the stakeholder's "Same".
        "duplicate_f1_answered": _f1(c["dtp"] + c["dask"], c["dfp"], c["dfn"] - c["dask"]),
        "needs_info_accuracy": _ratio(c["info"], n),
        "wrong": wrong,
    }


class Embeddings:
    """The corpus embedded once: every fold and stream reads the vectors from here."""

    def __init__(self, records: Sequence[corpus.Record]) -> None:
        started = time.perf_counter()
        self.whole, self.sentences = training.embed_records(records, builtin())
        self.seconds = time.perf_counter() - started
        self.index = {r.id: i for i, r in enumerate(records)}
        self._by_text = {analysed(r.text): i for i, r in enumerate(records)}

    def rows(self, mask: Any) -> tuple[Any, Any]:
        return self.whole[mask], self.sentences[mask]

    def vectors(self, texts: Sequence[str]) -> list[Vectors]:
        found = []
        for text in texts:
            i = self._by_text[analysed(text)]
            whole = self.whole[i]
            found.append(Vectors(whole, self.sentences[i], whole, builtin().model_id))
        return found


def leave_one_domain_out(
    records: Sequence[corpus.Record], vectors: Embeddings, only: Sequence[str] = ()
) -> tuple[dict[str, dict[str, Any]], dict[str, TriageModel]]:
    figures: dict[str, dict[str, Any]] = {}
    models: dict[str, TriageModel] = {}
    for domain in only or corpus.domains(records):
        inside = np.asarray([r.domain == domain for r in records])
        train = [r for r, keep in zip(records, ~inside, strict=True) if keep]
        model = training.train(train, *vectors.rows(~inside))
        test = [r for r in records if r.domain == domain]
        rows = list(triage_batch(_inputs(test), Triager(model), embed=vectors.vectors))
        figures[domain] = evaluate([r.as_json() for r in test], rows)
        models[domain] = model
    return figures, models


def _inputs(records: Sequence[corpus.Record]) -> list[dict[str, str]]:
    return [{"id": r.id, "text": r.text} for r in records]


def external_sets(triager: Triager | None = None) -> dict[str, dict[str, Any]]:
    """Each file of bench/external/, every round (its domain) triaged as its own history."""
    figures: dict[str, dict[str, Any]] = {}
    for path in sorted(EXTERNAL.glob("*.jsonl")):
        lines = load(path)
        rows: list[dict[str, Any]] = []
        for domain in sorted({str(line["domain"]) for line in lines}):
            batch = [line for line in lines if line["domain"] == domain]
            rows.extend(triage_batch(batch, triager))
        figures[path.stem] = evaluate(lines, rows)
    return figures


def learning_from_the_po(
    records: Sequence[corpus.Record], vectors: Embeddings, models: Mapping[str, TriageModel]
) -> dict[str, float]:
    """Error rates (type or urgency wrong) in the first and second half of each domain's
    stream, with the PO's corrections applied after every miss, and without."""
    halves: dict[str, list[int]] = {"with": [0, 0], "without": [0, 0]}
    counts = [0, 0]
    for domain, model in models.items():
        stream = [r for r in records if r.domain == domain]
        triager = Triager(model)
        for corrected in (True, False):
            labels: list[Label] = []
            for position, record in enumerate(stream):
                own = vectors.vectors([record.text])[0]
                result = triager.triage(record.text, labels=labels, room=0, vectors=own)
                miss = (result.type, result.urgent) != (record.type, record.urgent)
                half = 0 if position < len(stream) / 2 else 1
                halves["with" if corrected else "without"][half] += miss
                if corrected:
                    counts[half] += 1
                if miss and corrected:
                    vector = tuple(map(float, own.builtin))
                    labels.append(Label(record.text, vector, record.type, record.urgent))
    return {
        "first_half_errors": _ratio(halves["with"][0], counts[0]),
        "second_half_errors": _ratio(halves["with"][1], counts[1]),
        "first_half_errors_without": _ratio(halves["without"][0], counts[0]),
        "second_half_errors_without": _ratio(halves["without"][1], counts[1]),
    }


def timings(records: Sequence[corpus.Record], rounds: int = 3) -> dict[str, Any]:
    """Model load, and per request: embedding, and the triage against 50 earlier items."""
    started = time.perf_counter()
    triager = Triager(TriageModel.load())
    model_load = time.perf_counter() - started
    embedder = builtin()
    started = time.perf_counter()
    embedder.load()
    encoder_load = embedder.load_seconds or (time.perf_counter() - started)
    sample = list(records[:100])
    per_round = []
    for _ in range(rounds):
        started = time.perf_counter()
        list(triage_batch(_inputs(sample), triager))
        per_round.append((time.perf_counter() - started) / len(sample) * 1000)
    return {
        "model_file_load_s": round(model_load, 3),
        "encoder_load_s": round(encoder_load, 2),
        "triage_ms_per_request": {
            "min": round(min(per_round), 1),
            "median": round(statistics.median(per_round), 1),
            "max": round(max(per_round), 1),
        },
    }


def summarise(figures: Mapping[str, Mapping[str, Any]], domains: Sequence[str]) -> dict[str, Any]:
    keys = (
        "type_accuracy",
        "urgent_caught",
        "urgent_precision",
        "urgent_recall",
        "needs_info_accuracy",
        "question_share",
        "duplicate_f1",
        "duplicate_f1_answered",
    )
    chosen = [figures[d] for d in domains if d in figures]
    if not chosen:
        return {}
    out: dict[str, Any] = {}
    for key in keys:
        values = [f[key] for f in chosen]
        worst = max(values) if key == "question_share" else min(values)
        out[key] = {"mean": round(statistics.mean(values), 3), "worst": round(worst, 3)}
    return out


def report_devset(figures: Mapping[str, Any]) -> list[str]:
    lines = [
        f"devset: {figures['file']} ({figures['records']} requests) via {figures['runner']}",
        "  (a development figure: this set was looked at while building the triage)",
    ]
    lines.append("  " + _line(figures))
    for key, ids in figures["wrong"].items():
        lines.append(f"  wrong {key}: {', '.join(ids) if ids else '-'}")
    return lines


def _line(f: Mapping[str, Any]) -> str:
    return (
        f"type {f['type_accuracy']:.3f}  urgent caught {f['urgent_caught']:.3f}  "
        f"auto precision {f['urgent_precision']:.3f}  auto recall {f['urgent_recall']:.3f}  "
        f"needs-info {f['needs_info_accuracy']:.3f}  questions {f['question_share']:.3f}  "
        f"dup F1 {f['duplicate_f1']:.3f} (with answers {f['duplicate_f1_answered']:.3f})"
    )


def report_lodo(figures: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = ["leave-one-domain-out (each domain scored by a model trained on the others):"]
    for domain, f in figures.items():
        tag = "held-out" if domain in HELD_OUT else "dev"
        lines.append(f"  {domain:11s} [{tag:8s}] {_line(f)}")
    for label, domains in (
        ("all domains", list(figures)),
        ("held-out domains", [d for d in figures if d in HELD_OUT]),
        ("development domains", [d for d in figures if d not in HELD_OUT]),
    ):
        summary = summarise(figures, domains)
        if not summary:
            continue
        lines.append(f"  {label} ({len([d for d in domains if d in figures])}): mean / worst")
        for key, value in summary.items():
            target = TARGETS.get(key)
            goal = f"  (target {'<=' if key == 'question_share' else '>='} {target})"
            lines.append(
                f"    {key:22s} {value['mean']:.3f} / {value['worst']:.3f}"
                + (goal if target else "")
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--skip-lodo", action="store_true", help="only the devset and timings")
    parser.add_argument("--domains", default="", help="leave out only these domains (a,b,...)")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {platform.python_version()}, {_cores()} cores",
    }
    lines = [f"machine: {out['machine']}"]
    if args.file.exists():
        devset = load(args.file)
        predictions, runner = run_cli(args.file)
        if predictions is None:
            runner = f"in-process triage_batch (CLI not used: {runner})"
            predictions = list(triage_batch(devset))
        out["devset"] = {"file": str(args.file), "runner": runner, **evaluate(devset, predictions)}
        lines += report_devset(out["devset"])
    out["external"] = external_sets()
    lines.append("external sets (never trained or tuned on), the shipped model:")
    for name, figures in out["external"].items():
        lines.append(f"  {name:14s} ({figures['records']} requests) {_line(figures)}")
    records = corpus.load()
    out["timings"] = timings(records)
    lines.append(f"timings: {json.dumps(out['timings'])}")
    if not args.skip_lodo:
        vectors = Embeddings(records)
        lines.append(
            f"corpus: {len(records)} requests, {len(corpus.domains(records))} domains "
            f"(embedded in {vectors.seconds:.1f} s)"
        )
        only = [d for d in args.domains.split(",") if d]
        lodo, models = leave_one_domain_out(records, vectors, only)
        out["lodo"] = {d: {k: v for k, v in f.items() if k != "wrong"} for d, f in lodo.items()}
        out["lodo_summary"] = {
            "all": summarise(lodo, list(lodo)),
            "held_out": summarise(lodo, [d for d in lodo if d in HELD_OUT]),
            "development": summarise(lodo, [d for d in lodo if d not in HELD_OUT]),
        }
        lines += report_lodo(lodo)
        out["learning"] = learning_from_the_po(records, vectors, models)
        learning = out["learning"]
        lines.append(
            "learning from the PO (errors in type or urgency, first half -> second half): "
            f"with corrections {learning['first_half_errors']:.3f} -> "
            f"{learning['second_half_errors']:.3f}; without "
            f"{learning['first_half_errors_without']:.3f} -> "
            f"{learning['second_half_errors_without']:.3f}"
        )
    print(json.dumps(out, ensure_ascii=False) if args.json else "\n".join(lines))
    return 0


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
