"""Work shared out among processes started for it: the pure-Python work of a cold start (reading sources, analysing
documents), which one process runs on one core.

The processes are spawned ("spawn": a fresh interpreter, never a fork of a process whose other threads may hold
locks), and the results come back in the items' order, the same as one process makes them.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker


def map_on_processes(function: Callable, items: Sequence, processes: int, chunksize: int) -> list:
    """`function` of every item, in order, on `processes` processes started for the purpose and stopped after."""
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(function, items, chunksize=chunksize))
    # The pool's queues started multiprocessing's resource tracker, a process that would otherwise live on as a child
    # of this one until it exits: in the gunicorn master (--preload) a child that is no worker. Nothing else here
    # uses it, so it is stopped; the next pool starts another.
    resource_tracker._resource_tracker._stop()
    return results
