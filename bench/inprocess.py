"""In-process timings on one corpus: the build from raw files, then per-question latency of our answer (words
alone, and with the semantic stage: the question embedded, the nearest sentences found and weighed) and our
retrieval beside rank_bm25's BM25Okapi.get_scores and bm25s over the same passages and tokens. With --semantic
off, the corpus is not embedded and only the words-alone answer is timed. With --written N, the last N documents are
indexed by N writes (Index.updated), one segment each, as writes leave an index before a merge; "index" is then
the build plus those writes. With --snapshot FOLDER, the index the service saved there (QA_CACHE_DIR) is loaded
instead of built, and "build_seconds" is the load; with --baselines off, BM25Okapi and bm25s are not built (at a
million passages each takes minutes and gigabytes). With --sampled-vectors N (and --snapshot of a words-alone
index), N sentences of the index, a fixed sample, are embedded by the real model and every sentence gets the vector
of one of them plus noise (a cosine of about 0.9 with it), as if the model had embedded it, so that the semantic
stage's answer can be timed on a corpus too large to embed here (a million passages: hours). The vectors lie as
real ones do, in groups by subject, so the nearest-sentence search's clusters hold and read what they would (random
unit vectors have no groups: their clusters are lopsided); the question is embedded by the real model; but which
sentence is found means nothing, so only the times count.

Run by bench.py in a fresh interpreter per corpus (so caches and memory of one size do not help the next):
    python -m bench.inprocess FOLDER --questions keppra|shared --count 600 --okapi-count 50 [--semantic off]
        [--written N] [--snapshot FOLDER] [--baselines off] [--sampled-vectors N]
It prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np
from rank_bm25 import BM25Okapi

from qa_service.analysis import terms
from qa_service.answering import CANDIDATE_PASSAGES, AnswerSettings, answer
from qa_service.config import Settings
from qa_service.document_analysis import analyse, with_embeddings
from qa_service.index import Index
from qa_service.meaning import WIDTH, load_encoder
from qa_service.publications.folder import FILE_NAME
from qa_service.reading import load_reader
from qa_service.sentence_vectors import SentenceVectors
from qa_service.snapshots import IndexSnapshots
from qa_service.store import FolderStore
from qa_service.vector_search import Projection

from .questions import keppra_questions, shared_questions

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def percentiles(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"n": len(seconds), "p50_ms": round(float(p50), 4), "p95_ms": round(float(p95), 4),
            "p99_ms": round(float(p99), 4), "mean_ms": round(float(ms.mean()), 4)}


def timed(calls) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def passage_tokens(index: Index) -> list[list[str]]:
    """Each passage's terms, exactly what our index counted for it."""
    out = []
    for passage in index.passages:
        sentence_terms = index.documents[passage.document].sentence_terms
        out.append([t for i in range(passage.first, passage.last + 1) for t in sentence_terms[i]])
    return out


def postings_lengths(index: Index) -> dict:
    """How long the posting lists are: the vocabulary's document frequencies, as percentiles and a maximum."""
    lengths = np.fromiter(index.document_frequency.values(), dtype=np.int64)
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    return {"terms": int(lengths.size), "p50": float(p50), "p90": float(p90), "p99": float(p99),
            "max": int(lengths.max()), "terms_in_one_passage": int((lengths == 1).sum())}


def load_saved(cache: Path) -> tuple[Index, dict]:
    """The index the service saved under `cache`, and how long loading it took."""
    started = time.perf_counter()
    saved = [path.parent for path in cache.rglob(FILE_NAME)]
    if len(saved) != 1:
        raise SystemExit(f"expected one {FILE_NAME} under {cache}, found {len(saved)}")
    index = IndexSnapshots(saved[0]).load()
    if index is None:
        raise SystemExit(f"the snapshot under {cache} could not be loaded")
    return index, {"load": time.perf_counter() - started, "total": time.perf_counter() - started}


def with_sampled_vectors(index: Index, encoder, sample: int, noise: float = 0.025) -> dict:
    """Give every sentence of the index the vector of one of `sample` of its sentences, embedded for real (a fixed
    choice), plus Gaussian noise of `noise` per component (0.025: a cosine of about 0.9 with the sampled vector), as
    unit vectors in int8 steps (sentence_vectors.py), with the projection the index would fit to them; returns the
    seconds each step took."""
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    count = int(index.sentence_base[-1])
    rows = np.sort(rng.choice(count, min(sample, count), replace=False))
    positions = np.searchsorted(index.sentence_base, rows, side="right") - 1
    texts = [index.documents[d].sentence_text(int(r - index.sentence_base[d]))
             for d, r in zip(positions.tolist(), rows.tolist(), strict=True)]
    sampled = encoder.encode(texts)
    embedded = time.perf_counter()
    blocks = []
    for start in range(0, count, 100_000):
        size = min(100_000, count - start)
        block = sampled[rng.integers(0, len(sampled), size)] + rng.standard_normal((size, WIDTH), np.float32) * noise
        blocks.append(SentenceVectors.of(block / np.linalg.norm(block, axis=1, keepdims=True)))
    vectors = SentenceVectors.stacked(blocks)
    spread = time.perf_counter()
    index.vectors, index.meaning, index.projection = vectors, encoder.identity, Projection.of(vectors)
    return {"embed_sample": embedded - started, "spread": spread - embedded,
            "fit_projection": time.perf_counter() - spread}


def measure(folder: Path, question_set: str, count: int, okapi_count: int, semantic: bool, written: int = 0,
            snapshot: Path | None = None, baselines: bool = True, sampled_vectors: int = 0) -> dict:
    if snapshot is not None:
        index, build_seconds = load_saved(snapshot)
        encoder = load_encoder(2) if semantic else None
        if sampled_vectors:
            if encoder is None or index.vectors is not None:
                raise SystemExit("--sampled-vectors needs --semantic on and a snapshot of a words-alone index")
            build_seconds["sampled_vectors"] = with_sampled_vectors(index, encoder, sampled_vectors)
        timings = _timed_answers(index, len(index.documents), build_seconds, encoder, question_set, count,
                                 okapi_count, baselines)
        if index.vectors is not None:
            projection = index.projection
            timings["vectors_mib"] = index.vectors.nbytes / 2**20
            timings["projection_mib"] = projection.nbytes / 2**20 if projection is not None else 0.0
        return timings
    started = time.perf_counter()
    documents, _ = FolderStore(folder, MAX_DOCUMENT_BYTES).load()
    read = time.perf_counter()
    analysed = [analyse(d) for d in documents]
    analysed_at = time.perf_counter()
    encoder = load_encoder(2) if semantic else None
    embedded_at = analysed_at
    if encoder is not None:
        analysed = with_embeddings(analysed, encoder)
        embedded_at = time.perf_counter()
    index = Index.build(analysed[:len(analysed) - written])
    for n in range(len(analysed) - written, len(analysed)):
        index = index.updated(analysed[:n + 1])
    built = time.perf_counter()
    build_seconds = {"read": read - started, "analyse": analysed_at - read, "embed": embedded_at - analysed_at,
                     "index": built - embedded_at, "total": built - started}
    return _timed_answers(index, len(documents), build_seconds, encoder, question_set, count, okapi_count, baselines)


def _timed_answers(index: Index, documents: int, build_seconds: dict, encoder, question_set: str, count: int,
                   okapi_count: int, baselines: bool) -> dict:
    questions = keppra_questions(count) if question_set == "keppra" else shared_questions(count)
    for q in questions:  # warm-up: first-use costs (the spelling table, stem caches) are not per-question costs
        answer(index, q.text, q.history)
        answer(index, q.text, q.history, encoder=encoder)
    answer_times = timed(lambda q=q: answer(index, q.text, q.history) for q in questions)
    semantic_times = timed(lambda q=q: answer(index, q.text, q.history, encoder=encoder) for q in questions) \
        if encoder is not None else []
    # With the cross-encoder reading the best candidates too (the service's default with the semantic stage on), as
    # many at once as the service reads (QA_READING_PARALLEL).
    parallel = Settings.from_env().qa_reading_parallel
    reading = AnswerSettings(reader=load_reader(1, parallel)) if encoder is not None else None
    reading_times = timed(lambda q=q: answer(index, q.text, q.history, settings=reading, encoder=encoder)
                          for q in questions) if reading is not None else []

    tokens = [terms(q.text) for q in questions]
    queries = [dict(Counter(t)) for t in tokens]  # a term asked twice weighs twice, as in BM25Okapi
    search_times = timed(lambda q=q: index.search(q, k=CANDIDATE_PASSAGES) for q in queries)
    postings_read = [sum(index.document_frequency.get(t, 0) for t in q) for q in queries]
    figures = {
        "documents": documents,
        "passages": index.passage_count,
        "segments": len(index.segments),
        "sentences": index.sentence_count,
        "vocabulary_terms": len(index.idf),
        "postings_lengths": postings_lengths(index),
        "build_seconds": build_seconds,
        "answer": percentiles(answer_times),
        "answer_semantic": percentiles(semantic_times) if encoder is not None else None,
        "answer_reading": percentiles(reading_times) if reading is not None else None,
        "reading_parallel": parallel,
        "search": percentiles(search_times),
        "postings_read_per_question_median": float(np.median(postings_read)),
    }
    if not baselines:
        return figures | {"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    corpus_tokens = passage_tokens(index)
    okapi_started = time.perf_counter()
    okapi = BM25Okapi(corpus_tokens)
    okapi_built = time.perf_counter() - okapi_started
    okapi_questions = list(range(min(okapi_count, len(tokens))))
    okapi_times = timed(lambda i=i: okapi.get_scores(tokens[i]) for i in okapi_questions)
    difference = max((float(np.abs(okapi.get_scores(tokens[i]) - index.scores(queries[i])).max())
                      for i in okapi_questions[:20]), default=0.0)

    bm25s_started = time.perf_counter()
    retriever = bm25s.BM25(method="atire", idf_method="robertson", k1=1.5, b=0.75)
    retriever.index(corpus_tokens, show_progress=False)
    bm25s_built = time.perf_counter() - bm25s_started
    k = min(CANDIDATE_PASSAGES, index.passage_count)
    bm25s_times = timed(lambda t=t: retriever.retrieve([t], k=k, show_progress=False) for t in tokens)

    return figures | {
        "bm25okapi": {**percentiles(okapi_times), "build_seconds": okapi_built,
                      "max_score_difference_from_ours": difference},
        "bm25s": {**percentiles(bm25s_times), "build_seconds": bm25s_built},
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--questions", choices=["keppra", "shared"], required=True)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--okapi-count", type=int, default=600)
    parser.add_argument("--semantic", choices=["on", "off"], default="on")
    parser.add_argument("--written", type=int, default=0, help="documents indexed by writes, one segment each")
    parser.add_argument("--snapshot", type=Path, help="load the index the service saved under this QA_CACHE_DIR")
    parser.add_argument("--baselines", choices=["on", "off"], default="on", help="time BM25Okapi and bm25s too")
    parser.add_argument("--sampled-vectors", type=int, default=0, metavar="N",
                        help="with --snapshot: every sentence a vector near one of N embedded for real, to time the "
                             "semantic stage")
    args = parser.parse_args(argv)
    json.dump(measure(args.folder, args.questions, args.count, args.okapi_count, args.semantic == "on", args.written,
                      args.snapshot, args.baselines == "on", args.sampled_vectors),
              sys.stdout)


if __name__ == "__main__":
    main()
