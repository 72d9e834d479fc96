"""The speed-and-scale benchmark: one command, one table.

    .venv/bin/python -m bench.bench --sizes 1000,10000,100000

For the Keppra article and for corpora of about 1,000, 10,000 and 100,000 passages made of the shared SQuAD and
COVID-QA articles (copied as separate files, the copy number in the id: normans--r0007), it measures the build from
raw files (sentence embeddings included), the service's start-up through the Procfile's gunicorn command (cold,
then again with the index and embeddings it saved), the peak memory of a worker, per-question latency in process
(words alone, and with the semantic stage) beside rank_bm25's BM25Okapi.get_scores and bm25s on the same passages
and tokens, and HTTP load at 1, 8 and 32 clients on the Keppra corpus and the largest one. It prints a Markdown
table and writes every figure to bench/results/bench-<time>.json. With --semantic off the service runs with
QA_SEMANTIC=off and nothing is embedded: today's words-alone path, to set beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import load
from .corpora import KEPPRA, build_corpus, passages_per_file, source_files
from .questions import Question, keppra_questions, shared_questions
from .service import ROOT, Service

RESULTS = ROOT / "bench" / "results"
WARM_UP_ASKS = 100


@dataclass
class Target:
    name: str
    label: str
    folder: Path
    question_set: str  # "keppra" or "shared"
    questions: list[Question]
    okapi_count: int
    http: bool


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    changed = subprocess.run(["git", "status", "--porcelain", "--", "qa_service", "Procfile", "requirements.txt"],
                             cwd=ROOT, capture_output=True, text=True)
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(memory / 1024 / 1024, 1),
            "python": platform.python_version(),
            "commit": commit.stdout.strip() + (" with uncommitted changes" if changed.stdout.strip() else ""),
            "load_average_at_start": os.getloadavg()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_process(target: Target, semantic: str) -> dict:
    command = [sys.executable, "-m", "bench.inprocess", str(target.folder), "--questions", target.question_set,
               "--count", str(len(target.questions)), "--okapi-count", str(target.okapi_count),
               "--semantic", semantic]
    return json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)


def service(target: Target, work: Path, http_clients: list[int], http_seconds: int, semantic: str) -> dict:
    log_path = work / f"{target.name}-gunicorn.log"
    # A cache of this run's own, emptied first: the cold start analyses and embeds everything.
    cache = work / f"{target.name}-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = {"QA_SEMANTIC": semantic, "QA_CACHE_DIR": str(cache)}
    with Service(target.folder, free_port(), log_path, env) as cold:
        cold_seconds = cold.ready_seconds
    with Service(target.folder, free_port(), log_path, env) as warm:
        bodies = [q.body() for q in target.questions]
        statuses = [warm.ask(json.dumps(body).encode()) for body in bodies[:WARM_UP_ASKS]]
        runs = []
        if target.http:
            script = load.write_script(work / f"{target.name}-ask.lua", bodies)
            for clients in http_clients:
                run = load.run(f"http://127.0.0.1:{warm.port}/api/ask", script, clients, http_seconds)
                # Other work on the machine moves these figures most. The 1-minute load average also counts this
                # run's own server and wrk (about 2 on 2 cores), so it is kept in the JSON only, as a hint.
                runs.append(run | {"load_average_after": os.getloadavg()[0]})
        return {"cold_start_seconds": cold_seconds, "saved_index_start_seconds": warm.ready_seconds,
                "warm_up_non_200": sum(status != 200 for status in statuses),
                "worker_peak_rss_mib": warm.worker_peak_rss_mib(),
                "master_peak_rss_mib": warm.master_peak_rss_mib(), "http": runs}


def _triple(figures: dict) -> str:
    return f"{figures['p50_ms']:.3g} / {figures['p95_ms']:.3g} / {figures['p99_ms']:.3g}"


def table(results: list[dict], http_clients: list[int], okapi_note: str) -> str:
    def row(label: str, cells: list[str]) -> str:
        return f"| {label} | " + " | ".join(cells) + " |"

    out = [row("", [r["label"] for r in results]), "| --- |" + " --- |" * len(results)]
    ip = [r["in_process"] for r in results]
    sv = [r["service"] for r in results]
    out.append(row("documents / passages", [f"{p['documents']:,} / {p['passages']:,}" for p in ip]))
    out.append(row("build from raw files, s (read + analyse + embed + index)",
                   [f"{b['total']:.2f} ({b['read']:.2f} + {b['analyse']:.2f} + {b['embed']:.2f} + {b['index']:.2f})"
                    for b in (p["build_seconds"] for p in ip)]))
    out.append(row("service start-up, cold, s", [f"{s['cold_start_seconds']:.2f}" for s in sv]))
    out.append(row("service start-up, saved index, s", [f"{s['saved_index_start_seconds']:.2f}" for s in sv]))
    out.append(row("peak RSS of one worker, MiB", [f"{s['worker_peak_rss_mib']:.0f}" for s in sv]))
    out.append(row("whole answer, words alone, p50 / p95 / p99 ms", [_triple(p["answer"]) for p in ip]))
    out.append(row("whole answer, semantic stage on, QA_READING=off, p50 / p95 / p99 ms",
                   [_triple(p["answer_semantic"]) if p["answer_semantic"] else "–" for p in ip]))
    out.append(row("whole answer, semantic stage and reading on (default), p50 / p95 / p99 ms",
                   [_triple(p["answer_reading"]) if p.get("answer_reading") else "–" for p in ip]))
    out.append(row("our retrieval (Index.search), p50 / p95 / p99 ms", [_triple(p["search"]) for p in ip]))
    out.append(row("postings read per question (median)",
                   [f"{p['postings_read_per_question_median']:,.0f}" for p in ip]))
    out.append(row("BM25Okapi.get_scores, p50 / p95 / p99 ms",
                   [_triple(p["bm25okapi"]) + ("" if p["bm25okapi"]["n"] == p["answer"]["n"]
                                               else f" ({p['bm25okapi']['n']} q)") for p in ip]))
    out.append(row("bm25s retrieve, p50 / p95 / p99 ms", [_triple(p["bm25s"]) for p in ip]))
    out.append(row("BM25Okapi p50 ÷ whole answer p50",
                   [f"{p['bm25okapi']['p50_ms'] / p['answer']['p50_ms']:.2g}×" for p in ip]))
    out.append(row("our retrieval p50 ÷ bm25s p50",
                   [f"{p['search']['p50_ms'] / p['bm25s']['p50_ms']:.2f}" for p in ip]))
    for i, clients in enumerate(http_clients):
        cells = []
        for s in sv:
            if s["http"]:
                run = s["http"][i]
                cells.append(f"{run['requests_per_second']:.0f} req/s, {run['p50_ms']:.3g} / {run['p99_ms']:.3g} ms"
                             + (f", {run['errors']} errors" if run["errors"] else ""))
            else:
                cells.append("–")
        out.append(row(f"HTTP, {clients} client{'s' if clients > 1 else ''}: req/s, p50 / p99", cells))
    lines = "\n".join(out)
    return lines + "\n\n" + okapi_note


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="passage counts to reach, comma-separated (default: %(default)s)")
    parser.add_argument("--questions", type=int, default=600,
                        help="questions timed per corpus in process, half SQuAD, half COVID-QA (default: %(default)s)")
    parser.add_argument("--keppra-questions", type=int, default=510,
                        help="Keppra timings: its 30 questions cycled to this count (default: %(default)s)")
    parser.add_argument("--okapi-questions", type=int, default=50,
                        help="BM25Okapi is timed on only this many questions above --okapi-full-up-to passages "
                             "(default: %(default)s)")
    parser.add_argument("--okapi-full-up-to", type=int, default=20000, help="(default: %(default)s)")
    parser.add_argument("--http-seconds", type=int, default=10, help="length of each wrk run (default: %(default)s)")
    parser.add_argument("--http-clients", default="1,8,32", help="(default: %(default)s)")
    parser.add_argument("--semantic", choices=["on", "off"], default="on",
                        help="QA_SEMANTIC for the service, and whether the corpora are embedded in process "
                             "(default: %(default)s)")
    parser.add_argument("--work", type=Path, default=RESULTS / "work",
                        help="where the corpora and service logs go (default: %(default)s)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    http_clients = [int(c) for c in args.http_clients.split(",") if c]
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()

    keppra_folder = args.work / "keppra"
    shutil.rmtree(keppra_folder, ignore_errors=True)
    shutil.copytree(KEPPRA, keppra_folder, ignore=shutil.ignore_patterns(".*"))
    targets = [Target("keppra", "Keppra article", keppra_folder, "keppra", keppra_questions(args.keppra_questions),
                      args.keppra_questions, True)]
    per_file = passages_per_file(source_files())
    shared = shared_questions(args.questions)
    for size in sizes:
        folder = args.work / f"passages-{size}"
        reached = build_corpus(folder, size, per_file)
        okapi_count = args.questions if reached <= args.okapi_full_up_to else args.okapi_questions
        targets.append(Target(f"passages-{size}", f"~{size:,} passages", folder, "shared", shared, okapi_count,
                              size == max(sizes)))

    results = []
    for target in targets:
        print(f"measuring {target.label} ...", file=sys.stderr, flush=True)
        results.append({"name": target.name, "label": target.label, "in_process": in_process(target, args.semantic),
                        "service": service(target, args.work, http_clients, args.http_seconds, args.semantic)})
    info["load_average_at_end"] = os.getloadavg()

    okapi_note = (f"BM25Okapi.get_scores is timed on the first {args.okapi_questions} questions where a corpus has "
                  f"more than {args.okapi_full_up_to:,} passages (it scores every passage, so each question takes "
                  "long); elsewhere every row uses the same questions.")
    heading = (f"Machine: {info['cpus']} cores ({info['cpu_model']}), {info['memory_gib']} GiB, Python "
               f"{info['python']}, commit {info['commit']}, QA_SEMANTIC={args.semantic}; load average "
               f"{info['load_average_at_start'][0]:.2f} at start, {info['load_average_at_end'][0]:.2f} at end.")
    report = heading + "\n\n" + table(results, http_clients, okapi_note)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps({"machine": info, "arguments": vars(args) | {"work": str(args.work)},
                                "results": results, "table": report}, indent=1))
    print(f"\nfigures: {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
