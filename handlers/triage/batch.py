"""A dry run over a file of requests: each one triaged against the ones before it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice

from handlers.triage import messages as m
from handlers.triage.triager import Triager, default_triager
from handlers.triage.types import Candidate, Reason, TriageInputError, TriageResult

CHUNK = 64


def triage_batch(
    records: Iterable[Mapping[str, object]], triager: Triager | None = None
) -> Iterator[dict[str, object]]:
    """Triage records {"id", "text", ...} in order; each is compared with the earlier ones.

    A duplicate points to the original: when the closest earlier record is itself a duplicate,
    the answer names the record that one repeats. Raises TriageInputError (naming the record's
    position, from 1) at the first malformed record, after yielding the ones before it.
    """
    engine = triager or default_triager()
    earlier: list[Candidate] = []
    original: dict[str, str] = {}
    for chunk in _chunks(records):
        vectors = engine.embed([text for _, text in chunk])
        for (record_id, text), vector in zip(chunk, vectors, strict=True):
            result = engine.triage_embedded(text, vector, earlier)
            reasons = [*result.reasons]
            target = result.duplicate_of
            if target is not None and original[target] != target:
                reasons.append(
                    Reason(m.DUPLICATE_VIA, {"id": target, "original": original[target]})
                )
                target = original[target]
            original[record_id] = target or record_id
            earlier.append(Candidate(record_id, text, result.vector))
            yield _row(record_id, result, target, reasons)


def _row(
    record_id: str, result: TriageResult, target: str | None, reasons: list[Reason]
) -> dict[str, object]:
    return {
        "id": record_id,
        "type": result.type,
        "urgent": result.urgent,
        "duplicate_of": target,
        "needs_info": result.needs_info,
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
