"""What a worker keeps as it answers new questions: its memory and the index's kept work (postings, passages,
sentence traits) after every question of the shared sets has been asked of one saved index, with the service's
bounds and with none (as before they were set).

    .venv/bin/python -m bench.worker_memory CACHE [--kept bounded|unbounded] [--rounds 2] [--made N]

CACHE is the QA_CACHE_DIR a service saved its index under (e.g. `bench.restart FOLDER --cache CACHE --runs 0` on the
fair corpus). Every question of the shared sets (SQuAD, COVID-QA, Keppra, keppra-lay, the Debian FAQ: about 3,400,
nearly all different) is asked `--rounds` times, words alone, in process, as a worker would answer them. With --made
N, N more questions are made from the corpus itself, as weeks of readers would ask about everything in it: the first
twelve words of N sentences drawn at random (a fixed seed), each ending in a question mark. Prints one
JSON object: the process's RSS after loading and after each round, the index's `kept()` after each round, and the
CPU ms per answer (p50, mean) of each round. Run each --kept in a fresh interpreter: memory is per process.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from qa_service import index as index_module
from qa_service.answering import answer

from .inprocess import load_saved
from .questions import Question, read_set

SETS = ("squad", "covidqa", "keppra", "keppra-lay", "debianfaq")
UNBOUNDED = 1 << 62


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def made_questions(index, count: int, seed: int = 18) -> list[Question]:
    """Questions from `count` sentences of the index drawn at random: their first twelve words and a question mark."""
    draw = random.Random(seed)
    made = []
    while len(made) < count:
        doc = index.documents[draw.randrange(len(index.documents))]
        if not len(doc.sentences):
            continue
        said = doc.sentence_text(draw.randrange(len(doc.sentences))).split()
        if len(said) >= 4:
            made.append(Question(" ".join(said[:12]).rstrip(".,;:!?") + "?"))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache", type=Path)
    parser.add_argument("--kept", choices=("bounded", "unbounded"), default="bounded")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--made", type=int, default=0, metavar="N", help="questions made from the corpus, asked too")
    args = parser.parse_args()
    if args.kept == "unbounded":
        # Read when an index is made: every one made from here on keeps all it works out, as indexes did before.
        index_module.POSTINGS_KEPT_BYTES = UNBOUNDED
        index_module.PASSAGES_KEPT = UNBOUNDED
        index_module.TRAITS_KEPT = UNBOUNDED
    index, _ = load_saved(args.cache)
    questions = [q for name in SETS for q in read_set(name)] + made_questions(index, args.made)
    report = {"kept": args.kept, "questions": len(questions), "distinct": len({q.text for q in questions}),
              "rss_mib_loaded": round(rss_mib(), 1), "rounds": []}
    for _ in range(args.rounds):
        ms = []
        for q in questions:
            started = time.process_time()
            answer(index, q.text, q.history)
            ms.append((time.process_time() - started) * 1e3)
        report["rounds"].append({"rss_mib": round(rss_mib(), 1), "kept": index.kept(),
                                 "cpu_ms_p50": round(statistics.median(ms), 2),
                                 "cpu_ms_mean": round(statistics.mean(ms), 2)})
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
