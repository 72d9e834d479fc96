"""Grouping readers' questions that ask the same thing in other words, for the editors' Reader questions view.

With the semantic stage's encoder, two questions are the same when their sentence embeddings are close; without
it, when they share most of their index terms (qa_service.analysis.terms).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .analysis import terms
from .meaning import SentenceEncoder

# Cosine of two questions' embeddings at or over which they are the same question; all-MiniLM-L6-v2 puts
# paraphrases of one question around 0.8 to 0.95 and different questions about one subject around 0.4 to 0.7.
SAME_MEANING = 0.8
# Share of index terms (of both questions together) at or over which they are the same question.
SHARED_TERMS = 0.5


def group_questions(questions: Sequence[str], encoder: SentenceEncoder | None) -> list[list[int]]:
    """Positions of the questions, grouped; each group in the given order, and the groups in the order of their
    first question (so a list sorted by count gives groups led by their most asked question)."""
    if encoder is not None:
        vectors = encoder.encode(list(questions))
        return _greedy(len(questions), lambda i, j: float(np.dot(vectors[i], vectors[j])) >= SAME_MEANING)
    term_sets = [frozenset(terms(q)) or frozenset({q}) for q in questions]
    return _greedy(len(questions),
                   lambda i, j: len(term_sets[i] & term_sets[j]) / len(term_sets[i] | term_sets[j]) >= SHARED_TERMS)


def _greedy(count: int, same) -> list[list[int]]:
    # Each question joins the first group whose first (most asked) question it matches.
    groups: list[list[int]] = []
    for position in range(count):
        for group in groups:
            if same(group[0], position):
                group.append(position)
                break
        else:
            groups.append([position])
    return groups
