"""The question sets answer quality is measured and fitted on: the shared ones (../shared/eval) and our own
(eval/ in this repository), each with its corpus and whether that corpus is HTML (scored against the pages'
visible text by score_html.py); and the check sets (eval/check/), measured only: no weight, threshold or rule is
fitted on them, so their figures say what a change does to questions and pages the method has not seen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = ROOT / "eval"
CHECK = OWN / "check"


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


def check_sets() -> dict[str, QuestionSet]:
    return {
        "keppra-own": QuestionSet(CHECK / "keppra-own.jsonl", ROOT / "corpus"),
        "sqlitefaq": QuestionSet(CHECK / "sqlitefaq.jsonl", CHECK / "corpora" / "sqlitefaq", html=True),
    }


def every_set(shared: Path) -> dict[str, QuestionSet]:
    """The fitted sets and the check sets: what scripts/evaluate.py and scripts/compare_answers.py may be asked."""
    return question_sets(shared) | check_sets()


NAMES = ",".join(question_sets(Path("shared")))
CHECK_NAMES = ",".join(check_sets())
