"""Answer quality on the three shared question sets, through the Procfile's web command, as one table.

    .venv/bin/python scripts/evaluate.py [--eval ../shared/eval] [--sets keppra,squad,covidqa] [--misses]

Runs ../shared/eval/score.py once per set (it starts the service with QA_CORPUS set, asks every question over
HTTP, and stops it) and prints a Markdown table with the date and the commit.
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

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["hit@1", "hit@answer", "answered_when_answerable", "abstained_when_unanswerable", "verbatim_quotes",
           "quotes_per_answer", "quoted_chars_per_answer", "latency_ms_p50", "latency_ms_p95", "http_errors"]


def procfile_command() -> str:
    """The Procfile's web command with $PORT as score.py's {port} placeholder."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return re.sub(r"\$\{?PORT\}?", "{port}", line[len("web:"):].strip())
    raise SystemExit("Procfile has no web: line")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--sets", default="keppra,squad,covidqa")
    parser.add_argument("--misses", action="store_true", help="list the misses of each set on standard error")
    args = parser.parse_args()
    corpora = {"keppra": ROOT / "corpus", "squad": args.eval / "corpora" / "squad",
               "covidqa": args.eval / "corpora" / "covidqa"}
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    rows = {}
    for name in args.sets.split(","):
        command = [sys.executable, str(args.eval / "score.py"), str(args.eval / f"{name}.jsonl"),
                   "--corpus", str(corpora[name]), "--start", procfile_command()]
        if args.misses:
            command.append("--misses")
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)
        rows[name] = json.loads(result.stdout.strip().splitlines()[-1])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    print(f"{datetime.date.today().isoformat()}, commit {commit}{' (with local changes)' if dirty else ''}, "
          f"`{procfile_command()}`\n")
    print("| set | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, row in rows.items():
        cells = ["–" if row.get(c) is None else str(row.get(c)) for c in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
