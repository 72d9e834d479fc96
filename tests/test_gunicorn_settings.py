"""The Procfile's gunicorn settings (gunicorn.conf.py): what the master does before it forks a worker."""

import ctypes
import gc
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

SETTINGS = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def preloading_server(app) -> SimpleNamespace:
    return SimpleNamespace(cfg=SimpleNamespace(preload_app=True), app=SimpleNamespace(wsgi=lambda: app))


def test_the_master_works_out_the_average_idf_before_forking_so_that_workers_share_it(app):
    from qa_service import state

    settings = runpy.run_path(str(SETTINGS))
    index = state.live_corpus(app).served.index
    assert "average_idf" not in vars(index)
    try:
        settings["pre_fork"](preloading_server(app), worker=None)
    finally:
        gc.unfreeze()

    assert "average_idf" in vars(index)


def test_without_preloading_the_hook_needs_no_app():
    settings = runpy.run_path(str(SETTINGS))
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=False), app=None)
    try:
        assert settings["pre_fork"](server, worker=None) is None
    finally:
        gc.unfreeze()


def test_the_master_reads_the_english_word_lists_before_forking():
    from qa_service import lexicon

    settings = runpy.run_path(str(SETTINGS))
    lexicon.dictionary_words.cache_clear()
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=False), app=None)
    try:
        settings["pre_fork"](server, worker=None)
    finally:
        gc.unfreeze()

    assert lexicon.dictionary_words.cache_info().currsize == 1


def resident_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def test_the_master_hands_the_heap_the_index_freed_back_before_forking():
    settings = runpy.run_path(str(SETTINGS))
    blocks = [b"x" * 65_536 for _ in range(3_200)]  # 200 MiB in pieces glibc keeps on its heap
    kept = blocks[::16]  # a live piece every so often, as the index's objects lie among what loading freed
    del blocks
    before = resident_mib()

    settings["_return_freed_heap"]()

    assert before - resident_mib() > 100
    assert len(kept) == 200


def test_a_worker_runs_each_matrix_product_on_one_blas_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    settings = runpy.run_path(str(SETTINGS))
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=False), app=None)
    with threadpool_limits(limits=2, user_api="blas"):  # the limit is the process's: given back after the test
        settings["post_fork"](server, worker=None)
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


def _arenas_after_threads_allocate(load_settings: bool) -> int:
    """How many malloc arenas a fresh interpreter has once 12 threads, alive together, have each allocated (glibc's
    malloc_stats names each arena on stderr)."""
    code = f"""
import ctypes, runpy, threading
if {load_settings!r}:
    runpy.run_path({str(SETTINGS)!r})
together = threading.Barrier(12)
def allocate():
    kept = [bytearray(2000) for _ in range(100)]
    together.wait()
threads = [threading.Thread(target=allocate) for _ in range(12)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), "malloc_stats"), reason="not glibc")
def test_reading_the_settings_keeps_each_process_to_two_malloc_arenas():
    assert _arenas_after_threads_allocate(load_settings=False) > 2
    assert _arenas_after_threads_allocate(load_settings=True) == 2
