"""The floors: what plain BM25 over single sentences, and the sentence model's cosine alone, put first for each
answerable question of a set, scored as ../shared/eval/score.py scores hit@1 (an `answers` string inside the first
quote, white space folded, case ignored).

    .venv/bin/python scripts/baselines.py --sets keppra-own,sqlitefaq

- **A1**: `rank_bm25.BM25Okapi` over every sentence (nltk's untrained Punkt within blank-line paragraphs), lower-cased
  `\\w+` tokens without bm25s's English stop words, Snowball stems; the best sentence; never declines. The shared
  baselines' A1 (../shared/eval/baselines.md) in rank_bm25's scoring.
- **dense**: the service's sentence model (all-MiniLM-L6-v2), the sentence closest to the question by cosine; never
  declines.

The question alone is searched (a follow-up without its history). An HTML page is read as score_html.py reads it
(`visible_text`), so quotes are slices of what a reader sees. In process; nothing is started.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
from bm25s.stopwords import STOPWORDS_EN
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize.punkt import PunktSentenceTokenizer
from question_sets import CHECK_NAMES, QuestionSet, every_set
from rank_bm25 import BM25Okapi

from qa_service.meaning import load_encoder

ROOT = Path(__file__).resolve().parent.parent
_STEM = SnowballStemmer("english").stem
_STOP = frozenset(STOPWORDS_EN)
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", re.S)


def terms(text: str) -> list[str]:
    return [_STEM(w) for w in re.findall(r"\w+", text.lower()) if w not in _STOP]


def sentences(questions: QuestionSet, eval_dir: Path) -> list[str]:
    sys.path.insert(0, str(eval_dir))
    from score_html import visible_text

    punkt = PunktSentenceTokenizer()
    found = []
    for path in sorted(p for p in questions.corpus.iterdir() if p.is_file()):
        text = path.read_text(encoding="utf-8")
        if questions.html:
            text = visible_text(text)
        for paragraph in _PARAGRAPH.findall(text):
            found += [paragraph[s:e] for s, e in punkt.span_tokenize(paragraph) if re.search(r"\w", paragraph[s:e])]
    return found


def folded(text: str) -> str:
    return " ".join(text.split()).lower()


def hit_at_1(questions: list[dict], firsts: list[str]) -> float:
    hits = sum(any(folded(a) in folded(first) for a in q["answers"])
               for q, first in zip(questions, firsts, strict=True))
    return round(100 * hits / len(questions), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--sets", default=CHECK_NAMES, help="comma-separated set names (default: the check sets)")
    args = parser.parse_args()
    encoder = load_encoder(2)
    print("| set | sentences | A1 hit@1 | dense hit@1 |")
    print("|---|---|---|---|")
    for name in args.sets.split(","):
        questions = every_set(args.eval)[name]
        answerable = [q for q in map(json.loads, questions.questions.read_text(encoding="utf-8").splitlines())
                      if q["answerable"]]
        found = sentences(questions, args.eval)
        bm25 = BM25Okapi([terms(s) or ["_"] for s in found])
        vectors = encoder.encode(found)
        by_words = [found[int(np.argmax(bm25.get_scores(terms(q["question"]))))] for q in answerable]
        by_meaning = [found[int(np.argmax(vectors @ encoder.encode([q["question"]])[0]))] for q in answerable]
        print(f"| {name} | {len(found)} | {hit_at_1(answerable, by_words)} | {hit_at_1(answerable, by_meaning)} |",
              flush=True)


if __name__ == "__main__":
    main()
