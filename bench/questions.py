"""Benchmark questions: fixed samples of the shared question sets, the same in every run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SHARED_EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"


@dataclass(frozen=True)
class Question:
    text: str
    history: list[str] = field(default_factory=list)

    def body(self) -> dict:
        """The JSON body of POST /api/ask for this question (asked of the whole corpus)."""
        body: dict = {"question": self.text}
        if self.history:
            body["history"] = [{"question": earlier} for earlier in self.history]
        return body


def read_set(name: str) -> list[Question]:
    """Every question of a shared set, with its history, in the set's order."""
    rows = [json.loads(line) for line in (SHARED_EVAL / f"{name}.jsonl").read_text().splitlines() if line.strip()]
    return [Question(row["question"], [turn["question"] for turn in row.get("history") or []]) for row in rows]


def keppra_questions(count: int) -> list[Question]:
    """The 30 Keppra questions (with their history), cycled to `count`."""
    questions = read_set("keppra")
    return [questions[i % len(questions)] for i in range(count)]


def shared_questions(count: int) -> list[Question]:
    """`count` questions spread evenly over SQuAD and COVID-QA, half from each (asked without a document filter)."""
    sample = []
    for name, share in (("squad", count - count // 2), ("covidqa", count // 2)):
        questions = read_set(name)
        step = len(questions) / share
        sample += [questions[int(i * step)] for i in range(share)]
    return sample
