"""Answer quality on the question sets (the shared ones and our own), through the Procfile's web command, as one table.

    .venv/bin/python scripts/evaluate.py [--eval ../shared/eval] [--sets keppra,keppra-lay,...] [--misses]
    .venv/bin/python scripts/evaluate.py --thresholds 0.2,0.3,0.33,0.4,0.5
    QA_SEMANTIC=off .venv/bin/python scripts/evaluate.py    # words alone

Runs ../shared/eval/score.py once per set of scripts/question_sets.py (score_html.py for the HTML corpora of
debianfaq and pythonfaq: it checks quotes against the pages' visible text); each run starts the service with
QA_CORPUS set, asks every question over HTTP, and stops it. Prints a Markdown table with the date and the
commit. With --thresholds, it runs every set once per decline threshold (QA_MIN_CONFIDENCE) and prints the
answered/declined trade-off instead.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from question_sets import CHECK_NAMES, QuestionSet, every_set
from question_sets import NAMES as SET_NAMES

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["hit@1", "hit@answer", "answered_when_answerable", "abstained_when_unanswerable", "verbatim_quotes",
           "quotes_per_answer", "quoted_chars_per_answer", "latency_ms_p50", "latency_ms_p95", "http_errors"]


def procfile_command() -> str:
    """The Procfile's web command with $PORT as score.py's {port} placeholder."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return re.sub(r"\$\{?PORT\}?", "{port}", line[len("web:"):].strip())
    raise SystemExit("Procfile has no web: line")


def score(eval_dir: Path, questions: QuestionSet, env: dict, misses: bool) -> dict:
    scorer = "score_html.py" if questions.html else "score.py"
    command = [sys.executable, str(eval_dir / scorer), str(questions.questions),
               "--corpus", str(questions.corpus), "--start", procfile_command()]
    if misses:
        command.append("--misses")
    result = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def provenance() -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    semantic = os.environ.get("QA_SEMANTIC", "on")
    return (f"{datetime.date.today().isoformat()}, commit {commit}{' (with local changes)' if dirty else ''}, "
            f"QA_SEMANTIC={semantic}, `{procfile_command()}`\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--sets", default=SET_NAMES, help=f"comma-separated set names; the check sets: {CHECK_NAMES}")
    parser.add_argument("--misses", action="store_true", help="list the misses of each set on standard error")
    parser.add_argument("--thresholds", help="comma-separated QA_MIN_CONFIDENCE values for a trade-off table")
    args = parser.parse_args()
    sets = every_set(args.eval)
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    names = args.sets.split(",")
    if args.thresholds:
        print(provenance())
        print("| QA_MIN_CONFIDENCE | " + " | ".join(f"{n} hit@1 | {n} answered | {n} declined" for n in names) + " |")
        print("|---" * (3 * len(names) + 1) + "|")
        for threshold in args.thresholds.split(","):
            cells = []
            for name in names:
                row = score(args.eval, sets[name], dict(env, QA_MIN_CONFIDENCE=threshold), args.misses)
                cells += [row["hit@1"], row["answered_when_answerable"], row["abstained_when_unanswerable"]]
            print(f"| {threshold} | " + " | ".join("–" if c is None else str(c) for c in cells) + " |", flush=True)
        return
    rows = {name: score(args.eval, sets[name], env, args.misses) for name in names}
    print(provenance())
    print("| set | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, row in rows.items():
        cells = ["–" if row.get(c) is None else str(row.get(c)) for c in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
