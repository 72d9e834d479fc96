"""The fair benchmark corpus (bench/fair_corpus.py): copies varied deterministically, still read and quoted."""

import re
from pathlib import Path

from bench.fair_corpus import copy_name, man_to_markdown, plan, vary
from qa_service.answering import answer
from qa_service.document_analysis import analyse
from qa_service.documents import read_document
from qa_service.index import Index

PAGE = """<html><head><title>Harbour notes</title></head><body><main>
<h1>Harbour notes</h1>
<p>Brindlemoor harbour opened in 1873 with 42 berths &amp; a lighthouse.</p>
<p>The harbour master of Brindlemoor keeps the tide tables for Kessock Sound.</p>
<p>the tide tables are printed every 12 months &#8212; <a href="tides.html">see tides</a>.</p>
</main></body></html>
"""


def test_copy_zero_is_the_original_byte_for_byte():
    assert vary(PAGE, 0) == PAGE
    assert copy_name("squad.normans.txt", 0) == "squad.normans.txt"


def test_a_copy_is_the_same_every_time_and_differs_from_other_copies():
    assert vary(PAGE, 3) == vary(PAGE, 3)
    assert vary(PAGE, 3) != vary(PAGE, 4)
    assert copy_name("squad.normans.txt", 3) == "squad.normans--v0003.txt"


def test_a_copy_varies_names_and_numbers_and_keeps_words_and_markup():
    varied = vary(PAGE, 5)
    tags = re.compile(r"<[^>]*>|&#?\w+;")
    assert tags.findall(varied) == tags.findall(PAGE)
    lower = re.compile(r"\b[a-z]+\b")
    assert lower.findall(tags.sub(" ", varied)) == lower.findall(tags.sub(" ", PAGE))
    for original in ("Brindlemoor", "Kessock", "Sound", "1873"):
        assert not re.search(rf"\b{original}\b", varied)
    assert "Harbour notes" in varied  # "harbour" is written in lower case too: a word, not a name
    # One name, one spelling throughout the copy; "The" is written in lower case too, so it is not a name.
    names = re.findall(r"Brindlemoor\w*", varied)
    assert len(names) == 2 and len(set(names)) == 1
    assert "The harbour master" in varied
    assert re.search(r"opened in \d{4} with \d{2} berths", varied)


def test_a_varied_copy_is_read_by_the_service_and_quoted_verbatim(tmp_path: Path):
    path = tmp_path / "harbour--v0002.html"
    path.write_text(vary(PAGE, 2))
    document = read_document(path, 1 << 20)
    name = re.search(r"Brindlemoor\w+", document.text).group(0)
    reply = answer(Index.build([analyse(document)]), f"When did {name} harbour open?")
    assert reply.found
    for quote in reply.quotes:
        assert document.text[quote.start:quote.end] == quote.text
    assert name in reply.quotes[0].text


def test_the_plan_takes_every_original_before_any_copy():
    counts = {"a.txt": 10, "b.txt": 20, "c.txt": 5, "empty.txt": 0}
    assert sorted(plan(counts, 30)) == [("a.txt", 0), ("b.txt", 0), ("c.txt", 0)]
    chosen = plan(counts, 50)
    assert chosen[:3] == plan(counts, 35)[:3] and {copy for _, copy in chosen[3:]} == {1}
    assert "empty.txt" not in {name for name, _ in chosen}
    assert sum(counts[name] for name, _ in chosen) >= 50


def test_a_man_page_becomes_markdown_with_its_sections_as_headings():
    rendered = ("open(2)     System Calls Manual     open(2)\n\nNAME\n       open, openat - open a file\n\n"
                "DESCRIPTION\n       The open() system call opens the file.\n\n   Creating files\n"
                "       A file is created when O_CREAT is given.\n\nLinux man-pages 6.03    2023-02-05    open(2)\n")
    assert man_to_markdown(rendered) == (
        "# open(2)\n\n## Name\n\nopen, openat - open a file\n\n## Description\n\n"
        "The open() system call opens the file.\n\n### Creating files\n\nA file is created when O_CREAT is given.\n")
