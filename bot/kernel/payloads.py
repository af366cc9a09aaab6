"""Bounds on what a platform's JSON may look like before anything reads it.

Real payloads nest a dozen levels at most (a modal's state inside its view); a body nested far
deeper is not from a platform, and code that walks it recursively (validation, serialisation)
would run out of stack.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


def nested_too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects inside `value` nest deeper than `limit` (walked without
    recursion, so the check itself cannot overflow)."""
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return bool(level)
