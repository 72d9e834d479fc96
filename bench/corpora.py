"""Benchmark corpora: the shared SQuAD and COVID-QA articles copied as separate files up to a passage count."""

from __future__ import annotations

import json
import shutil
from itertools import count
from pathlib import Path

from qa_service.document_analysis import analyse
from qa_service.documents import read_document

ROOT = Path(__file__).resolve().parent.parent
SHARED_EVAL = ROOT.parent / "shared" / "eval"
SOURCE_FOLDERS = [SHARED_EVAL / "corpora" / "squad", SHARED_EVAL / "corpora" / "covidqa"]
KEPPRA = ROOT / "corpus"
MAX_BYTES = 50 * 1024 * 1024


def source_files() -> list[Path]:
    return [path for folder in SOURCE_FOLDERS for path in sorted(folder.glob("*.txt"))]


def passages_per_file(files: list[Path]) -> dict[Path, int]:
    """How many passages each source file gives, so that a size can be met without building it first."""
    return {path: len(analyse(read_document(path, MAX_BYTES)).windows) for path in files}


def copy_plan(passages: int, per_file: dict[Path, int]) -> tuple[list[tuple[Path, str]], int]:
    """The copies `<name>--rNNNN.txt` of the source files, round after round, until `passages` passages exist,
    and the passage count they reach."""
    plan = []
    total = 0
    for round_number in count():
        for path, n in per_file.items():
            if total >= passages:
                break
            plan.append((path, f"{path.stem}--r{round_number:04d}.txt"))
            total += n
        if total >= passages:
            break
    return plan, total


def build_corpus(folder: Path, passages: int, per_file: dict[Path, int]) -> int:
    """Fill `folder` with the copies of copy_plan; returns the passage count reached. A folder already holding the
    same plan is kept."""
    plan, total = copy_plan(passages, per_file)
    manifest = folder / ".bench-manifest.json"
    wanted = json.dumps([[str(path), name] for path, name in plan])
    if manifest.is_file() and manifest.read_text() == wanted:
        return total
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path, name in plan:
        shutil.copyfile(path, folder / name)
    manifest.write_text(wanted)
    return total
