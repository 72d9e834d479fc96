"""Gunicorn settings that go with the Procfile's command (gunicorn reads this file from the working directory)."""

import gc


def pre_fork(server, worker):
    # With --preload the master has built the index before forking. Freezing those objects takes them out of the
    # garbage collector's generations: a full collection in a worker then no longer walks them (about 165 ms with
    # 100,000 passages, measured by bench/profile.py), and pages shared with the master stay shared.
    gc.freeze()
