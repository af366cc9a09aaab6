"""A dry run over a file of requests, triaged in order exactly as live intake would.

Each request is compared with the ones before it (all of them count as still open), the
question budget is kept as in a workspace, and a duplicate points to the original: when the
closest earlier record is itself a duplicate, the answer names the record that one repeats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice

from handlers.triage import budget
from handlers.triage import reason_texts as m
from handlers.triage.triager import Triager, Vectors, default_triager
from handlers.triage.types import Candidate, Reason, TriageInputError, TriageResult

CHUNK = 64
Embed = Callable[[Sequence[str]], Sequence[Vectors]]


def triage_batch(
    records: Iterable[Mapping[str, object]],
    triager: Triager | None = None,
    *,
    embed: Embed | None = None,
) -> Iterator[dict[str, object]]:
    """Triage records {"id", "text", ...} in order; yields one row per record. Raises
    TriageInputError (naming the record's position, from 1) at the first malformed record,
    after yielding the ones before it. ``embed`` computes the vectors (the built-in encoder's
    by default; an embeddings endpoint's when one is configured)."""
    engine = triager or default_triager()
    vectors_of = embed or engine.vectors
    earlier: list[Candidate] = []
    original: dict[str, str] = {}
    asked: list[bool] = []
    for chunk in _chunks(records):
        vectors = vectors_of([text for _, text in chunk])
        for (record_id, text), own in zip(chunk, vectors, strict=True):
            result = engine.triage(text, earlier, room=budget.room(asked), vectors=own)
            asked.append(result.check is not None)
            reasons = [*result.reasons]
            target = result.duplicate_of
            if target is not None and original[target] != target:
                reasons.append(
                    Reason(m.DUPLICATE_VIA, {"id": target, "original": original[target]})
                )
                target = original[target]
            original[record_id] = target or record_id
            earlier.append(
                Candidate(
                    record_id,
                    text,
                    result.vector,
                    result.vector_model,
                    type=result.type,
                    urgent=result.urgent,
                )
            )
            yield _row(record_id, result, target, reasons)


def summary(rows: Sequence[Mapping[str, object]]) -> str:
    """One line: counts by type, urgent, duplicates and questions."""
    types = Counter(str(row["type"]) for row in rows)
    checks = Counter(str(dict(row["check"])["kind"]) for row in rows if row["check"])  # type: ignore[call-overload]
    parts = [f"{len(rows)} requests"]
    parts += [f"{kind} {count}" for kind, count in sorted(types.items())]
    parts.append(f"urgent {sum(bool(row['urgent']) for row in rows)}")
    parts.append(f"duplicates {sum(bool(row['duplicate_of']) for row in rows)}")
    parts.append(f"needs info {sum(bool(row['needs_info']) for row in rows)}")
    parts.append(
        f"questions {sum(checks.values())} "
        f"(urgency {checks['urgency']}, duplicate {checks['duplicate']})"
    )
    return ", ".join(parts)


def _row(
    record_id: str, result: TriageResult, target: str | None, reasons: list[Reason]
) -> dict[str, object]:
    return {
        "id": record_id,
        "type": result.type,
        "urgent": result.urgent,
        "duplicate_of": target,
        "needs_info": result.needs_info,
        "check": result.check.as_json() if result.check else None,
        "confidence": result.confidence.as_json(),
        "reasons": [reason.render() for reason in reasons],
    }


def _chunks(records: Iterable[Mapping[str, object]]) -> Iterator[list[tuple[str, str]]]:
    """Validated (id, text) pairs in chunks, so the texts can be embedded in one batch; a bad
    record first lets the good ones before it through, then raises."""
    numbered = enumerate(records, start=1)
    seen: set[str] = set()
    while True:
        chunk: list[tuple[str, str]] = []
        for position, record in islice(numbered, CHUNK):
            try:
                chunk.append(_validate(record, seen))
            except TriageInputError as error:
                if chunk:
                    yield chunk
                raise TriageInputError(error.problem, position=position) from None
        if not chunk:
            return
        yield chunk


def _validate(record: object, seen: set[str]) -> tuple[str, str]:
    if not isinstance(record, Mapping):
        raise TriageInputError(f"expected an object, got {type(record).__name__}")
    record_id, text = record.get("id"), record.get("text")
    if isinstance(record_id, int) and not isinstance(record_id, bool):
        record_id = str(record_id)
    if not isinstance(record_id, str) or not record_id.strip():
        raise TriageInputError('"id" is missing or not a non-empty string')
    if record_id in seen:
        raise TriageInputError(f'"id" {record_id!r} was used before')
    if not isinstance(text, str):
        raise TriageInputError(f'"text" of {record_id!r} is missing or not a string')
    seen.add(record_id)
    return record_id, text
