"""Fit the decline model of qa_service.ranking, print its trade-off curve, and check the sentence ranker.

    .venv/bin/python scripts/fit_ranking.py [--eval ../shared/eval] [--ranker]

The decline model (DECLINE_WEIGHTS) is a logistic regression fitted on the sets that hold questions the source
does not answer (SQuAD, Keppra), on standardised features: questions whose first quote is right against questions
the source does not answer. Answerable questions whose first quote is wrong are left out: neither label fits them,
and declining them costs no right answer. The script prints the weights to paste into ranking.py and the
answered/declined trade-off for a range of thresholds. With --held-out it also refits the model once per SQuAD
article without that article's questions and reports, at the threshold that keeps 90% of the answerable questions
answered, what it declines on the articles it never saw. With --ranker it also fits the
sentence ranker listwise and prints cross-set figures (fitted on two sets, measured on the third) beside the
current RANKER_WEIGHTS; labels follow the scorer's own rule (../shared/eval/score.py): a candidate is right
when the quote it would give covers a gold answer.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_service import answering, ranking  # noqa: E402
from qa_service.corpus import LiveCorpus  # noqa: E402
from qa_service.questions import build_query  # noqa: E402
from qa_service.store import FolderStore  # noqa: E402


def load_scorer(eval_dir: Path):
    spec = importlib.util.spec_from_file_location("score", eval_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def question_sets(eval_dir: Path) -> dict[str, tuple[Path, Path]]:
    return {
        "keppra": (eval_dir / "keppra.jsonl", ROOT / "corpus"),
        "squad": (eval_dir / "squad.jsonl", eval_dir / "corpora" / "squad"),
        "covidqa": (eval_dir / "covidqa.jsonl", eval_dir / "corpora" / "covidqa"),
    }


def collect(name: str, questions: Path, folder: Path, scorer, labels: bool) -> list[dict]:
    """For every question: the candidates' features (and labels), and what decline features need."""
    index = LiveCorpus(FolderStore(folder, 50 << 20), 1e9).current().index
    located_corpus = scorer.Corpus(str(folder))
    rows = []
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        history = [h["question"] for h in item.get("history") or []]
        query = build_query(item["question"], index, history)
        hits = index.search(query.terms, item.get("documents"), k=answering.CANDIDATE_PASSAGES)
        if not hits or not query.own:
            rows.append({"set": name, "item": item, "X": None})
            continue
        ranked, idf = ranking.rank(query, hits, index, item.get("documents"))
        right = []
        for c in ranked if labels else ():
            quote = answering._quote(answering._span(c))
            located = located_corpus.locate(quote.text, quote.document)
            right.append(bool(item["answerable"]) and scorer.is_hit({"text": quote.text}, located, item))
        rows.append({"set": name, "item": item, "X": np.array([c.features for c in ranked]),
                     "y": np.array(right, dtype=float), "query": query, "ranked": ranked, "idf": idf,
                     "index": index})
    return rows


def fit_listwise(rows: list[dict], weights_of_set: dict[str, float], l2: float = 0.01, steps: int = 3000
                 ) -> np.ndarray:
    """Softmax over each question's candidates, maximising the probability of its right ones (gradient ascent)."""
    usable = [r for r in rows if r["X"] is not None and r["y"].any()]
    dim = usable[0]["X"].shape[1]
    w = np.zeros(dim)
    lr = 0.5
    for _ in range(steps):
        grad = -l2 * w
        total = 0.0
        for r in usable:
            weight = weights_of_set[r["set"]]
            s = r["X"] @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = r["y"] / r["y"].sum()
            grad += weight * (r["X"].T @ (target - p))
            total += weight
        w += lr * grad / total
    return w


def hit_at_1(rows: list[dict], w: np.ndarray) -> float:
    answerable = [r for r in rows if r["item"]["answerable"]]
    hits = sum(1 for r in answerable if r["X"] is not None and r["y"][int(np.argmax(r["X"] @ w))] > 0)
    return 100.0 * hits / len(answerable)


def decline_rows(rows: list[dict], w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decline features of each question, whether it is answerable, and whether its first quote is right."""
    X, y, right = [], [], []
    saved = ranking.RANKER_WEIGHTS
    ranking.RANKER_WEIGHTS = w
    try:
        for r in rows:
            if r["X"] is None:
                continue
            for c, f in zip(r["ranked"], r["X"], strict=True):
                c.score = float(w @ f)
            order = sorted(range(len(r["ranked"])), key=lambda j: -r["ranked"][j].score)
            ranked = [r["ranked"][j] for j in order]
            quoted = answering.first_quoted(ranked)
            first = next(j for j in order if r["ranked"][j] is quoted)
            X.append(ranking.decline_features(r["query"], ranked, r["index"], r["idf"]))
            y.append(1.0 if r["item"]["answerable"] else 0.0)
            right.append(float(r["y"][first]))
    finally:
        ranking.RANKER_WEIGHTS = saved
    return np.array(X), np.array(y), np.array(right)


def probability(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(X @ w)))


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 0.001, steps: int = 20000) -> np.ndarray:
    """Logistic regression by gradient ascent on standardised features; weights returned for the raw features.

    Column 0 is the bias.
    """
    mean, spread = X[:, 1:].mean(0), X[:, 1:].std(0) + 1e-9
    Z = np.hstack([X[:, :1], (X[:, 1:] - mean) / spread])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        w += 0.5 * (Z.T @ (y - probability(Z, w)) / len(y) - l2 * w)
    raw = w.copy()
    raw[1:] = w[1:] / spread
    raw[0] = w[0] - (w[1:] * mean / spread).sum()
    return raw


def fit_decline(X: np.ndarray, y: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The decline model: questions whose first quote is right against questions the source does not answer."""
    fitted = (y == 0) | (right == 1)
    return fit_logistic(X[fitted], y[fitted])


def trade_off(X: np.ndarray, y: np.ndarray, w: np.ndarray, thresholds) -> list[tuple[float, float, float]]:
    """(threshold, % of answerable questions answered, % of unanswerable ones declined)."""
    p = probability(X, w)
    answerable, unanswerable = p[y == 1], p[y == 0]
    return [(t, 100.0 * (answerable >= t).mean(), 100.0 * (unanswerable < t).mean()) for t in thresholds]


Declines = tuple[np.ndarray, np.ndarray, np.ndarray]  # what decline_rows gives: features, answerable, right


def held_out_by_article(squad_rows: list[dict], squad: Declines, keppra: Declines, answered: float = 0.90,
                        held_out: bool = True) -> tuple[float, float]:
    """Declined % of unanswerable and hit@1 % of SQuAD at `answered`; with `held_out`, each article scored by a model
    fitted without it: what a corpus the fit never saw can expect."""
    X, y, right = squad
    Xk, yk, rk = keppra
    articles = np.array([r["item"]["documents"][0] for r in squad_rows if r["X"] is not None])

    def fit_without(excluded: np.ndarray) -> np.ndarray:
        keep = ~excluded
        return fit_decline(np.vstack([X[keep], Xk]), np.concatenate([y[keep], yk]), np.concatenate([right[keep], rk]))

    if held_out:
        p = np.zeros(len(y))
        for article in sorted(set(articles)):
            scored = articles == article
            p[scored] = probability(X[scored], fit_without(scored))
    else:
        p = probability(X, fit_without(np.zeros(len(y), dtype=bool)))
    answerable = y == 1
    threshold = np.quantile(p[answerable], 1 - answered)
    declined = 100.0 * (p[~answerable] < threshold).mean()
    asked = sum(1 for r in squad_rows if r["item"]["answerable"])
    hits = 100.0 * ((p >= threshold) & (right == 1))[answerable].sum() / asked
    return declined, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--ranker", action="store_true", help="also fit the sentence ranker and compare")
    parser.add_argument("--held-out", action="store_true", help="also score each SQuAD article by a fit without it")
    args = parser.parse_args()
    scorer = load_scorer(args.eval)
    sets = question_sets(args.eval)
    if not args.ranker:
        sets = {name: sets[name] for name in ("squad", "keppra")}
    data = {name: collect(name, q, f, scorer, True) for name, (q, f) in sets.items()}
    if args.ranker:
        every = [r for rows in data.values() for r in rows]
        balance = {n: 1.0 / max(1, len(rows)) for n, rows in data.items()}
        print("current RANKER_WEIGHTS:", {n: round(hit_at_1(rows, ranking.RANKER_WEIGHTS), 1)
                                          for n, rows in data.items()})
        for held_out in data:
            train = [r for n, rows in data.items() if n != held_out for r in rows]
            w = fit_listwise(train, balance)
            print(f"fitted without {held_out}:", {n: round(hit_at_1(rows, w), 1) for n, rows in data.items()})
        w = fit_listwise(every, balance)
        print("fitted on all:", {n: round(hit_at_1(rows, w), 1) for n, rows in data.items()})
        print("fitted RANKER_WEIGHTS = np.array([" + ", ".join(f"{x:.3f}" for x in w) + "])")
    declines = {name: decline_rows(data[name], ranking.RANKER_WEIGHTS) for name in ("squad", "keppra")}
    d = fit_decline(*(np.concatenate([declines["squad"][k], declines["keppra"][k]]) for k in range(3)))
    print("DECLINE_WEIGHTS = np.array([" + ", ".join(f"{x:.3f}" for x in d) + "])")
    for name, (Xs, ys, _) in declines.items():
        print(f"trade-off on {name} (threshold, answered % of answerable, declined % of unanswerable):")
        for t, answered, declined in trade_off(Xs, ys, d, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]):
            print(f"  {t:.2f}  {answered:5.1f}  {declined:5.1f}")
    if args.held_out:
        print("SQuAD with 90% of answerable questions answered (in process):")
        for label, held_out in (("each article by a fit without it", True), ("fitted on every article", False)):
            declined, hits = held_out_by_article(data["squad"], declines["squad"], declines["keppra"],
                                                 held_out=held_out)
            print(f"  {label}: {declined:.1f}% of unanswerable declined, hit@1 {hits:.1f}")


if __name__ == "__main__":
    main()
