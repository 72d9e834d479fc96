"""Answer quality at scale: the answerable questions of the shared SQuAD and COVID-QA sets asked of a whole large
corpus, on the index the service saved. The fair corpus (bench/fair_corpus.py) holds their articles, and varied
copies of them, among thousands of other documents, so a question must find its article's sentence among a million
passages, not among its article's few hundred.

    .venv/bin/python -m bench.scale_quality --snapshot bench/results/work/fair-1000000-cache [--squad-every 3]

A question counts as answered rightly when the first quote holds one of its gold answers (the answer's text, in any
case): a quote from a varied copy of the article counts too, since it says the same. Words alone: the semantic stage
would need every sentence of the corpus embedded, hours at a million passages. Prints one JSON object: per set, the
questions asked, hit@1 and answered (% of them) and the seconds taken.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from qa_service.answering import answer
from qa_service.index import Index

from .inprocess import load_saved
from .questions import SHARED_EVAL

SETS = ("squad", "covidqa")


def answerable(name: str, every: int = 1) -> list[dict]:
    """Every `every`-th answerable question of a shared set, in the file's order."""
    rows = [json.loads(line) for line in (SHARED_EVAL / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    return [row for row in rows if row["answerable"]][::every]


def is_right(quotes: list, answers: list[str]) -> bool:
    """Whether the first quote holds one of the gold answers."""
    return bool(quotes) and any(gold.lower() in quotes[0].text.lower() for gold in answers)


def measure(index: Index, questions: list[dict]) -> dict:
    started = time.perf_counter()
    right = answered = 0
    for row in questions:
        found = answer(index, row["question"], [turn["question"] for turn in row.get("history") or []])
        right += is_right(found.quotes, row["answers"])
        answered += bool(found.quotes)
    count = max(len(questions), 1)
    return {"questions": len(questions), "hit@1": round(100 * right / count, 1),
            "answered": round(100 * answered / count, 1), "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", type=Path, required=True, help="the QA_CACHE_DIR the service saved its index in")
    parser.add_argument("--squad-every", type=int, default=3,
                        help="ask every n-th answerable SQuAD question (default: %(default)s)")
    args = parser.parse_args(argv)
    index, _ = load_saved(args.snapshot)
    every = {"squad": args.squad_every, "covidqa": 1}
    json.dump({name: measure(index, answerable(name, every[name])) for name in SETS}, sys.stdout)


if __name__ == "__main__":
    main()
