"""Hypothesis strategies for fuzzing the HTTP entries: any JSON, and real payloads with one part
replaced by anything. How many cases each test tries: HEATSHIELD_FUZZ_EXAMPLES (a quick slice
in `make test`, 10,000 in `make faults`)."""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("HEATSHIELD_FUZZ_EXAMPLES", "40"))
# The fixtures (a server, a database) are made once per test and shared by its examples: the
# point is that no input, after any other, gets a 500.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", "\x00", "U0ANNA", "<@U0BOT>", "approve_top", "1", "-1", "9" * 30, "null", "[]"]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value where something could be put instead."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with one to three of its parts replaced by any JSON (or removed)."""
    body = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, 3))):
        places = paths(body)
        if not places:
            break
        *parents, last = draw(st.sampled_from(places))
        where: Any = body
        try:
            for key in parents:
                where = where[key]
            if draw(st.booleans()) and isinstance(where, dict):
                del where[last]
            else:
                where[last] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed that place
    return body
