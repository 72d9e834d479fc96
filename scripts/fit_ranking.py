"""Fit the ranking models (qa_service/data/ranking-models.json) with every question set held out in turn.

    .venv/bin/python scripts/fit_ranking.py [--eval ../shared/eval] [--write]

For every question set (the shared keppra, keppra-lay, squad, covidqa, debianfaq and our own pythonfaq, see
scripts/question_sets.py) it builds the index the service would
(sentence embeddings included, cached under .cache/fit-ranking/), and for every question the ranked candidates
with their features, each labelled by the scorer's own rule (score.py, score_html.py for HTML corpora): a
candidate is right when the quote it would give covers a gold answer.

The `meaning` model is fitted in two steps:
1. The sentence ranker: the `words` model's hand-set weights plus weights for the semantic and heading features
   (SEMANTIC_FEATURES), chosen by hit@1 of the first quote with nothing declined (the mean over the sets): the
   four cosine weights over a grid (coordinate ascent from zero stops in a worse optimum), then each heading
   weight in turn.
2. The decline model: a logistic regression on standardised features, questions whose first quote is right
   against questions the source does not answer (answerable ones quoted wrongly left out, as neither label fits
   them), every set weighted alike; its threshold keeps 90% of the answerable questions of every set answered.

Each choice is made once with every set (in-sample) and once per set without it (leave one set out): the script
prints both figures side by side for every set, then, with --write, saves the model fitted on every set.

With --reading, the shipped `meaning` model's ranker is kept and the `reading` model fitted on top of it: the
cross-encoder (qa_service/reading.py) reads the best few candidates, and how many it reads and the weight of its
logit are chosen from READ_COUNTS and READING_WEIGHTS by mean raw hit@1, then the weights of AFTER_READING among the
candidates read; then its decline model (the meaning model's evidence, refitted on what the reading model quotes).
Refit it after refitting the meaning model.

With --only FEATURE, the shipped `meaning` model is kept as it is (ranker, decline weights, threshold) but for one
decline feature, whose weight alone is fitted by the same weighted likelihood (its sign as LOWERING or RAISING
says): a new piece of evidence added without moving what the rest of the model has settled.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from question_sets import NAMES as SET_NAMES
from question_sets import question_sets

from qa_service import answering, ranking
from qa_service.corpus import LiveCorpus
from qa_service.meaning import load_encoder
from qa_service.model import MODELS_FILE, RankingModel, write_models
from qa_service.questions import build_query
from qa_service.reading import load_reader
from qa_service.snapshots import IndexSnapshots
from qa_service.store import FolderStore

ROOT = Path(__file__).resolve().parent.parent
# The ranker's features that the words model leaves at 0, and the values the fit tries for each: a grid for the
# cosine features, then one feature at a time for the heading features.
SEMANTIC_FEATURES = ("cosine", "cosine_gap", "context_cosine", "context_gap", "heading_held", "heading_cosine",
                     "faq_reply")
COSINE_GRID = (0.0, 4.0, 8.0, 16.0), (0.0, 2.0, 4.0, 8.0), (0.0, 4.0, 8.0, 16.0), (0.0, 4.0)
HEADING_WEIGHTS = (0.0, 1.0, 2.0, 4.0, 8.0)
ANSWERED = 0.90  # the share of each set's answerable questions the decline threshold keeps answered
# The meaning model leaves uncapped a question mostly in words the corpus never uses (RankingModel.max_unknown_share
# 1): closeness in meaning is its evidence there. Choosing a cap among 0.5, 0.75 and 1 by the other sets picked 0.5
# whenever keppra-lay was held out, and that declined 19 of its 20 answerable questions.
UNKNOWN_CAP = 1.0
ADDED_MAGNITUDES = np.arange(0.0, 60.5, 0.5)  # the sizes of weight tried for a feature fitted alone (--only)
TRADE_OFF = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)  # thresholds the trade-off table shows
# The decline evidence of the meaning model: how close in meaning the best sentences are, and the marks of a
# look-alike question (a name, number or quantity the text lacks, a negation it does not share, the opposite of a
# question word, no answer of the kind asked for). How many of the question's words the text holds is left out:
# fitted with those features, the model declines everyday-word questions it was not fitted on (keppra-lay held
# out: 15% answered with them, 85% without), since in the other sets a question that shares few words with the
# text is seldom answered by it.
MEANING_DECLINE = ("bias", "best_cosine", "quoted_cosine", "quoted_context_cosine", "quoted_heading_cosine",
                   "names_missing", "names_missing_sentence", "number_missing", "quantity_missing",
                   "negation_unmatched", "negation_unmatched_sentence", "antonym", "kind_missing", "kind_match",
                   "unknown_away")
# Marks of a look-alike can only lower the confidence, closeness in meaning only raise it: the fit keeps their
# signs, so that two marks that often come together (a negation missing from the passage and from the sentence)
# cannot cancel out and leave one of them raising the confidence of a look-alike.
LOWERING = frozenset({"names_missing", "names_missing_sentence", "number_missing", "quantity_missing",
                      "negation_unmatched", "negation_unmatched_sentence", "antonym", "kind_missing", "unknown_away"})
RAISING = frozenset({"best_cosine", "quoted_cosine", "quoted_context_cosine", "quoted_heading_cosine"})
# The reading model (--reading): the meaning model's ranker as shipped, plus the cross-encoder's logit for the best
# few candidates, with the weight and the number read chosen from these by mean raw hit@1; its decline model weighs
# the meaning model's evidence, refitted on the candidates it quotes. The cross-encoder's logit for the quoted
# candidate as evidence too was tried and dropped: fitted without keppra-lay, it declined 70% of keppra-lay's
# answerable questions (readers' own words score low with it), README "Reading the best candidates".
READ_MOST = 8
READ_COUNTS = (4, 6, 8)
READING_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)
# Ranker features weighed again among the candidates read (RankingModel.after_reading), each chosen from
# HEADING_WEIGHTS once the number read and the logit's weight are: a FAQ entry's reply opens with its answer, which
# the cross-encoder, reading every sentence of the entry as relevant, does not see.
AFTER_READING = ("faq_reply",)


@dataclass
class Asked:
    """One question: its candidates' features and labels, and what the decline features need."""

    set: str
    item: dict
    features: np.ndarray | None  # candidates x FEATURES
    right: np.ndarray | None  # per candidate
    state: tuple | None  # (query, candidates, index, idf, best cosine, question without its unknown words)
    # The cross-encoder's logit for each of the READ_MOST best candidates under the meaning model (0 for the rest)
    reading: np.ndarray | None = None


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def collect(name: str, questions: Path, folder: Path, html: bool, scorer, encoder, reader=None) -> list[Asked]:
    cache = IndexSnapshots(ROOT / ".cache" / "fit-ranking" / folder.name)
    index = LiveCorpus(FolderStore(folder, 50 << 20), 1e9, cache, encoder).current().index
    located_corpus = scorer.HtmlCorpus(str(folder)) if html else scorer.score.Corpus(str(folder))
    words = ranking.MODELS["words"]
    rows = []
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        history = [h["question"] for h in item.get("history") or []]
        documents = item.get("documents")
        query = build_query(item["question"], index, history)
        read_with = answering.earlier_questions(query, history, index)
        meaning, without_unknown = answering.question_meaning(encoder, query, read_with, index)
        scores = index.passage_scores(query.terms)
        hits = index.search(query.terms, documents, k=answering.CANDIDATE_PASSAGES, scores=scores)
        close = index.nearest(meaning, documents, k=answering.CLOSE_SENTENCES)
        if not (hits or close) or not query.own:
            rows.append(Asked(name, item, None, None, None))
            continue
        found, idf = ranking.rank(query, hits, index, documents, words, close, meaning, scores)
        if answering.first_quoted(found) is None:  # only headings came: the service declines
            rows.append(Asked(name, item, None, None, None))
            continue
        right = []
        for c in found:
            quote = answering.quote_of(c)
            located = located_corpus.locate(quote.text, quote.document)
            right.append(bool(item["answerable"]) and bool(scorer.score.is_hit({"text": quote.text}, located, item)))
        features = np.array([c.features for c in found])
        rows.append(Asked(name, item, features, np.array(right, float),
                          (query, found, index, idf, close[0][2] if close else 0.0, without_unknown),
                          read_best(found, features, query, read_with, reader)))
    return rows


def read_best(found: list, features: np.ndarray, query, read_with: str | None, reader) -> np.ndarray | None:
    """The cross-encoder's logit for each of the READ_MOST best candidates (headings aside) under the shipped
    meaning model's ranker, which the reading model's order starts from; 0 for the others."""
    if reader is None:
        return None
    order = plain_order(found, features @ ranking.MODELS["meaning"].ranker_weights)
    read = [j for j in order if not found[j].is_heading][:READ_MOST]
    read += heading_reply(found, order, read)
    question = answering.read_with_history(query.text, read_with)
    logits = np.zeros(len(found))
    logits[read] = reader.score(question, [answering.reading_text(found[j]) for j in read])
    return logits


def heading_reply(found: list, order: list[int], read: list[int]) -> list[int]:
    """The position of the reply the cross-encoder reads besides the best few (answering.best_heading_reply), when
    it is not among them: [] or [j]."""
    reply = answering.best_heading_reply([found[j] for j in order])
    return [j for j in order if found[j] is reply and j not in read]


def plain_order(found: list, scores: np.ndarray) -> list[int]:
    return sorted(range(len(found)), key=lambda j: (-scores[j], found[j].passage.id, found[j].sentence))


def ordered(r: Asked, weights: np.ndarray, reread: int, after: np.ndarray | None = None) -> list[int]:
    """The candidates' positions best first under these ranker weights, as the service orders them: with `reread`,
    the best few (headings aside) read by the cross-encoder and ordered again with its logit and the `after`
    weights (RankingModel.after_reading_weights) weighed in (answering.reread); every candidate's score and reading
    feature set to match."""
    found = r.state[1]
    scores = r.features @ weights
    order = plain_order(found, scores)
    for c in found:
        c.features[ranking.READING] = 0.0
        c.after_reading = 0.0
    if reread:
        read = [j for j in order if not found[j].is_heading][:reread]
        read += heading_reply(found, order, read)
        scores = scores.copy()
        scores[read] += weights[ranking.READING] * r.reading[read]
        for j in read:
            found[j].features[ranking.READING] = r.reading[j]
            if after is not None and not r.state[0].from_history:  # as answering.reread: none for a follow-up
                found[j].after_reading = float(after @ found[j].features)
                scores[j] += found[j].after_reading
        chosen = set(read)
        order = sorted(read, key=lambda j: (-scores[j], found[j].passage.id, found[j].sentence)) + [
            j for j in order if j not in chosen]
    for c, score in zip(found, scores.tolist(), strict=True):
        c.score = score
    return order


def first_right(rows: list[Asked], weights: np.ndarray, reread: int = 0, after: np.ndarray | None = None
                ) -> list[tuple[Asked, int, list[int]]]:
    """Each question with the position of the candidate quoted first under these ranker weights (and the
    candidates' order)."""
    out = []
    for r in rows:
        if r.features is None:
            continue
        order = ordered(r, weights, reread, after)
        quoted = answering.first_quoted([r.state[1][j] for j in order])
        out.append((r, next(j for j in order if r.state[1][j] is quoted), order))
    return out


def raw_hit_at_1(rows: list[Asked], weights: np.ndarray, reread: int = 0, after: np.ndarray | None = None) -> float:
    answerable = sum(1 for r in rows if r.item["answerable"])
    hits = sum(1 for r, j, _ in first_right(rows, weights, reread, after) if r.right[j] > 0)
    return 100.0 * hits / max(answerable, 1)


def ranker_vector(model: RankingModel, semantic: tuple[float, ...]) -> np.ndarray:
    weights = dict(model.ranker, **dict(zip(SEMANTIC_FEATURES, semantic, strict=True)))
    return np.array([weights[n] for n in ranking.FEATURES])


class RankerSearch:
    """Raw hit@1 of each set at each point of weights for SEMANTIC_FEATURES, worked out once per point."""

    def __init__(self, data: dict[str, list[Asked]], base: RankingModel):
        self.data, self.base = data, base
        self.hits: dict[tuple[tuple, str], float] = {}

    def mean_hit(self, point: tuple[float, ...], names: list[str]) -> float:
        for n in names:
            if (point, n) not in self.hits:
                self.hits[(point, n)] = raw_hit_at_1(self.data[n], ranker_vector(self.base, point))
        return float(np.mean([self.hits[(point, n)] for n in names]))

    def choose(self, names: list[str]) -> tuple[float, ...]:
        """The best point of COSINE_GRID (the smallest weights among equals), then each heading weight in turn set
        to its best value among HEADING_WEIGHTS."""
        rest = (0.0,) * (len(SEMANTIC_FEATURES) - len(COSINE_GRID))
        grid = [(*cosines, *rest) for cosines in itertools.product(*COSINE_GRID)]
        point = max(grid, key=lambda p: (self.mean_hit(p, names), -sum(p)))
        for k in range(len(COSINE_GRID), len(SEMANTIC_FEATURES)):
            options = [point[:k] + (w,) + point[k + 1:] for w in HEADING_WEIGHTS]
            point = max(options, key=lambda p: (self.mean_hit(p, names), -p[k]))
        return point


def decline_rows(rows: list[Asked], weights: np.ndarray, reread: int = 0, after: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decline features of each question under these ranker weights, whether it is answerable, and whether its
    first quote is right."""
    X, y, right = [], [], []
    for r, j, order in first_right(rows, weights, reread, after):
        query, found, index, idf, best_cosine, without_unknown = r.state
        # The decline model judges the candidate quoted, as the service does.
        ranked = answering.quoted_first(found[j], [found[k] for k in order])
        X.append(ranking.decline_features(query, ranked, index, idf, best_cosine, without_unknown))
        y.append(1.0 if r.item["answerable"] else 0.0)
        right.append(float(r.right[j]))
    return np.array(X), np.array(y), np.array(right)


def probability(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(X @ w)))


def fit_logistic(X: np.ndarray, y: np.ndarray, sample: np.ndarray, signs: np.ndarray, l2: float = 0.001,
                 steps: int = 20000) -> np.ndarray:
    """Weighted logistic regression by projected gradient ascent on standardised features; weights for the raw
    features. Column 0 is the bias; `signs` holds -1 (weight kept at most 0), 1 (at least 0) or 0 (free)."""
    mean = np.average(X[:, 1:], axis=0, weights=sample)
    spread = np.sqrt(np.average((X[:, 1:] - mean) ** 2, axis=0, weights=sample)) + 1e-9
    Z = np.hstack([X[:, :1], (X[:, 1:] - mean) / spread])
    w = np.zeros(X.shape[1])
    total = sample.sum()
    for _ in range(steps):
        w += 0.5 * (Z.T @ (sample * (y - probability(Z, w))) / total - l2 * w)
        w = np.where(signs * w < 0, 0.0, w)
    raw = w.copy()
    raw[1:] = w[1:] / spread
    raw[0] = w[0] - (w[1:] * mean / spread).sum()
    return raw


def confidences(X: np.ndarray, model: RankingModel) -> np.ndarray:
    return np.array([ranking.answer_probability(row, model) for row in X])


def learnt_from(declines: dict[str, tuple], names: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """What the decline fits learn from, per set: the decline features and labels of the questions whose first quote
    is right (1) and of those the source does not answer (0); answerable questions quoted wrongly are left out, as
    neither label fits them, and so is a set without unanswerable questions, which tells nothing about declining."""
    learnt = {}
    for n in names:
        X, y, right = declines[n]
        fitted = (y == 0) | (right == 1)
        if fitted.any() and y[fitted].min() == 0:
            learnt[n] = (X[fitted], y[fitted])
    return learnt


def fit_decline(declines: dict[str, tuple], names: list[str], base: RankingModel) -> RankingModel:
    """The decline weights fitted on these sets (each set weighing alike; features outside MEANING_DECLINE weigh
    0), and the threshold that keeps ANSWERED of the answerable questions of each set answered."""
    used = [ranking.DECLINE_FEATURES.index(f) for f in MEANING_DECLINE]
    learnt = learnt_from(declines, names)
    X = [Xs[:, used] for Xs, _ in learnt.values()]
    y = [ys for _, ys in learnt.values()]
    sample = [np.full(len(ys), 1.0 / len(ys)) for ys in y]
    w = np.zeros(len(ranking.DECLINE_FEATURES))
    signs = np.array([-1.0 if f in LOWERING else 1.0 if f in RAISING else 0.0 for f in MEANING_DECLINE])
    w[used] = fit_logistic(np.vstack(X), np.concatenate(y), np.concatenate(sample), signs)
    decline = dict(zip(ranking.DECLINE_FEATURES, w.round(3).tolist(), strict=True))

    model = replace(base, decline=decline, min_confidence=0.0, max_unknown_share=UNKNOWN_CAP
                    ).weigh(ranking.FEATURES, ranking.DECLINE_FEATURES)
    p = {n: confidences(declines[n][0], model) for n in names}
    # The highest threshold that still keeps ANSWERED of every set's answerable questions answered.
    threshold = min(float(np.quantile(p[n][declines[n][1] == 1], 1 - ANSWERED))
                    for n in names if (declines[n][1] == 1).any())
    return replace(model, min_confidence=round(threshold, 3)).weigh(ranking.FEATURES, ranking.DECLINE_FEATURES)


def fit_one_weight(declines: dict[str, tuple], names: list[str], model: RankingModel, feature: str) -> RankingModel:
    """The model with one decline feature's weight fitted on these sets, every other weight and the threshold kept:
    the weight of the sign LOWERING or RAISING gives it that maximises fit_decline's likelihood (questions whose
    first quote is right against questions the source does not answer, every set weighing alike)."""
    k = ranking.DECLINE_FEATURES.index(feature)
    sign = -1.0 if feature in LOWERING else 1.0

    learnt = learnt_from(declines, names)

    def likelihood(weight: float) -> float:
        w = model.decline_weights.copy()
        w[k] = weight
        total = 0.0
        for X, y in learnt.values():
            p = np.clip(probability(X, w), 1e-9, 1 - 1e-9)
            total += float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        return total

    weight = max((sign * m for m in ADDED_MAGNITUDES), key=lambda w: (likelihood(w), -abs(w)))
    return replace(model, decline=dict(model.decline, **{feature: round(float(weight), 3)})
                   ).weigh(ranking.FEATURES, ranking.DECLINE_FEATURES)


def fit_reading(data: dict[str, list[Asked]], names: list[str], meaning: RankingModel,
                hits: dict | None = None) -> RankingModel:
    """The reading model fitted on these sets: the number of candidates read and the cross-encoder's weight that
    give the best mean raw hit@1 (the fewest read and the smallest weight among equals), then each AFTER_READING
    weight in turn among HEADING_WEIGHTS (the smallest among equals), then the decline model. `hits` keeps each
    set's raw hit@1 at each point for the next fit."""
    hits = {} if hits is None else hits

    def model_at(point: tuple) -> RankingModel:
        """The reading model (its decline model still the meaning model's) at a point: the number read, the
        logit's weight, then the AFTER_READING weights."""
        reread, weight, *after = point
        return replace(meaning, name="reading", ranker=dict(meaning.ranker, reading=weight), reread=reread,
                       after_reading=dict(zip(AFTER_READING, after, strict=True))
                       ).weigh(ranking.FEATURES, ranking.DECLINE_FEATURES)

    def point_hit(point: tuple) -> float:
        missing = [n for n in names if (point, n) not in hits]
        if missing:
            model = model_at(point)
            for n in missing:
                hits[(point, n)] = raw_hit_at_1(data[n], *ordering(model))
        return float(np.mean([hits[(point, n)] for n in names]))

    point = max(((*p, *(0.0,) * len(AFTER_READING)) for p in itertools.product(READ_COUNTS, READING_WEIGHTS)),
                key=lambda p: (point_hit(p), -p[0], -p[1]))
    for k in range(2, len(point)):
        point = max((point[:k] + (w,) + point[k + 1:] for w in HEADING_WEIGHTS), key=lambda p: (point_hit(p), -p[k]))
    model = model_at(point)
    declines = {n: decline_rows(data[n], *ordering(model)) for n in data}
    return fit_decline(declines, names, model)


def reading_table(data: dict[str, list[Asked]], names: list[str], write: bool) -> None:
    """--reading: the reading model fitted on every set and with each set held out, beside the shipped meaning
    model's figures on the same candidates."""
    meaning = ranking.MODELS["meaning"]

    def described(model: RankingModel) -> str:
        after = ", ".join(f"{f} {w:g} after reading" for f, w in model.after_reading.items())
        return f"reads {model.reread}, weight {model.ranker['reading']:g}, {after}, threshold {model.min_confidence}"

    hits: dict = {}
    every = fit_reading(data, names, meaning, hits)
    print(f"fitted on every set: {described(every)}")
    # What each candidate read buys: the cost of reading is the number read.
    weight = every.ranker["reading"]
    none_after = (0.0,) * len(AFTER_READING)
    print(f"mean raw hit@1 over the sets by the number read, at weight {weight:g}: " + ", ".join(
        f"{count}: {np.mean([hits[((count, weight, *none_after), n)] for n in names]):.2f}" for count in READ_COUNTS))
    print_held_out_table(
        "| set | meaning: raw | hit@1 | answered | declined | reading, in-sample: raw | hit@1 | answered | declined "
        "| held out: raw | hit@1 | answered | declined | held-out fit |", names,
        lambda n: (meaning, every, fit_reading(data, [m for m in names if m != n], meaning, hits)),
        lambda model, n: measured(data[n], model), ("raw", "hit@1", "answered", "declined"), described)
    print_trade_off("trade-off of the reading model fitted on every set (threshold: hit@1 / answered / declined per "
                    "set):", data, names, every)
    if write:
        write_models(MODELS_FILE, {**ranking.MODELS, "reading": every})
        print(f"wrote {MODELS_FILE}")
        print("reading decline weights:", {f: every.decline[f] for f in MEANING_DECLINE})


def figures(rows: list[Asked], declines: tuple, model: RankingModel, threshold: float | None = None) -> dict:
    """hit@1, answered and declined on one set with this model's decline weights (and threshold, unless given)."""
    X, y, right = declines
    p = confidences(X, model) if len(X) else np.zeros(0)
    kept = p >= (model.min_confidence if threshold is None else threshold)
    answerable = sum(1 for r in rows if r.item["answerable"])
    unanswerable = len(rows) - answerable
    out = {"hit@1": round(100.0 * (kept & (right == 1)).sum() / max(answerable, 1), 1),
           "answered": round(100.0 * (kept & (y == 1)).sum() / max(answerable, 1), 1)}
    if unanswerable:
        declined = (~kept & (y == 0)).sum() + sum(1 for r in rows if r.features is None and not r.item["answerable"])
        out["declined"] = round(100.0 * declined / unanswerable, 1)
    return out


def measured(rows: list[Asked], model: RankingModel) -> dict:
    """Raw hit@1 of one set under this model's ranker, and hit@1, answered and declined with its decline model."""
    declines = decline_rows(rows, *ordering(model))
    return {"raw": round(raw_hit_at_1(rows, *ordering(model)), 1), **figures(rows, declines, model)}


def ordering(model: RankingModel) -> tuple[np.ndarray, int, np.ndarray]:
    """How a model orders the candidates: the arguments of `ordered` after the row."""
    return model.ranker_weights, model.reread, model.after_reading_weights


def print_held_out_table(header: str, names: list[str], models_of: Callable[[str], tuple[RankingModel, ...]],
                         measure: Callable[[RankingModel, str], dict], keys: tuple[str, ...],
                         described: Callable[[RankingModel], str]) -> None:
    """A Markdown table with a row per set: the `keys` of `measure(model, set)` for each model of `models_of(set)`,
    the last of which is the one fitted without that set, and what `described` says of it."""
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n in names:
        models = models_of(n)
        cells = [measure(model, n).get(k, "–") for model in models for k in keys]
        print(f"| {n} | " + " | ".join(str(c) for c in cells) + f" | {described(models[-1])} |", flush=True)


def print_trade_off(title: str, data: dict[str, list[Asked]], names: list[str], model: RankingModel) -> None:
    """hit@1 / answered / declined of every set at each of the TRADE_OFF thresholds under this model."""
    declines = {n: decline_rows(data[n], *ordering(model)) for n in names}
    print(title)
    for threshold in TRADE_OFF:
        cells = [" / ".join(str(v) for v in figures(data[n], declines[n], model, threshold).values())
                 for n in names]
        print(f"  {threshold:.2f}  " + "  |  ".join(f"{n} {c}" for n, c in zip(names, cells, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--sets", default=SET_NAMES)
    parser.add_argument("--write", action="store_true", help=f"save the model fitted on every set to {MODELS_FILE}")
    parser.add_argument("--only", choices=MEANING_DECLINE[1:],
                        help="fit only this decline feature's weight, on top of the shipped meaning model")
    parser.add_argument("--reading", action="store_true",
                        help="fit the reading model (the cross-encoder's weight and decline evidence) on top of the "
                             "shipped meaning model")
    args = parser.parse_args()
    scorer = load_module(args.eval / "score_html.py", "score_html")
    encoder = load_encoder(2)
    reader = load_reader(2) if args.reading else None
    sets = {n: question_sets(args.eval)[n] for n in args.sets.split(",")}
    data = {n: collect(n, s.questions, s.corpus, s.html, scorer, encoder, reader) for n, s in sets.items()}
    names = list(data)
    base = ranking.MODELS["words"]
    words_vector = base.ranker_weights
    print("raw hit@1 (nothing declined), words model:",
          {n: round(raw_hit_at_1(data[n], words_vector), 1) for n in names}, flush=True)
    if args.only:
        fit_only(args.only, data, names, base, args.write)
        return
    if args.reading:
        reading_table(data, names, args.write)
        return

    search = RankerSearch(data, base)

    def fitted(on: list[str]) -> RankingModel:
        semantic = search.choose(on)
        declines = {n: decline_rows(data[n], ranker_vector(base, semantic)) for n in names}
        ranker = dict(base.ranker, **dict(zip(SEMANTIC_FEATURES, semantic, strict=True)))
        return fit_decline(declines, on, replace(base, name="meaning", ranker=ranker))

    def semantic_weights(model: RankingModel) -> str:
        return (", ".join(f"{f} {model.ranker[f]:g}" for f in SEMANTIC_FEATURES)
                + f", threshold {model.min_confidence}, unknown cap {model.max_unknown_share}")

    every = fitted(names)
    print(f"fitted on every set: {semantic_weights(every)}")
    print_held_out_table(
        "| set | in-sample raw | hit@1 | answered | declined | held-out raw | hit@1 | answered | declined "
        "| held-out fit |", names, lambda n: (every, fitted([m for m in names if m != n])),
        lambda model, n: measured(data[n], model), ("raw", "hit@1", "answered", "declined"),
        lambda model: f"held-out fit: {semantic_weights(model)}")
    print_trade_off("trade-off of the model fitted on every set (threshold: hit@1 / answered / declined per set):",
                    data, names, every)
    if args.write:
        # The reading model, fitted on top of the meaning model, is kept as it was: refit it after (--reading).
        write_models(MODELS_FILE, {**ranking.MODELS, "words": base, "meaning": every})
        print(f"wrote {MODELS_FILE}")
        print("meaning decline weights:", {f: every.decline[f] for f in MEANING_DECLINE})


def fit_only(feature: str, data: dict[str, list[Asked]], names: list[str], words: RankingModel, write: bool) -> None:
    """--only: the shipped meaning model with this one decline weight fitted, in-sample and with each set held out,
    beside the shipped model's figures."""
    shipped = ranking.MODELS["meaning"]
    declines = {n: decline_rows(data[n], shipped.ranker_weights) for n in names}
    every = fit_one_weight(declines, names, shipped, feature)
    print(f"{feature}: shipped {shipped.decline[feature]}, fitted on every set {every.decline[feature]} "
          f"(threshold kept at {shipped.min_confidence})")
    print_held_out_table(
        "| set | shipped: hit@1 | answered | declined | in-sample: hit@1 | answered | declined "
        "| held-out: hit@1 | answered | declined | held-out weight |", names,
        lambda n: (shipped, every, fit_one_weight(declines, [m for m in names if m != n], shipped, feature)),
        lambda model, n: figures(data[n], declines[n], model), ("hit@1", "answered", "declined"),
        lambda model: str(model.decline[feature]))
    if write:
        write_models(MODELS_FILE, {**ranking.MODELS, "words": words, "meaning": every})
        print(f"wrote {MODELS_FILE}")


if __name__ == "__main__":
    main()
