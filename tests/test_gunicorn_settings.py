"""The Procfile's gunicorn settings (gunicorn.conf.py): what the master does before it forks a worker."""

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

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
