"""A fair benchmark corpus: real documentation with a real vocabulary, up to a passage count.

    .venv/bin/python -m bench.fair_corpus FOLDER --passages 1000000

The shared articles copied a thousand times (bench/corpora.py) have the vocabulary of a few hundred articles and
posting lists that are the same lists repeated. This corpus starts from the shared corpora (SQuAD, COVID-QA, the
Debian FAQ) and the documentation four pinned Debian packages ship: the Debian Administrator's Handbook (English
HTML), the Python 3.11 documentation (HTML) and the Linux manual pages of sections 2-8 (rendered by groff to
Markdown). Each package is fetched with `apt-get download NAME=VERSION` and checked against the sha256 recorded
in PACKAGES, so every run gets the same bytes. The service reads these files through its own formats (HTML with
the HTML reader, man pages and shared articles as Markdown and text).

Only when the originals are used up is anything repeated, and then each copy is varied: every name (a capitalised
word the document never writes in lower case) gets a suffix of syllables and every number is shifted, both chosen
by the copy number, so that a copy adds names and numbers of its own the way more documents would, while its
common words, sentences and markup stay those of the original. Copy 0 is the original, byte for byte.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa_service.document_analysis import analyse
from qa_service.documents import DocumentRejected, read_document

from .corpora import SHARED_EVAL

MAX_BYTES = 50 * 1024 * 1024
SHARED_FOLDERS = ("squad", "covidqa", "debianfaq")
PLAN_FILE = ".fair-corpus.json"
COUNTS_FILE = "passage-counts.json"
# The downloaded packages, the originals and their passage counts, kept between runs (bench/results is ignored by git).
WORK = Path(__file__).resolve().parent / "results" / "work" / "fair"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str
    kind: str  # "html": the files matching `paths`, kept as they are; "man": gzipped man pages rendered by groff
    paths: tuple[str, ...]
    exclude: tuple[str, ...] = ()


PACKAGES = (
    Package("debian-handbook", "11.20220922", "3d5dbeac1f1afc9c094eab9d0f701f6ecff99c4927d5a4794cf6c85678134faa",
            "html", ("usr/share/doc/debian-handbook/html/en-US/*.html",)),
    Package("python3.11-doc", "3.11.2-6+deb12u9", "5b3594189d6ef9a6963ce0347fd307a1cc67620ad697e144db366070e2e146be",
            "html", ("usr/share/doc/python3.11/html/**/*.html",),
            # Indexes, search and the change log are lists of links, not prose.
            ("genindex", "py-modindex", "search.html", "whatsnew/changelog.html", "/_")),
    Package("manpages", "6.03-2", "efa1ba4cd19ad7baeae959c9209a7eb74be2ebb858bcabb412597bfc9f588c91",
            "man", ("usr/share/man/man*/*.gz",)),
    Package("manpages-dev", "6.03-2", "96f55cb5e26231d5567c89b692bced63825a14a2d5bd18fdf16ea2ed44eb9838",
            "man", ("usr/share/man/man*/*.gz",)),
)


# --- fetching and converting ----------------------------------------------------------------------------------

def download(package: Package, cache: Path) -> Path:
    """The package's .deb, from the cache or apt-get, refused unless its sha256 is the recorded one."""
    cache.mkdir(parents=True, exist_ok=True)
    found = [path for path in cache.glob(f"{package.name}_*.deb") if sha256(path) == package.sha256]
    if not found:
        subprocess.run(["apt-get", "download", f"{package.name}={package.version}"], cwd=cache, check=True,
                       capture_output=True)
        found = [path for path in cache.glob(f"{package.name}_*.deb") if sha256(path) == package.sha256]
    if not found:
        raise SystemExit(f"{package.name} {package.version}: no download matches sha256 {package.sha256}")
    return found[0]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_MAN_HEADING = re.compile(r"^[A-Z][A-Z0-9 ,/()'-]*$")
_MAN_SUBHEADING = re.compile(r"^ {3}\S")


def man_to_markdown(rendered: str) -> str:
    """groff's text rendering of a man page as Markdown: the page's name as its title, its unindented section
    names (NAME, DESCRIPTION) and three-space subsection names as headings, body lines without their indent."""
    lines = rendered.splitlines()
    body = [line.rstrip() for line in lines[1:-1]]  # the first and last lines are the running header and footer
    title = lines[0].split()[0] if lines and lines[0].split() else "manual page"
    out = [f"# {title}", ""]
    for line in body:
        if line and _MAN_HEADING.match(line):
            out += ["", f"## {line.title()}", ""]
        elif _MAN_SUBHEADING.match(line) and not line.startswith("    "):
            out += ["", f"### {line.strip()}", ""]
        else:
            out.append(line.strip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def render_man(source: bytes) -> str | None:
    """A gzipped man page rendered as plain text (no hyphenation, no line filling), or None for a link page."""
    roff = gzip.decompress(source)
    if roff.lstrip().startswith(b".so "):
        return None
    rendered = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-rLL=2000n", "-rHY=0", "-P-cbou"], input=roff,
                              capture_output=True, check=True).stdout.decode("utf-8", "replace")
    return man_to_markdown(rendered)


def document_id(prefix: str, relative: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", relative.rsplit(".", 1)[0] if extension == ".html" else relative)
    return f"{prefix}.{stem.replace('/', '.')}"[:90] + extension


def originals(work: Path) -> Path:
    """The unvaried documents in `work/originals` (made once): the shared corpora's files and every package's
    documents, named `<package>.<path>`."""
    folder = work / "originals"
    done = folder / ".complete"
    if done.is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in SHARED_FOLDERS:
        for path in sorted((SHARED_EVAL / "corpora" / name).glob("*")):
            if path.suffix in (".txt", ".md", ".html"):
                shutil.copyfile(path, folder / f"{name}.{path.name}")
    for package in PACKAGES:
        deb = download(package, work / "debs")
        with tempfile.TemporaryDirectory(prefix="fair-corpus-") as scratch:
            root = Path(scratch)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            for pattern in package.paths:
                for path in sorted(root.glob(pattern)):
                    relative = str(path.relative_to(root))
                    if any(word in relative for word in package.exclude):
                        continue
                    short = package.name.split("-")[0].split(".")[0]
                    if package.kind == "html":
                        tail = relative.split("/html/", 1)[1]
                        shutil.copyfile(path, folder / document_id(short, tail, ".html"))
                    else:
                        markdown = render_man(path.read_bytes())
                        if markdown is not None:
                            tail = relative.removeprefix("usr/share/man/").removesuffix(".gz")
                            (folder / document_id(short, tail, ".md")).write_text(markdown)
    done.write_text(json.dumps([{"name": p.name, "version": p.version, "sha256": p.sha256} for p in PACKAGES]))
    return folder


# --- varying a copy -------------------------------------------------------------------------------------------

SYLLABLES = ("an", "bel", "cor", "dra", "en", "fin", "gal", "hor", "is", "jun", "kel", "lor", "mar", "nor", "ov",
             "pel", "quin", "ros", "sul", "tor", "ul", "ven", "wil", "xan", "yor", "zel")
# Markup and character references are kept as they are; of the rest, words and digit runs are what a copy varies.
_PIECE = re.compile(r"<[^>]*>|&#?\w+;|([A-Za-z]+|\d+)")
_NAME = re.compile(r"[A-Z][a-z]*[a-z]")


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def name_variant(name: str, copy: int) -> str:
    """The name as copy `copy` spells it: the same name and copy always give the same suffix, and for copies
    1-675 of one name every suffix differs."""
    n = (copy + _stable_hash(name)) % (len(SYLLABLES) ** 2)
    return name + SYLLABLES[n // len(SYLLABLES)] + SYLLABLES[n % len(SYLLABLES)]


def number_variant(digits: str, copy: int) -> str:
    """The number shifted by the copy, with as many digits as before (leading zeros kept)."""
    modulus = 10 ** len(digits)
    return str((int(digits) + copy * 7919 + _stable_hash(digits)) % modulus).zfill(len(digits))


def vary(text: str, copy: int) -> str:
    """Copy `copy` of a document's source: its names and numbers varied, everything else kept."""
    if copy == 0:
        return text
    lower_words = {m.group(1) for m in _PIECE.finditer(text) if m.group(1) and m.group(1).islower()}

    def varied(match: re.Match) -> str:
        word = match.group(1)
        if word is None:
            return match.group(0)
        if word.isdigit():
            return number_variant(word, copy)
        if _NAME.fullmatch(word) and word.lower() not in lower_words:
            return name_variant(word, copy)
        return word

    return _PIECE.sub(varied, text)


# --- a corpus of a size ---------------------------------------------------------------------------------------

def passage_counts(folder: Path, cache: Path) -> dict[str, int]:
    """Each original file's passage count (files the service would refuse count 0), worked out once."""
    if cache.is_file():
        return json.loads(cache.read_text())
    counts = {}
    for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        try:
            counts[path.name] = len(analyse(read_document(path, MAX_BYTES)).windows)
        except DocumentRejected:
            counts[path.name] = 0
    cache.write_text(json.dumps(counts))
    return counts


def plan(counts: dict[str, int], passages: int) -> list[tuple[str, int]]:
    """(original file, copy) pairs until `passages` passages: every original once (in an order mixed by a hash of
    the name, so that a partial round takes from every source), then varied copies round after round."""
    order = sorted((name for name, n in counts.items() if n), key=lambda name: _stable_hash(name))
    out, total, copy = [], 0, 0
    while total < passages:
        for name in order:
            if total >= passages:
                break
            out.append((name, copy))
            total += counts[name]
        copy += 1
    return out


def copy_name(name: str, copy: int) -> str:
    stem, dot, extension = name.rpartition(".")
    return name if copy == 0 else f"{stem}--v{copy:04d}{dot}{extension}"


def build(folder: Path, passages: int, work: Path) -> dict:
    """Fill `folder` with the fair corpus of about `passages` passages (kept if it already holds that plan);
    returns what it holds: documents, passages, copies beyond the originals and the packages it came from."""
    source = originals(work)
    counts = passage_counts(source, work / COUNTS_FILE)
    chosen = plan(counts, passages)
    summary = {"documents": len(chosen), "passages": sum(counts[name] for name, _ in chosen),
               "original_documents": sum(1 for _, copy in chosen if copy == 0),
               "varied_copies": sum(1 for _, copy in chosen if copy), "rounds": max(copy for _, copy in chosen) + 1,
               "packages": [{"name": p.name, "version": p.version, "sha256": p.sha256} for p in PACKAGES]}
    marker = folder / PLAN_FILE
    if marker.is_file() and json.loads(marker.read_text()) == summary:
        return summary
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, copy in chosen:
        raw = (source / name).read_text(encoding="utf-8")
        (folder / copy_name(name, copy)).write_text(vary(raw, copy), encoding="utf-8")
    marker.write_text(json.dumps(summary))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="where the corpus goes (emptied unless it holds this plan)")
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--work", type=Path, default=WORK,
                        help="where the packages and originals are kept between runs (default: %(default)s)")
    args = parser.parse_args(argv)
    json.dump(build(args.folder, args.passages, args.work), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
