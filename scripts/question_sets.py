"""The question sets answer quality is measured and fitted on: the shared ones (../shared/eval) and our own
(eval/ in this repository), each with its corpus and whether that corpus is HTML (scored against the pages'
visible text by score_html.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "eval"


@dataclass(frozen=True)
class QuestionSet:
    questions: Path
    corpus: Path
    html: bool = False


def question_sets(shared: Path) -> dict[str, QuestionSet]:
    corpora = shared / "corpora"
    return {
        "keppra": QuestionSet(shared / "keppra.jsonl", ROOT / "corpus"),
        "keppra-lay": QuestionSet(shared / "keppra-lay.jsonl", ROOT / "corpus"),
        "squad": QuestionSet(shared / "squad.jsonl", corpora / "squad"),
        "covidqa": QuestionSet(shared / "covidqa.jsonl", corpora / "covidqa"),
        "debianfaq": QuestionSet(shared / "debianfaq.jsonl", corpora / "debianfaq", html=True),
        "pythonfaq": QuestionSet(OWN / "pythonfaq.jsonl", OWN / "corpora" / "pythonfaq", html=True),
    }


NAMES = ",".join(question_sets(Path("shared")))
