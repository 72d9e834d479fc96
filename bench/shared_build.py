"""Build once per deployment: how long a second host takes to start when it loads the first one's published index,
against building it itself.

    .venv/bin/python -m bench.shared_build [--passages 100000] [--semantic off]

Makes a corpus of about `--passages` passages (bench.corpora: the shared SQuAD and COVID-QA articles, copied),
starts a throwaway PostgreSQL server on loopback (the tests' own, tests/postgres/server.py) and, one after the other
so that they do not share the cores, three hosts as the Procfile runs them on that database, each with an empty
cache folder of its own (as separate machines would have):

  first:        seeds the database, builds the index and publishes it;
  second:       starts on the same corpus and loads the published index;
  second, own:  the same start with QA_PUBLISH_INDEX=off, so it builds as every host did before.

Each start is timed from the command until /healthz answers; the figures go to stdout as a Markdown table, with what
each host's /api/corpus says it did, the peak memory of its gunicorn master (where the index is built or loaded)
and the size of the publication.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import psycopg

from .corpora import build_corpus, passages_per_file, source_files
from .service import ROOT, Service

# The tests' throwaway server: initdb into a temporary folder, listening on 127.0.0.1 only.
sys.path.insert(0, str(ROOT / "tests"))
from postgres.server import PostgresServer, free_port  # noqa: E402


def corpus_status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/corpus", timeout=60) as response:
        return json.load(response)


def start(name: str, corpus: Path, work: Path, settings: dict[str, str]) -> dict:
    port = free_port()
    env = {"QA_CACHE_DIR": str(work / f"cache-{name}"), "QA_RECORD_QUESTIONS": "off", **settings}
    with Service(corpus, port, work / f"{name}.log", env) as service:
        status = corpus_status(port)
        master_peak = service.master_peak_rss_mib()
    return {"host": name, "ready_seconds": round(service.ready_seconds, 2), "index_origin": status["index_origin"],
            "documents": status["documents"], "passages": status["passages"], "version": status["version"],
            "master_peak_rss_mib": round(master_peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--semantic", choices=["on", "off"], default="off",
                        help="QA_SEMANTIC of every host; on: the first host also embeds every sentence (about 10 "
                             "minutes per 100,000 passages on 2 cores), and so does the host that builds its own")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "qa-bench-shared-build",
                        help="where the corpus and the hosts' logs go (default: %(default)s)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / f"corpus-{args.passages}"
    corpus.mkdir(exist_ok=True)
    reached = build_corpus(corpus, args.passages, passages_per_file(source_files()))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(f"{reached:,} passages; {os.cpu_count()} cores, Python {platform.python_version()}, commit "
          f"{commit.stdout.strip()}, QA_SEMANTIC={args.semantic}, load average {os.getloadavg()[0]:.2f} at start",
          flush=True)
    server = PostgresServer()
    rows = []
    try:
        server.start()
        database = server.create_database()
        shared = {"DATABASE_URL": database, "QA_SEMANTIC": args.semantic}
        for name, settings in (("first", shared), ("second", shared),
                               ("second, own", {**shared, "QA_PUBLISH_INDEX": "off"})):
            for old in (args.work / f"cache-{name}").glob("**/*"):
                if old.is_file():
                    old.unlink()
            rows.append(start(name, corpus, args.work, settings))
            print(json.dumps(rows[-1]), flush=True)
        with psycopg.connect(database) as connection:
            published = connection.execute("SELECT count(*), max(size) FROM qa_index_snapshots").fetchone()
    finally:
        server.stop()
    print(f"\nload average {os.getloadavg()[0]:.2f} at end; {published[0]} publication(s) in the database, "
          f"{published[1] / 2**20:.1f} MiB\n")
    print("| host | start until /healthz answers, s | index_origin | peak RSS of the gunicorn master, MiB |")
    print("| --- | ---: | --- | ---: |")
    for row in rows:
        print(f"| {row['host']} | {row['ready_seconds']:.2f} | {row['index_origin']} | {row['master_peak_rss_mib']} |")
    if len({(row["version"], row["passages"]) for row in rows}) != 1:
        raise SystemExit("the hosts do not serve the same corpus: " + json.dumps(rows))


if __name__ == "__main__":
    main()
