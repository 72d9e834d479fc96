"""Every answer to every question of the sets, saved, and compared with answers saved before: a refactoring's proof.

    .venv/bin/python scripts/compare_answers.py --out /tmp/before.json            # on the old code
    .venv/bin/python scripts/compare_answers.py --out /tmp/after.json --against /tmp/before.json

Asks every question of the question sets (scripts/question_sets.py: the shared ones and our own) in process through
`answering.answer`, with the index built as `scripts/fit_ranking.py` builds it (sentence embeddings included) and
the model's default settings: the meaning model, unless --reading has the cross-encoder read the best candidates as
the service does by default (about four times as long). Each answer is kept as whether it was found, its quotes'
texts and documents, and its confidence rounded to 6 places. With --against, every difference is printed and the
exit status is 1 if there is any. The index snapshots and embeddings are cached under --cache; embeddings are keyed
by the model and the sentences only, so the runs before and after a change can share them. With --by-writes, each
set's index is made as writes make it (the first document built, every other one added by Index.updated, segments
merged as the merge policy says) instead of all at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from question_sets import CHECK_NAMES, QuestionSet, every_set
from question_sets import NAMES as SET_NAMES

from qa_service.answering import AnswerSettings, answer
from qa_service.corpus import LiveCorpus
from qa_service.index import Index
from qa_service.meaning import load_encoder
from qa_service.reading import load_reader
from qa_service.snapshots import IndexSnapshots
from qa_service.store import FolderStore

ROOT = Path(__file__).resolve().parent.parent
CONFIDENCE_PLACES = 6
MAX_DOCUMENT_BYTES = 50 << 20


def written_one_by_one(index: Index) -> Index:
    """The index of the same documents as writes would leave it: one segment per document, merged by the policy."""
    written = Index.build(index.documents[:1])
    for n in range(2, len(index.documents) + 1):
        written = written.updated(index.documents[:n])
        while plan := written.merge_plan():
            written = written.merged(plan)
    return written


def answers_of(questions: QuestionSet, cache: Path, encoder, by_writes: bool, reader=None) -> dict[str, dict]:
    """Every question of one set, by its id, to what the service answers."""
    folder = questions.corpus
    snapshots = IndexSnapshots(cache / folder.name)
    index = LiveCorpus(FolderStore(folder, MAX_DOCUMENT_BYTES), 1e9, snapshots, encoder).current().index
    if by_writes:
        index = written_one_by_one(index)
    out = {}
    for line in questions.questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        history = [h["question"] for h in item.get("history") or []]
        given = answer(index, item["question"], history, item.get("documents"), AnswerSettings(reader=reader),
                       encoder=encoder)
        out[item["id"]] = {
            "found": given.found,
            "quotes": [{"text": q.text, "document": q.document} for q in given.quotes],
            "confidence": round(given.confidence, CONFIDENCE_PLACES),
        }
    return out


def differences(before: dict[str, dict[str, dict]], after: dict[str, dict[str, dict]]) -> list[str]:
    """One line per set, question or answer that is not the same in both."""
    lines = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before or name not in after:
            lines.append(f"{name}: answered in one run only")
            continue
        old, new = before[name], after[name]
        for question in sorted(old.keys() | new.keys()):
            if old.get(question) != new.get(question):
                lines.append(f"{name} {question}:\n  before {json.dumps(old.get(question))}\n"
                             f"  after  {json.dumps(new.get(question))}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval", help="the shared sets")
    parser.add_argument("--sets", default=SET_NAMES,
                        help=f"comma-separated set names; the check sets: {CHECK_NAMES}")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "compare-answers",
                        help="index snapshots and sentence embeddings")
    parser.add_argument("--out", type=Path, required=True, help="where to write the answers (JSON)")
    parser.add_argument("--against", type=Path, help="answers saved before, to compare with")
    parser.add_argument("--by-writes", action="store_true", help="each index made document by document")
    parser.add_argument("--reading", action="store_true",
                        help="answer with the cross-encoder reading the best candidates (the service's default)")
    args = parser.parse_args()
    encoder = load_encoder(2)
    reader = load_reader(2) if args.reading else None
    answers = {}
    for name in args.sets.split(","):
        answers[name] = answers_of(every_set(args.eval)[name], args.cache, encoder, args.by_writes, reader)
        print(f"{name}: {len(answers[name])} questions answered", file=sys.stderr)
    args.out.write_text(json.dumps(answers, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    if args.against is None:
        return 0
    found = differences(json.loads(args.against.read_text(encoding="utf-8")), answers)
    for line in found:
        print(line)
    total = sum(len(questions) for questions in answers.values())
    print(f"{len(found)} differences over {total} questions" if found else f"identical: {total} questions")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
