"""Where the time goes: cProfile over in-process answers, or py-spy over the service's workers under wrk load.

    .venv/bin/python -m bench.profile answer --size 100000      # cProfile of answer() on the ~100k corpus
    .venv/bin/python -m bench.profile answer --keppra --semantic on  # the question embedded too
    .venv/bin/python -m bench.profile http --keppra --seconds 10  # py-spy of both workers at 8 clients

The py-spy profile counts only samples of threads holding the GIL: the Python work, not the waiting. cProfile
inflates calls into C that do little each (a regular-expression search measured 1 ms a call under it, 45 µs
without): read its shares of such calls against a timing without it.

The corpora are the benchmark's (bench/results/work/, made by bench.py). Prints the functions that take the most
time, by their own time and by time including what they call.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from . import load
from .bench import RESULTS, free_port
from .corpora import KEPPRA, build_corpus, passages_per_file, source_files
from .questions import keppra_questions, shared_questions
from .service import ROOT, Service

TOP = 25


def corpus_folder(args) -> Path:
    work = RESULTS / "work"
    if args.keppra:
        folder = work / "keppra"
        if not folder.exists():
            shutil.copytree(KEPPRA, folder, ignore=shutil.ignore_patterns(".*"))
        return folder
    folder = work / f"passages-{args.size}"
    build_corpus(folder, args.size, passages_per_file(source_files()))
    return folder


def profile_answers(args) -> None:
    from qa_service.answering import answer
    from qa_service.document_analysis import analyse, with_embeddings
    from qa_service.index import Index
    from qa_service.meaning import load_encoder
    from qa_service.store import FolderStore

    documents, _ = FolderStore(corpus_folder(args), 50 * 1024 * 1024).load()
    analysed = [analyse(d) for d in documents]
    encoder = load_encoder(2) if args.semantic == "on" else None
    if encoder is not None:
        analysed = with_embeddings(analysed, encoder)
    index = Index.build(analysed)
    questions = keppra_questions(510) if args.keppra else shared_questions(args.questions)
    for q in questions:
        answer(index, q.text, q.history, encoder=encoder)
    profiler = cProfile.Profile()
    profiler.enable()
    for q in questions:
        answer(index, q.text, q.history, encoder=encoder)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(TOP)
        print(f"--- by {order} ({len(questions)} answers) ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def profile_http(args) -> None:
    folder = corpus_folder(args)
    questions = keppra_questions(30) if args.keppra else shared_questions(args.questions)
    py_spy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    with tempfile.TemporaryDirectory() as tmp, Service(folder, free_port(), Path(tmp) / "gunicorn.log") as service:
        script = load.write_script(Path(tmp) / "ask.lua", [q.body() for q in questions])
        recorders = [subprocess.Popen([py_spy, "record", "--pid", str(pid), "--duration", str(args.seconds),
                                       "--rate", "200", "--gil", "--format", "raw",
                                       "--output", f"{tmp}/{pid}.txt"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for pid in service.workers()]
        run = load.run(f"http://127.0.0.1:{service.port}/api/ask", script, args.clients, args.seconds)
        for recorder in recorders:
            recorder.wait()
        own: Counter = Counter()
        inclusive: Counter = Counter()
        total = 0
        for path in Path(tmp).glob("*.txt"):
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue  # a stack py-spy could not read whole
                frames = stack.split(";")
                total += int(count)
                own[frames[-1]] += int(count)
                for frame in set(frames):
                    inclusive[frame] += int(count)
    print(json.dumps({k: v for k, v in run.items() if k != "wrk_output"}))
    for title, counter in (("own time", own), ("including callees", inclusive)):
        print(f"--- {title}: share of {total} samples ---")
        for frame, count in counter.most_common(TOP):
            print(f"{100 * count / total:5.1f}%  {frame}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["answer", "http"])
    parser.add_argument("--keppra", action="store_true", help="the Keppra corpus instead of --size")
    parser.add_argument("--size", type=int, default=100000, help="passages (default: %(default)s)")
    parser.add_argument("--questions", type=int, default=600, help="(default: %(default)s)")
    parser.add_argument("--semantic", choices=["on", "off"], default="off",
                        help="answer: with the semantic stage (the corpus is embedded first: minutes at 100,000 "
                             "passages); http runs the service's default, on (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=10, help="http: length of the run (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=8, help="http: concurrent clients (default: %(default)s)")
    args = parser.parse_args(argv)
    (profile_answers if args.mode == "answer" else profile_http)(args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
