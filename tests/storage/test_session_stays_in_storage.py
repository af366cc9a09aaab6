"""SQL lives in storage/: no handler, adapter or runtime code reaches into a unit of work's
database session (uow.session.add, .delete, .execute...); it calls a repository's method."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("handlers", "adapters", "bot")
SESSION_USE = re.compile(
    r"\buow\.session\b"
    r"|\.session\.(add|add_all|delete|execute|scalar|scalars|get|flush|merge|refresh|"
    r"begin_nested|connection|expunge)\("
)


def test_no_database_session_outside_storage() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_USE.search(line)
    ]

    assert found == [], "use (or add) a repository method in storage/ instead:\n" + "\n".join(found)
