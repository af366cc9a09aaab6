"""Small talk against real requests: how many of each the small-talk check takes.

    python bench/small_talk.py [--devset PATH]

Small talk: bench/data/small_talk.jsonl (greetings, thanks, acknowledgements, goodbyes and
"how are you", English and Dutch, written with the phrase list: a development figure).
Requests: every text of the triage's labelled corpus (handlers/triage/corpus, 15 domains,
English and Dutch), and the development set if given; none of them was looked at while the
phrase list was written, so their figure is the held-out one. Prints, per language, small
talk taken as small talk and requests taken as small talk (lost), and the ones that went wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from handlers.small_talk import kind_of  # noqa: E402

SMALL_TALK = REPO / "bench" / "data" / "small_talk.jsonl"
CORPUS = REPO / "handlers" / "triage" / "corpus"


def rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, help="a JSONL of labelled requests to add")
    args = parser.parse_args()
    requests = [row for path in sorted(CORPUS.glob("*.jsonl")) for row in rows(path)]
    if args.devset:
        requests += rows(args.devset)
    talk = rows(SMALL_TALK)
    seen: Counter[str] = Counter()
    missed = [row for row in talk if kind_of(row["text"]) is None]
    wrong_kind = [row for row in talk if kind_of(row["text"]) not in (None, row["kind"])]
    lost = [row for row in requests if kind_of(row["text"]) is not None]
    for row in talk:
        seen[row["lang"]] += 1
    print(
        f"small talk (development set): {len(talk) - len(missed)} of {len(talk)} answered as small "
        f"talk, so {len(missed)} would be filed as a request; {len(wrong_kind)} of another kind"
    )
    for lang in sorted(seen):
        of_lang = [r for r in talk if r["lang"] == lang]
        taken = sum(kind_of(r["text"]) is not None for r in of_lang)
        print(f"  {lang}: {taken} of {len(of_lang)}")
    print(f"requests (held out): {len(lost)} of {len(requests)} lost as small talk")
    by_lang = Counter(str(r.get("lang", "?")) for r in requests)
    for lang, count in sorted(by_lang.items()):
        print(f"  {lang}: {sum(1 for r in lost if r.get('lang', '?') == lang)} of {count}")
    for row in missed:
        print(f"  filed as a request: {row['text']!r}")
    for row in lost:
        print(f"  lost as small talk: {row['text']!r}")


if __name__ == "__main__":
    main()
