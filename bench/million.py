"""Issue 18's table: the budgets for a million passages beside what the code does at 100,000 and 1,000,000
passages of the fair corpus (bench/fair_corpus.py), words alone.

    .venv/bin/python -m bench.million --sizes 100000,1000000

For each size it builds the fair corpus (kept between runs), then through the Procfile's gunicorn command with
QA_SEMANTIC=off: the cold build (start until /healthz answers, with an empty QA_CACHE_DIR) and the CPU the master
and the processes it started used for it (the build runs there, before the workers fork: CPU seconds ÷ wall seconds
is how many cores it kept busy); the restart on the saved index; answers/s with wrk at 8 clients, twice (the second
run asks the same questions again); each process's PSS (/proc/PID/smaps_rollup) after that load; and the time from
a document PUT until questions on new connections, which both workers answer, all carry the new corpus version
(bench.update_cost.time_updates). In process, on the index the service saved (bench.inprocess --snapshot): the whole
answer's p50 / p99 on 600 shared questions, the vocabulary and the posting lists' lengths, set beside those of the
shared articles copied to the same size (bench/corpora.py), worked out from each article's own passage frequencies;
and the answers' quality when the shared SQuAD and COVID-QA questions are asked of the whole corpus
(bench.scale_quality). The semantic stage is timed on sampled vectors (bench.inprocess --sampled-vectors: 20,000
sentences embedded for real, every sentence given one of their vectors plus noise): embedding every sentence takes
hours at these sizes on 2 cores, so the table gives its time on vectors of the right number, size and grouping, the
memory they and their projection take, the time to fit the projection, and the measured cost per sentence of
embedding them for real; the whole answer is timed again with the cross-encoder reading the best candidates, as the
service does by default. Through the Procfile too (unless --semantic-service off): the service with the semantic
stage on such vectors, which bench.sampled_embeddings saves in its embedding cache (kept between runs), and the
reading on (its default): its cold start and restart, each process's PSS at rest and after answering, and
answers/s at 8 clients.

It prints a Markdown table and writes every figure to bench/results/million-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from qa_service.document_analysis import analyse, with_embeddings
from qa_service.documents import read_document
from qa_service.meaning import load_encoder
from qa_service.ranking import MODELS
from qa_service.segments import passage_frequency

from . import fair_corpus, load, sampled_embeddings
from .bench import free_port, machine
from .corpora import MAX_BYTES, copy_plan, source_files
from .questions import shared_questions
from .service import ROOT, Service, cpu_seconds
from .update_cost import time_updates

RESULTS = ROOT / "bench" / "results"
WARM_UP_ASKS = 100
EMBEDDING_SAMPLE_SENTENCES = 2000
SAMPLED_VECTORS = 20_000  # sentences embedded for real, whose vectors (plus noise) stand for every sentence's
# The figures issue 18 gives for today's code at 100,000 passages (the shared articles copied), and its budgets.
TODAY = {"answer": "2.0 / 5.6", "cold": "31.9", "put": "1,750 at 1,000 documents", "memory": "512 MiB (peak RSS)",
         "http": "1,106"}
BUDGET = {"answer": "≤ 10 / ≤ 50", "semantic": "≤ 20", "put": "≤ 300, any size", "cold": "≤ 300, both cores",
          "restart": "≤ 10", "memory": "index + embeddings ≤ 2 GiB, shared", "http": "≥ 300"}


def naive_copies(passages: int) -> dict:
    """Vocabulary and posting-list lengths of the shared articles copied up to `passages` (bench/corpora.py): each
    copy adds its article's passage frequencies again, so they are summed rather than built."""
    analysed = {path: analyse(read_document(path, MAX_BYTES)) for path in source_files()}
    frequencies = {path: passage_frequency(doc) for path, doc in analysed.items()}
    per_file = {path: len(doc.windows) for path, doc in analysed.items()}
    plan, total = copy_plan(passages, per_file)
    df: Counter = Counter()
    for path, _ in plan:
        df.update(frequencies[path])
    lengths = np.fromiter(df.values(), dtype=np.int64)
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    return {"passages": total, "documents": len(plan), "terms": int(lengths.size), "p50": float(p50),
            "p90": float(p90), "p99": float(p99), "max": int(lengths.max()),
            "terms_in_one_passage": int((lengths == 1).sum())}


def embedding_cost(folder: Path) -> dict:
    """Seconds per sentence of the model on these cores (2 threads), timed on the corpus's first sentences."""
    documents, sentences = [], 0
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        documents.append(analyse(read_document(path, MAX_BYTES)))
        sentences += len(documents[-1].sentences)
        if sentences >= EMBEDDING_SAMPLE_SENTENCES:
            break
    encoder = load_encoder(2)
    started = time.perf_counter()
    with_embeddings(documents, encoder)
    return {"sentences": sentences, "seconds_per_sentence": (time.perf_counter() - started) / sentences}


def service_figures(folder: Path, work: Path, name: str, http_seconds: int, updates: int) -> dict:
    cache = work / f"{name}-cache"
    shutil.rmtree(cache, ignore_errors=True)
    token = secrets.token_urlsafe(24)
    env = {"QA_SEMANTIC": "off", "QA_CACHE_DIR": str(cache), "QA_ADMIN_TOKEN": token,
           "QA_RATE_LIMIT_ASK": "off", "QA_RATE_LIMIT_WRITE": "off"}
    log_path = work / f"{name}-gunicorn.log"
    with Service(folder, free_port(), log_path, env) as cold:
        cold_seconds = cold.ready_seconds
        build_cpu = cpu_seconds(cold.process.pid)
    # A shared article (a text document), replaced by the PUTs and written back afterwards.
    texts = sorted(folder.glob("*.txt"))
    if not texts:
        raise SystemExit(f"{folder} holds no text document for the PUTs to replace: ask for more passages")
    target = texts[0]
    original = target.read_bytes()
    try:
        with Service(folder, free_port(), log_path, env) as warm:
            bodies = [q.body() for q in shared_questions(600)]
            statuses = [warm.ask(json.dumps(body).encode()) for body in bodies[:WARM_UP_ASKS]]
            script = load.write_script(work / f"{name}-ask.lua", bodies)
            http = load.run(f"http://127.0.0.1:{warm.port}/api/ask", script, 8, http_seconds)
            http.pop("wrk_output")
            # The same questions again: each worker has now worked out the BM25 weights of most of their terms,
            # which the first run did on a term's first question.
            again = load.run(f"http://127.0.0.1:{warm.port}/api/ask", script, 8, http_seconds)
            again.pop("wrk_output")
            pss = warm.pss_mib()
            puts, reflected = time_updates(warm.port, token, target.stem, original, updates)
            restart_seconds = warm.ready_seconds
    finally:
        target.write_bytes(original)
    return {"cold_build_seconds": cold_seconds, "cold_build_master_cpu_seconds": build_cpu,
            "restart_seconds": restart_seconds, "warm_up_non_200": sum(s != 200 for s in statuses),
            "http_8_clients": http, "http_8_clients_again": again, "pss_mib": pss, "put_seconds": puts,
            "put_to_all_answers_seconds": reflected,
            "cache_bytes": sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())}


def semantic_service_figures(folder: Path, work: Path, name: str, http_seconds: int) -> dict:
    """The semantic stage through the Procfile, on sampled vectors that bench.sampled_embeddings saves in the
    service's embedding cache (kept between runs): the cold start (analysis, the projection's fit, publication),
    the restart, each process's PSS at rest, answers/s at 8 clients twice, and PSS after them."""
    cache = work / f"{name}-semantic-cache"
    sampled = None
    if not any(cache.rglob("*.npy")):
        sampled = sampled_embeddings.write(folder, cache, SAMPLED_VECTORS)
    for snapshot in cache.rglob("index.snapshot"):
        snapshot.unlink()  # a cold start every run: the snapshot of earlier code would not load anyway
    env = {"QA_SEMANTIC": "on", "QA_CACHE_DIR": str(cache), "QA_RATE_LIMIT_ASK": "off"}
    log_path = work / f"{name}-semantic-gunicorn.log"
    with Service(folder, free_port(), log_path, env) as cold:
        cold_seconds = cold.ready_seconds
    with Service(folder, free_port(), log_path, env) as warm:
        time.sleep(10)  # both workers up and settled, as bench.restart.settled_pss waits
        at_rest = warm.pss_mib()
        script = load.write_script(work / f"{name}-ask.lua", [q.body() for q in shared_questions(600)])
        http = load.run(f"http://127.0.0.1:{warm.port}/api/ask", script, 8, http_seconds)
        http.pop("wrk_output")
        again = load.run(f"http://127.0.0.1:{warm.port}/api/ask", script, 8, http_seconds)
        again.pop("wrk_output")
        return {"sampled_embeddings": sampled, "cold_start_seconds": cold_seconds,
                "restart_seconds": warm.ready_seconds, "pss_mib_at_rest": at_rest, "http_8_clients": http,
                "http_8_clients_again": again, "pss_mib_after": warm.pss_mib()}


def in_process(folder: Path, cache: Path) -> dict:
    """bench.inprocess on the saved index: the answer words alone, and with the semantic stage on sampled vectors."""
    command = [sys.executable, "-m", "bench.inprocess", str(folder), "--questions", "shared", "--count", "600",
               "--snapshot", str(cache), "--baselines", "off", "--semantic", "on",
               "--sampled-vectors", str(SAMPLED_VECTORS)]
    return json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)


def quality(cache: Path) -> dict:
    command = [sys.executable, "-m", "bench.scale_quality", "--snapshot", str(cache)]
    return json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)


def _lengths(p: dict) -> str:
    return f"{p['terms']:,} terms; {p['p50']:.0f} / {p['p90']:.0f} / {p['p99']:,.0f} / {p['max']:,}"


def table(results: list[dict], embedding: dict) -> str:
    def row(label: str, budget: str, today: str, cells: list[str]) -> str:
        return f"| {label} | {budget} | {today} | " + " | ".join(cells) + " |"

    out = [row("", "budget at 1M", "today at 100k (issue 18)", [f"fair corpus, {r['size']:,}" for r in results]),
           "| --- | --- | --- |" + " --- |" * len(results)]
    ip = [r["in_process"] for r in results]
    sv = [r["service"] for r in results]
    cs = [r["corpus"] for r in results]
    out.append(row("documents / passages / sentences", "", "977 / 100,160 / –",
                   [f"{p['documents']:,} / {p['passages']:,} / {p['sentences']:,}" for p in ip]))
    out.append(row("of which varied copies (rounds)", "", "all but 57 copies",
                   [f"{c['varied_copies']:,} ({c['rounds']})" for c in cs]))
    out.append(row("vocabulary; posting list length p50 / p90 / p99 / max", "", "",
                   [_lengths(p["postings_lengths"]) for p in ip]))
    out.append(row("the same for the shared articles copied to that size", "", "",
                   [_lengths(r["naive_copies"]) for r in results]))
    out.append(row("whole answer, words alone, p50 / p99 ms", BUDGET["answer"], TODAY["answer"],
                   [f"{p['answer']['p50_ms']:.3g} / {p['answer']['p99_ms']:.3g}" for p in ip]))
    out.append(row("whole answer, semantic stage on sampled vectors, p50 / p99 ms", BUDGET["semantic"],
                   "18.4 (README)",
                   [f"{p['answer_semantic']['p50_ms']:.3g} / {p['answer_semantic']['p99_ms']:.3g} (embedding the "
                    f"{p['sentences']:,} sentences would take "
                    f"{p['sentences'] * embedding['seconds_per_sentence'] / 3600:.1f} h)" for p in ip]))
    out.append(row(f"the same with the cross-encoder reading the {MODELS['reading'].reread} best (the default), "
                   "p50 / p99 ms", BUDGET["semantic"], "",
                   [f"{p['answer_reading']['p50_ms']:.3g} / {p['answer_reading']['p99_ms']:.3g}" for p in ip]))
    out.append(row("sentence vectors + their projection, MiB; fitting the projection, s", "", "",
                   [f"{p['vectors_mib']:,.0f} + {p['projection_mib']:,.0f}; "
                    f"{p['build_seconds']['sampled_vectors']['fit_projection']:.1f}" for p in ip]))
    out.append(row("PUT → every worker answers the new corpus, median / max ms", BUDGET["put"], TODAY["put"],
                   [f"{1000 * np.median(s['put_to_all_answers_seconds']):.0f} / "
                    f"{1000 * max(s['put_to_all_answers_seconds']):.0f} ({len(s['put_seconds'])} PUTs)" for s in sv]))
    out.append(row("cold build, s (cores kept busy)", BUDGET["cold"], TODAY["cold"],
                   [f"{s['cold_build_seconds']:.1f} "
                    f"({s['cold_build_master_cpu_seconds'] / s['cold_build_seconds']:.2f})" for s in sv]))
    out.append(row("restart on the saved index, s", BUDGET["restart"], "4.94 (README)",
                   [f"{s['restart_seconds']:.1f}" for s in sv]))
    out.append(row("PSS per process, MiB (sum)", BUDGET["memory"], TODAY["memory"],
                   [", ".join(f"{name} {mib:,.0f}" for name, mib in s["pss_mib"].items())
                    + f" ({sum(s['pss_mib'].values()):,.0f})" for s in sv]))
    out.append(row("answers/s at 8 clients (Procfile), p50 / p99 ms", BUDGET["http"], TODAY["http"],
                   [f"{s['http_8_clients']['requests_per_second']:.0f}, {s['http_8_clients']['p50_ms']:.3g} / "
                    f"{s['http_8_clients']['p99_ms']:.3g}"
                    + (f", {s['http_8_clients']['errors']} errors" if s['http_8_clients']['errors'] else "")
                    for s in sv]))
    out.append(row("the same questions again: answers/s, p50 / p99 ms", BUDGET["http"], "",
                   [f"{s['http_8_clients_again']['requests_per_second']:.0f}, "
                    f"{s['http_8_clients_again']['p50_ms']:.3g} / {s['http_8_clients_again']['p99_ms']:.3g}"
                    for s in sv]))
    ss = [r["semantic_service"] for r in results]
    if all(ss):
        out.append(row("semantic stage (sampled vectors) and reading through the Procfile: cold start / restart, s",
                       "≤ 10 restart", "", [f"{s['cold_start_seconds']:.1f} / {s['restart_seconds']:.1f}" for s in ss]))
        for key, label in (("pss_mib_at_rest", "at rest"), ("pss_mib_after", "after the answers below")):
            out.append(row(f"its PSS per process {label}, MiB (sum)", BUDGET["memory"], "",
                           [", ".join(f"{n} {mib:,.0f}" for n, mib in s[key].items())
                            + f" ({sum(s[key].values()):,.0f})" for s in ss]))
        for key, label in (("http_8_clients", "its answers/s at 8 clients"), ("http_8_clients_again", "again")):
            out.append(row(f"{label}, p50 / p99 ms", BUDGET["http"], "",
                           [f"{s[key]['requests_per_second']:.0f}, {s[key]['p50_ms']:.3g} / {s[key]['p99_ms']:.3g}"
                            for s in ss]))
    for name, label in (("squad", "SQuAD"), ("covidqa", "COVID-QA")):
        out.append(row(f"{label} asked of the whole corpus: hit@1 / answered % (bench.scale_quality)", "", "",
                       [f"{r['quality'][name]['hit@1']} / {r['quality'][name]['answered']}" for r in results]))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="passage counts, comma-separated "
                        "(default: %(default)s)")
    parser.add_argument("--http-seconds", type=int, default=10, help="length of the wrk run (default: %(default)s)")
    parser.add_argument("--updates", type=int, default=5, help="PUTs timed per size (default: %(default)s)")
    parser.add_argument("--semantic-service", choices=("on", "off"), default="on",
                        help="also run the service with the semantic stage on sampled vectors (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=RESULTS / "work",
                        help="where the corpora, caches and logs go (default: %(default)s)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    results = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        name = f"fair-{size}"
        folder = args.work / name
        print(f"{name}: corpus ...", file=sys.stderr, flush=True)
        corpus = fair_corpus.build(folder, size, fair_corpus.WORK)
        print(f"{name}: service ...", file=sys.stderr, flush=True)
        service = service_figures(folder, args.work, name, args.http_seconds, args.updates)
        semantic = None
        if args.semantic_service == "on":
            print(f"{name}: service with the semantic stage ...", file=sys.stderr, flush=True)
            semantic = semantic_service_figures(folder, args.work, name, args.http_seconds)
        print(f"{name}: in process ...", file=sys.stderr, flush=True)
        print(f"{name}: quality ...", file=sys.stderr, flush=True)
        results.append({"size": size, "corpus": corpus, "naive_copies": naive_copies(size), "service": service,
                        "semantic_service": semantic,
                        "in_process": in_process(folder, args.work / f"{name}-cache"),
                        "quality": quality(args.work / f"{name}-cache")})
    embedding = embedding_cost(args.work / f"fair-{results[0]['size']}")
    info["load_average_at_end"] = os.getloadavg()
    heading = (f"Machine: {info['cpus']} cores ({info['cpu_model']}), {info['memory_gib']} GiB, Python "
               f"{info['python']}, commit {info['commit']}, QA_SEMANTIC=off; load average "
               f"{info['load_average_at_start'][0]:.2f} at start, {info['load_average_at_end'][0]:.2f} at end. "
               f"Sentence embedding: {1000 * embedding['seconds_per_sentence']:.1f} ms a sentence "
               f"({embedding['sentences']:,} sentences, 2 threads).")
    report = heading + "\n\n" + table(results, embedding)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("million-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps({"machine": info, "arguments": vars(args) | {"work": str(args.work)},
                                "embedding": embedding, "results": results, "table": report}, indent=1))
    print(f"\nfigures: {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
