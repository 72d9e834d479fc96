"""Gunicorn settings that go with the Procfile's command (gunicorn reads this file from the working directory)."""

import gc
import threading

from qa_service import state


def _encoder(server):
    """The preloaded app's sentence encoder (None without --preload, or with QA_SEMANTIC=off)."""
    if not server.cfg.preload_app:
        return None
    return state.live_corpus(server.app.wsgi()).encoder


def pre_fork(server, worker):
    # With --preload the master has built the index before forking. Freezing those objects takes them out of the
    # garbage collector's generations: a full collection in a worker then no longer walks them (about 165 ms with
    # 100,000 passages, measured by bench/profile.py), and pages shared with the master stay shared.
    gc.freeze()
    # ONNX Runtime's thread pool does not survive a fork: the master's session (it embedded the corpus) is closed,
    # and each worker opens its own.
    encoder = _encoder(server)
    if encoder is not None:
        encoder.close()


def post_fork(server, worker):
    # Opened now, beside the worker's start rather than before it, so that the worker takes connections at once; a
    # question that comes first waits for it (about a second) instead of opening another.
    encoder = _encoder(server)
    if encoder is not None:
        threading.Thread(target=encoder.open, name="open-onnx-session", daemon=True).start()
