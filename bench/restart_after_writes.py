"""A restart after many writes, with and without publishing the index again in the background.

A start loads the newest published index and analyses every document written since; a serving process publishes the
index again in a child process once the analysis it did for writes passes QA_PUBLISH_AFTER_SECONDS
(qa_service/republishing.py). This measures what that buys and costs, through the Procfile's gunicorn:

    .venv/bin/python -m bench.restart_after_writes FOLDER --writes 300 [--after SECONDS] [--semantic off] [--cache DIR]

One cold start builds and saves the index of FOLDER (unless the cache holds it already). Then, for
QA_PUBLISH_AFTER_SECONDS=0 (never) and for --after (default: the setting's default): a restart from that saved
index (timed), WRITES PUTs of new documents (the texts of the corpus's own documents, every one marked as a new
revision, under new ids), one client asking the shared questions all along (each answer's time, apart while a
publishing child runs), every publishing child's CPU seconds, wall seconds and peak resident memory, then a
restart (timed) after the writes. The written files are removed and the cache put back as it was between the two,
so both start from the same publication.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

from .bench import free_port
from .questions import shared_questions
from .service import Service, _status_kib
from .update_cost import call

TOKEN = "restart-after-writes-benchmark-token"
KINDS = {".txt": "text/plain", ".md": "text/markdown", ".html": "text/html"}
CHILD = re.compile(r"publishing the index in the background \(process (\d+)\)")


def written_documents(folder: Path, count: int) -> list[tuple[str, bytes, str]]:
    """`count` documents to PUT (id, body, file extension): the corpus's own files, evenly spread over it, each with
    a line of its own added."""
    files = sorted(path for path in folder.iterdir() if path.suffix in KINDS)
    step = max(1, len(files) // count)
    chosen = files[::step][:count]
    return [(f"written-{n:05d}", path.read_bytes() + f"\n\nRevision {n} of this document.\n".encode(), path.suffix)
            for n, path in enumerate(chosen)]


class ChildWatch:
    """Follows the service's log for publishing children and samples each one's CPU time and peak memory."""

    def __init__(self, log: Path):
        self.log = log
        self.offset = log.stat().st_size if log.exists() else 0
        self.children: dict[int, dict] = {}
        self.running = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            text = self.log.read_text(errors="replace")[self.offset:]
            for pid in map(int, CHILD.findall(text)):
                self.children.setdefault(pid, {"started": time.monotonic()})
            alive = False
            for pid, seen in self.children.items():
                if "ended" in seen:
                    continue
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    if fields[0] == "Z":
                        raise FileNotFoundError
                    seen["cpu_seconds"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                    seen["peak_rss_mib"] = _status_kib(pid, "VmHWM") / 1024
                    alive = True
                except (FileNotFoundError, ProcessLookupError, KeyError):
                    seen["ended"] = time.monotonic()
                    seen["wall_seconds"] = round(seen["ended"] - seen["started"], 2)
            if alive:
                self.running.set()
            else:
                self.running.clear()
            time.sleep(0.05)

    def wait(self, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.running.is_set()
                                               or any("ended" not in c for c in self.children.values())):
            time.sleep(0.2)

    def stop(self) -> list[dict]:
        self._stop.set()
        self._thread.join()
        return [{key: value for key, value in child.items() if key not in ("started", "ended")}
                for child in self.children.values()]


def asking(port: int, watch: ChildWatch, done: threading.Event, times: dict[str, list[float]]) -> None:
    """One client asking the shared questions in turn until `done`; each answer's ms under 'child' or 'none'."""
    bodies = [json.dumps(q.body()).encode() for q in shared_questions(600)]
    n = 0
    while not done.is_set():
        during = watch.running.is_set()
        started = time.perf_counter()
        call(port, "POST", "/api/ask", bodies[n % len(bodies)], {"Content-Type": "application/json"})
        times["child" if during and watch.running.is_set() else "none"].append((time.perf_counter() - started) * 1e3)
        n += 1


def percentiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {"count": len(values)}
    cuts = statistics.quantiles(values, n=100)
    return {"count": len(values), "p50_ms": round(cuts[49], 1), "p99_ms": round(cuts[98], 1)}


def one_mode(folder: Path, cache: Path, saved: Path, environment: dict, writes: list, log: Path) -> dict:
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(saved, cache)
    result: dict = {}
    with Service(folder, free_port(), log, environment) as service:
        result["restart_before_s"] = round(service.ready_seconds, 2)
        watch = ChildWatch(log)
        done, times = threading.Event(), {"child": [], "none": []}
        client = threading.Thread(target=asking, args=(service.port, watch, done, times))
        client.start()
        started = time.perf_counter()
        for doc_id, body, suffix in writes:
            status, answer = call(service.port, "PUT", f"/api/documents/{doc_id}", body,
                                  {"Content-Type": KINDS[suffix], "Authorization": f"Bearer {TOKEN}"})
            if status not in (200, 201):
                raise RuntimeError(f"PUT {doc_id} answered {status}: {answer}")
        result["writes_seconds"] = round(time.perf_counter() - started, 1)
        watch.wait()
        done.set()
        client.join()
        result["children"] = watch.stop()
        result["answers_while_no_child"] = percentiles(times["none"])
        result["answers_while_a_child_publishes"] = percentiles(times["child"])
    with Service(folder, free_port(), log, environment) as service:
        result["restart_after_s"] = round(service.ready_seconds, 2)
    for doc_id, _, suffix in writes:
        (folder / f"{doc_id}{suffix}").unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the corpus folder (written to, and put back as it was)")
    parser.add_argument("--writes", type=int, default=300, help="documents PUT (default: %(default)s)")
    parser.add_argument("--semantic", choices=("off", "on"), default="off", help="QA_SEMANTIC (default: %(default)s)")
    parser.add_argument("--after", default="", help="QA_PUBLISH_AFTER_SECONDS of the second run (default: its own)")
    parser.add_argument("--cache", type=Path, help="where the saved index is kept (default: beside the corpus)")
    args = parser.parse_args(argv)
    saved = args.cache or args.folder.with_name(args.folder.name + "-writes-cache")
    cache = saved.with_name(saved.name + "-run")
    log = saved.with_name(saved.name + ".log")
    environment = {"QA_SEMANTIC": args.semantic, "QA_ADMIN_TOKEN": TOKEN, "QA_RATE_LIMIT_ASK": "off",
                   "QA_RATE_LIMIT_WRITE": "off"}
    if not any(saved.rglob("index.snapshot")):
        with Service(args.folder, free_port(), log, {**environment, "QA_CACHE_DIR": str(saved)}) as service:
            print(f"cold start (builds and saves the index): {service.ready_seconds:.1f} s", flush=True)
    writes = written_documents(args.folder, args.writes)
    figures = {"writes": len(writes), "semantic": args.semantic}
    for name, after in (("never", "0"), ("republishing", args.after)):
        figures[name] = one_mode(args.folder, cache, saved, {**environment, "QA_CACHE_DIR": str(cache),
                                                            "QA_PUBLISH_AFTER_SECONDS": after}, writes, log)
        print(f"QA_PUBLISH_AFTER_SECONDS={after or 'default'}: {json.dumps(figures[name])}", flush=True)
    shutil.rmtree(cache, ignore_errors=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
