"""Many documents analysed on several cores at once.

A cold build of a large corpus is almost all document analysis (Punkt, tokenising, stemming, the alias patterns):
pure Python, which one process runs on one core. Here the documents are shared out among processes started for
the purpose (processes.map_on_processes) and the analyses come back in the documents' order, the same as one
process makes them. Starting a process and sending its analyses back costs about as much as analysing a couple of
megabytes of text, so a small batch (what a write changes) is analysed in the calling process.
"""

from __future__ import annotations

from .document_analysis import AnalysedDocument, analyse
from .documents import Document
from .processes import map_on_processes

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
    # Each batch comes back with its own copies of every word: the documents are made to share one of each.
    return [doc.with_strings_interned() for doc in map_on_processes(analyse, documents, processes, DOCUMENTS_PER_TASK)]
