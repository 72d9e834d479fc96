"""One ONNX Runtime session per process, opened on first need: what the sentence encoder (qa_service.meaning) and
the cross-encoder (qa_service.reading) run their models with.

The session is per process because ONNX Runtime's thread pool does not survive a fork (a worker that inherited one
aborts when it exits): the gunicorn master closes any it opened before forking (gunicorn.conf.py), and each worker
opens its own. One session serves many threads at once.
"""

from __future__ import annotations

import threading

import numpy as np


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
