"""Sampled sentence embeddings for a whole corpus folder, written where the service looks for saved ones, so that the
service with its semantic stage starts on a million passages without embedding them for hours.

    .venv/bin/python -m bench.sampled_embeddings FOLDER --cache DIR [--sample 20000]

Every document of FOLDER is read and analysed as the service reads and analyses it (on both cores). `--sample`
of its sentences (a fixed choice) are embedded for real by the shipped model; every sentence is then given one of
their vectors plus Gaussian noise, a cosine of about 0.9 with it, as the fair corpus's varied copies are
(`bench.inprocess --sampled-vectors` makes vectors the same way, in process). The vectors are saved per document in
the embedding cache (qa_service/embedding_cache.py) of the service that runs with `QA_CORPUS=FOLDER` and
`QA_CACHE_DIR=DIR`: it then starts as a service restarted after embedding every sentence, with neither an index
snapshot nor a projection yet, and fits the projection and saves its snapshot with them. What that service's memory,
speed and answers per second are through the Procfile is then measured on vectors of the right number, size and
grouping (`bench.restart --semantic on`). Their answers are not meaningful: a sentence's vector is another's.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from qa_service.analysis_processes import analyse_all
from qa_service.config import Settings
from qa_service.embedding_cache import EmbeddingCache
from qa_service.meaning import load_encoder
from qa_service.sentence_vectors import SentenceVectors
from qa_service.store.folder import FolderStore

NOISE = 0.025  # per component, added to a sampled unit vector: a cosine of about 0.9 with it


def cache_folder(corpus: Path, cache: Path, model: str) -> Path:
    """Where the service on this corpus and cache folder saves its embeddings (LiveCorpus)."""
    settings = Settings.from_env({"QA_CORPUS": str(corpus), "QA_CACHE_DIR": str(cache)}, environ={})
    return settings.index_cache_path(Path(".")) / "embeddings"


def write(corpus: Path, cache: Path, sample: int, seed: int = 0) -> dict:
    """Save sampled vectors for every document of the corpus folder; returns counts and the seconds each step took."""
    settings = Settings.from_env({"QA_CORPUS": str(corpus)}, environ={})
    started = time.perf_counter()
    documents, _ = FolderStore(corpus, settings.qa_max_document_bytes).load()
    analysed = analyse_all(documents, settings.analysis_processes)
    read = time.perf_counter()
    counts = np.fromiter((len(doc.sentences) for doc in analysed), np.int64, len(analysed))
    base = np.concatenate(([0], np.cumsum(counts)))
    total = int(base[-1])
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(total, min(sample, total), replace=False))
    owners = np.searchsorted(base, rows, side="right") - 1
    texts = [analysed[d].sentence_text(int(r - base[d])) for d, r in zip(owners.tolist(), rows.tolist(), strict=True)]
    encoder = load_encoder(settings.qa_semantic_threads)
    sampled = encoder.encode(texts)
    embedded = time.perf_counter()
    saved = EmbeddingCache(cache_folder(corpus, cache, encoder.identity), encoder.identity)
    for doc, count in zip(analysed, counts.tolist(), strict=True):
        block = sampled[rng.integers(0, len(sampled), count)] + rng.standard_normal((count, sampled.shape[1]),
                                                                                    np.float32) * NOISE
        saved.put(doc, SentenceVectors.of(block / np.linalg.norm(block, axis=1, keepdims=True)))
    return {"documents": len(analysed), "sentences": total, "embedded": len(texts),
            "seconds": {"read_and_analyse": round(read - started, 1), "embed_sample": round(embedded - read, 1),
                        "write": round(time.perf_counter() - embedded, 1)},
            "folder": str(saved.folder)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the corpus folder")
    parser.add_argument("--cache", type=Path, required=True, help="the QA_CACHE_DIR the service will run with")
    parser.add_argument("--sample", type=int, default=20_000, help="sentences embedded for real (default: %(default)s)")
    args = parser.parse_args(argv)
    print(write(args.folder.resolve(), args.cache.resolve(), args.sample))


if __name__ == "__main__":
    main()
