"""Questions' vectors, remembered: a question asked again costs no second run of the model.

Readers ask the same questions: the chat page suggests a few, and a popular question is typed again and again.
Embedding a question is most of what a semantic answer costs the CPU (6–12 ms on these cores, against about 1 ms
for the words), and its vector depends only on the text and the model. So each app keeps the vectors of the last
QA_QUESTION_VECTORS distinct questions it embedded. A question is embedded with the texts that go with it (itself
without the words the corpus never uses, the question before a follow-up) in one run of the model; the whole list is
the key, so a remembered vector is exactly what that run would give, bit for bit. The texts are held in the
process's memory only: never written anywhere, gone when the worker stops.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .meaning import SentenceEncoder


class QuestionVectors:
    """The encoder's vectors for lists of question texts, the last `size` distinct lists remembered (least recently
    asked forgotten first); `size` 0 remembers none. It embeds as the encoder does, and says which model it is
    (`identity`), so the answering code takes it where it takes an encoder."""

    def __init__(self, encoder: SentenceEncoder, size: int):
        self.encoder = encoder
        self.size = size
        self._kept: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return self.encoder.identity

    def encode(self, texts: list[str]) -> np.ndarray:
        """One float32 row of unit length per text; a copy, which the caller may change."""
        key = tuple(texts)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept.copy()
        vectors = self.encoder.encode(texts)
        if self.size:
            with self._lock:
                self._kept[key] = vectors.copy()
                self._kept.move_to_end(key)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return vectors

    def __len__(self) -> int:
        return len(self._kept)
