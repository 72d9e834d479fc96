"""What the sentence encoder (qa_service.meaning) and the cross-encoder (qa_service.reading) share: a model's files
and their fingerprint (`ModelFiles`), its tokenizer and one ONNX Runtime session per process, opened on first need
(`OnnxModel`, `OnnxSession`), and the inputs of a batch (`batch_feeds`).

The session is per process because ONNX Runtime's thread pool does not survive a fork (a worker that inherited one
aborts when it exits): the gunicorn master closes any it opened before forking (gunicorn.conf.py), and each worker
opens its own. One session serves many threads at once.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ModelFiles:
    """A model's ONNX bytes and its tokenizer, and a fingerprint of both: saved embeddings name the model by it."""

    name: str
    onnx: bytes
    tokenizer: str

    @property
    def identity(self) -> str:
        digest = hashlib.sha256(self.onnx)
        digest.update(self.tokenizer.encode())
        return f"{self.name}/{digest.hexdigest()[:16]}"


class OnnxSession:
    """A model's bytes, and this process's session for them (opened on first `run` or `open`, about a second)."""

    def __init__(self, model: bytes, threads: int):
        self._model = model
        self._threads = threads
        self._session = None
        self._opening = threading.Lock()

    def open(self):
        session = self._session
        if session is None:
            with self._opening:
                if self._session is None:
                    import onnxruntime

                    options = onnxruntime.SessionOptions()
                    options.intra_op_num_threads = self._threads
                    options.inter_op_num_threads = 1
                    # Its threads would otherwise spin between runs, taking the cores that the workers' other
                    # requests need (2 workers × 4 threads share 2 cores in the Procfile's set-up).
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    # Its memory arena keeps the largest batch's buffers for the session's life: a worker that
                    # embedded a written document's long sentences held about 450 MiB more, for good. Without it,
                    # buffers go back to malloc after each run, at no speed cost measured (README, "Speed and
                    # scale").
                    options.enable_cpu_mem_arena = False
                    options.log_severity_level = 3  # its warnings about unused initialisers say nothing to an operator
                    self._session = onnxruntime.InferenceSession(self._model, options,
                                                                 providers=["CPUExecutionProvider"])
                session = self._session
        return session

    def close(self) -> None:
        """Drop this process's session; the next run opens a new one."""
        self._session = None

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """The model's first output for these inputs."""
        return self.open().run(None, feeds)[0]


class OnnxModel:
    """A model with its tokenizer (no padding: a batch is padded to its longest input; longer inputs cut at
    `max_tokens`) and this process's session for it."""

    def __init__(self, files: ModelFiles, threads: int, max_tokens: int, runs: bytes | None = None):
        """`runs` is the graph the session runs when it is not the file's own but gives the same outputs, bit for
        bit (`onnx_graph`): the model's identity stays the file's, so embeddings saved before stay valid."""
        from tokenizers import Tokenizer

        self.identity = files.identity
        self._tokenizer = Tokenizer.from_str(files.tokenizer)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        self._session = OnnxSession(files.onnx if runs is None else runs, threads)

    def open(self):
        """This process's session, opened on first need (about a second)."""
        return self._session.open()

    def close(self) -> None:
        """Drop this process's session; the next run opens a new one."""
        self._session.close()


def valid_unicode(text: str) -> str:
    """The text as the tokenizer takes it: only valid Unicode, so a lone surrogate (which JSON can carry) becomes
    "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def batch_feeds(encodings: list) -> dict[str, np.ndarray]:
    """A BERT model's inputs for these encodings, each padded with zeros to the longest."""
    length = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), length), np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, :len(e.ids)] = e.ids
        types[row, :len(e.ids)] = e.type_ids
        mask[row, :len(e.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
