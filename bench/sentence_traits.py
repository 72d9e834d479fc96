"""What sentences' traits cost an answer: working out one sentence's traits, and the whole answer (words alone, in
process) with the traits of earlier answers kept and with none kept, as on a large corpus, where a new question's
candidates are mostly sentences no question needed before.

    .venv/bin/python -m bench.sentence_traits [--rounds 3]

For each shared corpus with its question set (SQuAD's and COVID-QA's articles): the traits of every sentence, timed
one by one (CPU time); then every question asked once so that postings, passages and spelling are warm, and then
asked again `--rounds` times, alternately with the traits kept from the answers before and with none kept (the
index's RecentTraits emptied before each question). Prints a Markdown table of p50 and mean CPU ms per answer.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from qa_service.answering import answer
from qa_service.corpus import LiveCorpus
from qa_service.document_analysis import RecentTraits, sentence_traits
from qa_service.index import TRAITS_KEPT
from qa_service.store import FolderStore

from .questions import SHARED_EVAL, read_set

SETS = ("squad", "covidqa")


def cpu_ms(work) -> float:
    started = time.process_time()
    work()
    return (time.process_time() - started) * 1e3


def measure(folder: Path, questions: list[str], rounds: int) -> dict:
    index = LiveCorpus(FolderStore(folder, 50 << 20), 1e9, None, None).current().index
    per_sentence = [cpu_ms(lambda d=doc, i=i: sentence_traits(d.document.text, d.sentences, i))
                    for doc in index.documents for i in range(len(doc.sentences))]
    for question in questions:
        answer(index, question)
    kept, none_kept = [], []
    for _ in range(rounds):
        kept += [cpu_ms(lambda q=question: answer(index, q)) for question in questions]
        for question in questions:
            index.recent_traits = RecentTraits(TRAITS_KEPT)
            none_kept.append(cpu_ms(lambda q=question: answer(index, q)))
    return {"sentences": len(per_sentence), "traits_us": statistics.mean(per_sentence) * 1e3,
            "kept": kept, "none_kept": none_kept, "traits_kept_at_end": len(index.recent_traits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times every question is asked each way (default 3)")
    args = parser.parse_args()
    print("| corpus | sentences | traits of one sentence, µs (mean) | answer, traits kept: p50 / mean ms "
          "| answer, none kept: p50 / mean ms |")
    print("| --- | --- | --- | --- | --- |")
    for name in SETS:
        row = measure(SHARED_EVAL / "corpora" / name, [q.text for q in read_set(name)], args.rounds)
        print(f"| {name} | {row['sentences']:,} | {row['traits_us']:.1f} | "
              f"{statistics.median(row['kept']):.2f} / {statistics.mean(row['kept']):.2f} | "
              f"{statistics.median(row['none_kept']):.2f} / {statistics.mean(row['none_kept']):.2f} |")


if __name__ == "__main__":
    main()
