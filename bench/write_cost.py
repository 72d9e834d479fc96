"""Cost of a write in process, step by step: what bench/update_cost.py measures through gunicorn, without HTTP.

Fills a folder store as update_cost.py does (copies of the shared articles), starts a LiveCorpus on it (the writing
worker), and a second one on another handle of the same folder (the other worker, which learns of the write from the
store's marker), the start-up objects frozen out of the garbage collector's walks as gunicorn's pre_fork freezes
them; then replaces one document several times and times, for each: the store's write, the writing
worker's refresh, the other worker's refresh, and the first answer of each after it (a question every index can
answer, and one with a misspelt word, which needs the spelling table).

    .venv/bin/python -m bench.write_cost --sizes 10,1000,10000 [--updates 5] [--profile FILE]

The first run of a size analyses every document (minutes at 10,000) and keeps the analyses in --cache, keyed by the
size, so later runs (of other code) start in seconds. With --profile, the last update's refreshes and first answers
run under cProfile, and the statistics are written to FILE and their top lines printed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import pickle
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from qa_service.answering import answer
from qa_service.corpus import LiveCorpus
from qa_service.index import Index
from qa_service.snapshots import BUILT
from qa_service.store import FolderStore

from .update_cost import QUESTION, fill_corpus

MISSPELT = "What was the oil crysis of 1973?"
MAX_DOCUMENT_BYTES = 50 << 20


class Preanalysed:
    """Stands for the published snapshot (snapshots.IndexSnapshots): the analyses of an earlier run, so a cold start
    takes seconds."""

    origin = BUILT
    folder = None

    def __init__(self, analysed: dict):
        self.analysed = analysed

    @contextlib.contextmanager
    def starting(self):
        yield dict(self.analysed)

    def index_for(self, analysed, marker) -> Index:
        return Index.build(analysed)


def started(folder: Path, cache: Path, size: int) -> tuple[LiveCorpus, LiveCorpus]:
    """Two live corpora (two workers) on the folder, from the kept analyses when there are some."""
    kept = cache / f"analysed-{size}.pickle"
    analysed = pickle.loads(kept.read_bytes()) if kept.exists() else {}
    writer = LiveCorpus(FolderStore(folder, MAX_DOCUMENT_BYTES), 1e9, Preanalysed(analysed), analysis_processes=2)
    if not kept.exists():
        cache.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(pickle.dumps({(d.document.id, d.document.version): d
                                       for d in writer.served.index.documents}, protocol=5))
    other = LiveCorpus(FolderStore(folder, MAX_DOCUMENT_BYTES), 1e9,
                       Preanalysed({(d.document.id, d.document.version): d for d in writer.served.index.documents}))
    return writer, other


def milliseconds(step, *args) -> tuple[float, object]:
    began = time.perf_counter()
    result = step(*args)
    return 1000 * (time.perf_counter() - began), result


def measure(size: int, updates: int, cache: Path, profile: Path | None) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="qa-write-cost-") as tmp:
        folder = Path(tmp)
        ids = fill_corpus(folder, size)
        writer, other = started(folder, cache, size)
        # As gunicorn.conf.py's pre_fork does once the preloaded app has built the index: the garbage collector then
        # no longer walks the start-up corpus, only what each write makes.
        gc.freeze()
        for corpus in (writer, other):
            answer(corpus.current().index, QUESTION)
            answer(corpus.current().index, MISSPELT)
        target = ids[len(ids) // 2]
        original = (folder / f"{target}.txt").read_bytes()
        times: dict[str, list[float]] = {}
        for n in range(updates):
            body = original + f"\n\nRevision {n} of this document was saved by the update benchmark.".encode()
            profiler = cProfile.Profile() if profile and n == updates - 1 else None
            took = {"put": milliseconds(writer.store.put, target, body, "text")[0]}
            if profiler:
                profiler.enable()
            took["refresh"], corpus = milliseconds(writer.refresh)
            took["answer"] = milliseconds(answer, corpus.index, QUESTION)[0]
            took["misspelt"] = milliseconds(answer, corpus.index, MISSPELT)[0]
            took["other refresh"], seen = milliseconds(other.current)
            took["other answer"] = milliseconds(answer, seen.index, QUESTION)[0]
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
                report = io.StringIO()
                pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(40)
                print(report.getvalue())
            if seen.version != corpus.version:
                raise RuntimeError(f"the other worker serves {seen.version}, not {corpus.version}")
            for step, ms in took.items():
                times.setdefault(step, []).append(ms)
        times["passages"] = [writer.served.index.passage_count]
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000", help="corpus sizes in documents, comma-separated")
    parser.add_argument("--updates", type=int, default=5, help="replacements measured per size")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "qa-write-cost",
                        help="where the analyses of each size are kept between runs")
    parser.add_argument("--profile", type=Path, help="cProfile statistics of the last update, to this file")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        times = measure(size, args.updates, args.cache, args.profile)
        passages = times.pop("passages")[0]
        print(f"{size} documents, {passages} passages: " + ", ".join(
            f"{step} {statistics.median(ms):.1f} ms (max {max(ms):.1f})" for step, ms in times.items()), flush=True)


if __name__ == "__main__":
    main()
