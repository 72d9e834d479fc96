"""Chance closeness: how close in meaning the searched sentences come to questions they have no reason to answer.

A cosine of 0.45 between a question and its closest sentence says little by itself: in one short article the
sentences closest to an unrelated question ("How do I bake sourdough bread?") lie near 0.07, in a large technical
FAQ near 0.26, so the same 0.45 is strong evidence in the first and weak in the second. The decline model reads
every cosine against this chance level: the mean, over everyday questions on other subjects (UNRELATED_QUESTIONS,
shipped in data/unrelated-questions.txt), of the cosine of the closest sentence among the documents searched.
With the decline model refitted this way, the shared sets answered more of COVID-QA and of the everyday-word Keppra
questions and declined more of the Debian FAQ's unanswerable questions (README, "Chance closeness").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from .meaning import SentenceEncoder

UNRELATED_QUESTIONS = tuple(
    line for line in (Path(__file__).with_name("data") / "unrelated-questions.txt").read_text("utf-8").splitlines()
    if line and not line.startswith("#"))


@cache
def unrelated_vectors(encoder: SentenceEncoder) -> np.ndarray:
    """The unrelated questions' unit vectors, embedded once per process and model."""
    return encoder.encode(list(UNRELATED_QUESTIONS))
