"""The labelled corpus the triage learns from: one JSON line per request, a file per domain.

A line reads ``{"id", "domain", "lang", "stakeholder", "text", "expect": {"type", "urgent",
"duplicate_of", "needs_info"}}``, in the order the requests arrived; a duplicate points to an
earlier request of the same domain. The labels follow the labelling guide (see the README).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.triage.types import TYPES, TriageInputError

CORPUS = Path(__file__).with_name("corpus")


@dataclass(frozen=True)
class Record:
    id: str
    domain: str
    text: str
    type: str
    urgent: bool
    duplicate_of: str | None
    needs_info: bool
    lang: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "domain": self.domain,
            "lang": self.lang,
            "text": self.text,
            "expect": {
                "type": self.type,
                "urgent": self.urgent,
                "duplicate_of": self.duplicate_of,
                "needs_info": self.needs_info,
            },
        }


def parse(line: Mapping[str, Any], *, domain: str | None = None) -> Record:
    """One labelled line; raises TriageInputError naming what is wrong."""
    expect = line.get("expect")
    if not isinstance(expect, Mapping):
        raise TriageInputError('"expect" is missing or not an object')
    record_id, text, kind = line.get("id"), line.get("text"), expect.get("type")
    if not isinstance(record_id, str) or not record_id:
        raise TriageInputError('"id" is missing or not a string')
    if not isinstance(text, str) or not text.strip():
        raise TriageInputError(f'"text" of {record_id} is missing or empty')
    if kind not in TYPES:
        raise TriageInputError(f'"type" of {record_id} is {kind!r}, not one of {", ".join(TYPES)}')
    duplicate = expect.get("duplicate_of")
    if duplicate is not None and not isinstance(duplicate, str):
        raise TriageInputError(f'"duplicate_of" of {record_id} is not an id')
    return Record(
        id=record_id,
        domain=str(line.get("domain") or domain or "default"),
        text=text,
        type=str(kind),
        urgent=bool(expect.get("urgent")),
        duplicate_of=duplicate,
        needs_info=bool(expect.get("needs_info")),
        lang=line.get("lang") if isinstance(line.get("lang"), str) else None,
    )


def read(path: Path) -> list[Record]:
    """The records of one JSON-lines file; its name is the domain of lines that name none."""
    records = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            records.append(parse(json.loads(raw), domain=path.stem))
        except (json.JSONDecodeError, TriageInputError) as exc:
            raise TriageInputError(f"{path.name}:{number}: {exc}") from None
    check(records)
    return records


def load(paths: Iterable[Path] = ()) -> list[Record]:
    """The records of the given files or folders (every ``*.jsonl`` in them); the shipped
    corpus when none are given."""
    chosen = list(paths) or [CORPUS]
    files: list[Path] = []
    for path in chosen:
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    records: list[Record] = []
    for file in files:
        records.extend(read(file))
    check(records)
    return records


def check(records: Sequence[Record]) -> None:
    """Ids unique, and every duplicate pointing to an earlier request of its own domain."""
    seen: dict[str, Record] = {}
    for record in records:
        if record.id in seen:
            raise TriageInputError(f"id {record.id} is used twice")
        original = seen.get(record.duplicate_of or "")
        if record.duplicate_of is not None and (
            original is None or original.domain != record.domain
        ):
            raise TriageInputError(
                f"{record.id} duplicates {record.duplicate_of}, which is not an earlier "
                f"request of domain {record.domain}"
            )
        seen[record.id] = record


def duplicate_roots(records: Sequence[Record]) -> dict[str, str]:
    """Each id mapped to the first request of its group of duplicates (itself if none)."""
    parent = {r.id: r.duplicate_of for r in records}
    roots: dict[str, str] = {}
    for record in records:
        node, seen = record.id, set()
        while parent.get(node) and node not in seen:
            seen.add(node)
            node = str(parent[node])
        roots[record.id] = node
    return roots


def domains(records: Sequence[Record]) -> list[str]:
    return sorted({r.domain for r in records})
