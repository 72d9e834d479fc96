"""Documents analysed on several processes are analysed exactly as in one."""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from qa_service import analysis_processes
from qa_service.analysis_processes import analyse_all
from qa_service.document_analysis import analyse
from qa_service.documents import read_document

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "corpora" / "covidqa"
ROOT = Path(__file__).resolve().parent.parent


def same(a, b) -> bool:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)
                    and x.dtype == y.dtype):
                return False
        elif x != y:
            return False
    return True


@pytest.fixture
def documents():
    paths = sorted(SHARED.glob("*.txt"))[:12] or sorted((ROOT / "corpus").glob("*.*"))
    return [read_document(path, 1 << 24) for path in paths]


def test_documents_analysed_on_two_processes_equal_those_analysed_in_one(documents, monkeypatch):
    monkeypatch.setattr(analysis_processes, "MIN_CHARACTERS_PER_PROCESS", 1)
    shared_out = analyse_all(documents, 2)
    assert [doc.document for doc in shared_out] == documents
    assert all(same(a, analyse(d)) for a, d in zip(shared_out, documents, strict=True))


def test_analyses_made_on_other_processes_share_one_string_per_word_with_this_ones(documents, monkeypatch):
    monkeypatch.setattr(analysis_processes, "MIN_CHARACTERS_PER_PROCESS", 1)
    sent = analyse_all(documents, 2)[0]
    here = analyse(documents[0])

    assert sent.sentence_terms.terms == here.sentence_terms.terms
    assert all(a is b for a, b in zip(sent.sentence_terms.terms, here.sentence_terms.terms, strict=True))
    assert all(a is b for a, b in zip(sent.surface_words, here.surface_words, strict=True))


def live_children() -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        try:
            state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if parent == str(os.getpid()) and state != "Z":
            children.append(int(entry.name))
    return children


def test_no_process_outlives_the_analysis(documents, monkeypatch):
    # In the gunicorn master a process left behind would be a child that is no worker.
    monkeypatch.setattr(analysis_processes, "MIN_CHARACTERS_PER_PROCESS", 1)
    before = set(live_children())  # servers other tests of the session started
    analyse_all(documents, 2)
    assert set(live_children()) <= before


def test_a_small_batch_is_analysed_in_this_process(documents, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("started processes for a small batch")

    monkeypatch.setattr(analysis_processes, "map_on_processes", refuse)
    assert all(same(a, analyse(d)) for a, d in zip(analyse_all(documents[:2], 2), documents[:2], strict=True))
