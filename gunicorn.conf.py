"""Gunicorn settings that go with the Procfile's command (gunicorn reads this file from the working directory)."""

import ctypes
import gc
import logging
import os
import threading

from threadpoolctl import threadpool_limits

from qa_service import lexicon, state

# glibc gives each new thread a malloc arena of its own, up to 8 per core, and each arena keeps what its threads freed:
# a worker's request threads, ONNX Runtime's and the cross-encoder's pairs each hold their own. With two arenas a
# process, the Procfile on the Keppra corpus held 677-680 MiB of PSS in all after 20 s of questions at 8 clients,
# against 828-836, at the same answers per second (README "Speed and scale"). Set when gunicorn reads this file,
# before the app is loaded and any thread starts; MALLOC_ARENA_MAX in the environment, which glibc reads itself,
# decides instead when it is set.
_MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter (glibc's malloc.h)


def _c_library_function(name: str):
    """A function of the C library (glibc's), or None where it has none. The process's own symbols (CDLL(None)) hold
    the C library's: finding the library by name would run ldconfig in a subprocess at every fork."""
    return getattr(ctypes.CDLL(None), name, None)


def _limit_malloc_arenas():
    mallopt = _c_library_function("mallopt")
    if mallopt is not None and "MALLOC_ARENA_MAX" not in os.environ:
        mallopt(_M_ARENA_MAX, _MALLOC_ARENAS)


_limit_malloc_arenas()


def _live_corpus(server):
    """The preloaded app's corpus (None without --preload)."""
    if not server.cfg.preload_app:
        return None
    return state.live_corpus(server.app.wsgi())


def _encoder(server):
    """The preloaded app's sentence encoder (None without --preload, or with QA_SEMANTIC=off)."""
    corpus = _live_corpus(server)
    return None if corpus is None else corpus.encoder


def pre_fork(server, worker):
    # The average idf is summed over every term of the vocabulary: here, once, rather than by each worker on its
    # first question, whose reads of the terms would write to pages it shares with the master (reference counts).
    # The spelling table, which needs the whole vocabulary too, comes with the index (its snapshot saves it).
    corpus = _live_corpus(server)
    if corpus is not None:
        _ = corpus.served.index.average_idf
    # Likewise the English word lists that keep real words from being spelling-corrected: read by each worker on its
    # first unknown word, they took 0.3 s there and about 55 MiB each.
    lexicon.load()
    # With --preload the master has built the index before forking. Freezing those objects takes them out of the
    # garbage collector's generations: a full collection in a worker then no longer walks them (about 165 ms with
    # 100,000 passages, measured by bench/profile.py), and pages shared with the master stay shared.
    gc.freeze()
    _return_freed_heap()
    # ONNX Runtime's thread pool does not survive a fork: the master's session (it embedded the corpus) is closed,
    # and each worker opens its own.
    encoder = _encoder(server)
    if encoder is not None:
        encoder.close()


def _return_freed_heap():
    """Hand the heap that building or loading the index freed back to the system (glibc's malloc_trim), so that the
    workers do not start with it. Loading a saved index frees the pickle's bytes and every document's own vectors
    once they are stacked into one matrix, but in small pieces among live objects, which glibc keeps: at a million
    passages with sentence vectors, about 1 GiB of the master's RSS. Nothing to do where the C library has no
    malloc_trim."""
    trim = _c_library_function("malloc_trim")
    if trim is not None:
        trim(0)


def post_fork(server, worker):
    # A worker answers several requests at once on its threads (the Procfile's --threads 4), each with its own matrix
    # products; OpenBLAS's threads for each product then compete with those requests for the two cores. At a million
    # passages with the semantic stage, one BLAS thread per worker gave 100 answers/s at 8 clients against 42 with
    # OpenBLAS's default of one per core (bench.restart, README "Speed and scale"). The master keeps every core for
    # the cold build's projection fit, which runs before the workers fork.
    threadpool_limits(limits=1, user_api="blas")
    # Opened now, beside the worker's start rather than before it, so that the worker takes connections at once; a
    # question that comes first waits for it (about a second) instead of opening another.
    encoder = _encoder(server)
    if encoder is not None:
        threading.Thread(target=encoder.open, name="open-onnx-session", daemon=True).start()
    reader = state.reader(server.app.wsgi()) if server.cfg.preload_app else None
    if reader is not None:
        threading.Thread(target=reader.open, name="open-reader-session", daemon=True).start()


def worker_exit(server, worker):
    # A worker that served ends here, its logs flushed, without the C++ destructors that run when an interpreter
    # exits: ONNX Runtime's global environment, made in the master when it embedded the corpus, came to the worker by
    # fork with threads that only the master has, and its destructor aborts the worker trying to join them (SIGABRT,
    # "terminate called after throwing an instance of 'std::system_error'"). The worker's requests are done and its
    # sockets closed by now. A worker that failed to boot exits as gunicorn decides: its status tells the master why.
    if worker.booted:
        logging.shutdown()
        os._exit(0)
