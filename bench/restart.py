"""A restart on the saved index, alone: start until /healthz answers through the Procfile's gunicorn (QA_SEMANTIC=off),
after one cold start that builds and saves the index when the cache folder is empty; each process's PSS after the
last restart.

    .venv/bin/python -m bench.restart FOLDER [--cache DIR] [--runs 3]

FOLDER is a corpus, e.g. the fair corpus (`python -m bench.fair_corpus FOLDER --passages 1000000`). The cache folder
(default FOLDER's name plus `-restart-cache` beside it) keeps the saved index between runs, so the restarts of two
checkouts can be alternated: the saved index names the code that made it, so each checkout needs a cache of its own.
`bench.million` measures the same restart among all of issue 18's figures; this one spares the rest (wrk, PUTs, the
in-process answers), for comparing the restart of two versions.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from .bench import free_port
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
    args = parser.parse_args(argv)
    cache = args.cache or args.folder.with_name(args.folder.name + "-restart-cache")
    environment = {"QA_SEMANTIC": "off", "QA_CACHE_DIR": str(cache)}
    log = cache.with_name(cache.name + ".log")
    if not cache.exists():
        with Service(args.folder, free_port(), log, environment) as service:
            print(f"cold start (builds and saves the index): {service.ready_seconds:.2f} s", flush=True)
    pss: dict[str, float] = {}
    for _ in range(args.runs):
        with Service(args.folder, free_port(), log, environment) as service:
            print(f"restart: {service.ready_seconds:.2f} s (load average {os.getloadavg()[0]:.2f})", flush=True)
            pss = settled_pss(service)
    print("PSS after the last restart, MiB: " + ", ".join(f"{name} {mib:,.0f}" for name, mib in pss.items())
          + f" (sum {sum(pss.values()):,.0f})")


if __name__ == "__main__":
    main()
