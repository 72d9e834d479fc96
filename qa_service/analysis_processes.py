"""Many documents analysed on several cores at once.

A cold build of a large corpus is almost all document analysis (Punkt, tokenising, stemming, the alias patterns):
pure Python, which one process runs on one core. Here the documents are shared out among processes started for
the purpose ("spawn": a fresh interpreter, never a fork of a process whose other threads may hold locks) and the
analyses come back in the documents' order, the same as one process makes them. Starting a process and sending its
analyses back costs about as much as analysing a couple of megabytes of text, so a small batch (what a write
changes) is analysed in the calling process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker

from .document_analysis import AnalysedDocument, analyse
from .documents import Document

# The text one process must have to analyse for starting it to pay (measured on 2 cores: starting one and importing
# the analysers takes about 1.5 s, and analysis runs at about 1 MB of text a second).
MIN_CHARACTERS_PER_PROCESS = 4_000_000
DOCUMENTS_PER_TASK = 16


def analyse_all(documents: list[Document], processes: int) -> list[AnalysedDocument]:
    """Every document analysed, in order, on up to `processes` processes (1: in this one)."""
    characters = sum(len(document.text) for document in documents)
    processes = min(processes, characters // MIN_CHARACTERS_PER_PROCESS)
    if processes <= 1:
        return [analyse(document) for document in documents]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        analysed = list(pool.map(analyse, documents, chunksize=DOCUMENTS_PER_TASK))
    # The pool's queues started multiprocessing's resource tracker, a process that would otherwise live on as a child
    # of this one until it exits: in the gunicorn master (--preload) a child that is no worker. Nothing else here
    # uses it, so it is stopped; the next pool starts another.
    resource_tracker._resource_tracker._stop()
    return analysed
