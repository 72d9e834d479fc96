"""A restart on the saved index, alone: start until /healthz answers through the Procfile's gunicorn (QA_SEMANTIC=off
unless --semantic on), after one cold start that builds and saves the index when the cache folder is empty; each
process's PSS after the last restart, at rest or, with --load N, after N seconds of questions from 8 clients (wrk,
600 shared questions: the workers' own memory grows as they answer).

    .venv/bin/python -m bench.restart FOLDER [--cache DIR] [--runs 3] [--semantic on] [--load 20]

FOLDER is a corpus, e.g. the fair corpus (`python -m bench.fair_corpus FOLDER --passages 1000000`). The cache folder
(default FOLDER's name plus `-restart-cache` beside it) keeps the saved index between runs, so the restarts of two
checkouts can be alternated: the saved index names the code that made it, so each checkout needs a cache of its own
(a cache holding only another code's snapshot makes the first "restart" a cold build).
`bench.million` measures the same restart among all of issue 18's figures; this one spares the rest (wrk, PUTs, the
in-process answers), for comparing the restart of two versions. With the semantic stage, a cache folder made by
`bench.sampled_embeddings` spares embedding every sentence of a large corpus.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from . import load
from .bench import free_port
from .questions import shared_questions
from .service import Service


def settled_pss(service: Service, seconds: float = 15.0) -> dict[str, float]:
    """PSS once every worker is up: /healthz answers as soon as the first one is, and a worker still starting would
    be missing from the sum."""
    deadline = time.monotonic() + seconds
    workers = len(service.workers())
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = len(service.workers())
        if now == workers:
            break
        workers = now
    return service.pss_mib()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the corpus folder")
    parser.add_argument("--cache", type=Path, help="QA_CACHE_DIR for these runs (default: beside the corpus)")
    parser.add_argument("--runs", type=int, default=3, help="restarts timed (default: %(default)s)")
    parser.add_argument("--semantic", choices=("off", "on"), default="off", help="QA_SEMANTIC (default: %(default)s)")
    parser.add_argument("--load", type=int, default=0, metavar="SECONDS",
                        help="questions asked by 8 clients after the last restart, before PSS is read (default: none)")
    args = parser.parse_args(argv)
    cache = args.cache or args.folder.with_name(args.folder.name + "-restart-cache")
    environment = {"QA_SEMANTIC": args.semantic, "QA_CACHE_DIR": str(cache), "QA_RATE_LIMIT_ASK": "off"}
    log = cache.with_name(cache.name + ".log")
    if not any(cache.rglob("index.snapshot")):
        with Service(args.folder, free_port(), log, environment) as service:
            print(f"cold start (builds and saves the index): {service.ready_seconds:.2f} s", flush=True)
            print("PSS after the cold start, MiB: " + _listed(settled_pss(service)), flush=True)
    pss: dict[str, float] = {}
    for run in range(args.runs):
        with Service(args.folder, free_port(), log, environment) as service:
            print(f"restart: {service.ready_seconds:.2f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
            pss = settled_pss(service)
            if args.load and run == args.runs - 1:
                print("PSS at rest, MiB: " + _listed(pss), flush=True)
                script = load.write_script(cache.with_name(cache.name + "-ask.lua"),
                                           [q.body() for q in shared_questions(600)])
                asked = load.run(f"http://127.0.0.1:{service.port}/api/ask", script, 8, args.load)
                print(f"answers/s at 8 clients: {asked['requests_per_second']:,.0f} "
                      f"(p50 {asked['p50_ms']} ms, p99 {asked['p99_ms']} ms, statuses {asked['statuses']})", flush=True)
                pss = service.pss_mib()
    if pss:
        print("PSS after the last restart" + (f" and {args.load} s of questions" if args.load else "") + ", MiB: "
              + _listed(pss))


def _listed(pss: dict[str, float]) -> str:
    return ", ".join(f"{name} {mib:,.0f}" for name, mib in pss.items()) + f" (sum {sum(pss.values()):,.0f})"


if __name__ == "__main__":
    main()
