"""Sentences: paragraphs and Punkt sentences as exact character spans of a document's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_service.document_analysis import analyse
from qa_service.documents import Heading, parse_document, read_document
from qa_service.sentences import outline, split_sentences

SEED = Path(__file__).resolve().parent.parent / "corpus" / "keppra-article.txt"


def sentence_texts(text: str) -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text)[1]]


def test_a_title_line_is_never_glued_to_the_next_sentence():
    assert sentence_texts("Keppra and Migraine\nKeppra is an antiepileptic drug. It treats seizures.") == [
        "Keppra and Migraine",
        "Keppra is an antiepileptic drug.",
        "It treats seizures.",
    ]


@pytest.mark.parametrize("date_line", ["October 22, 2024", "2024-10-22", "2024年10月22日星期二"])
def test_a_date_line_is_never_glued_to_the_next_sentence(date_line):
    assert sentence_texts(f"{date_line}\nKeppra is an antiepileptic drug.") == [
        date_line,
        "Keppra is an antiepileptic drug.",
    ]


def test_title_and_date_lines_are_marked_as_headings():
    text = "Keppra and Migraine\n\nKeppra is an antiepileptic drug."

    assert [s.heading for s in split_sentences(text)[1]] == [True, False]


def test_seed_title_is_its_own_sentence_before_the_first_sentence():
    document = read_document(SEED, max_bytes=1_000_000)

    assert sentence_texts(document.text)[:2] == [
        "Keppra and Its Potential in Migraine Management",
        "Keppra, also known by its generic name levetiracetam, is primarily an antiepileptic drug (AED) used to "
        "treat various types of seizures.",
    ]


@pytest.mark.parametrize("sentence", [
    "Some drugs, e.g. topiramate, prevent migraine.",
    "Some drugs, e.g. Topiramate and Valproate, prevent migraine.",
    "Dr. Smith prescribed it to the patient.",
    "The dose was approx. 500 mg each day.",
    "Seizures, i.e. fits, are common in epilepsy.",
    "Smith et al. reported this in 2020.",
    "Keppra was approved in the U.S. in 1999 for epilepsy.",
    "Results (see Fig. 2) were good.",
    "Levetiracetam is an antiepileptic drug (AED) used to treat seizures.",
    "Keppra is an AED (antiepileptic drug) used widely.",
])
def test_abbreviations_and_parenthesised_acronyms_do_not_end_a_sentence(sentence):
    assert sentence_texts(f"{sentence} It is well known.") == [sentence, "It is well known."]


@pytest.mark.parametrize("sentence", ["The usual dose is 500 mg.", "Patients weighed 70 kg.", "It lasted 5 min."])
def test_a_unit_at_the_end_of_a_sentence_ends_it(sentence):
    assert sentence_texts(f"{sentence} Patients then stopped.") == [sentence, "Patients then stopped."]


def test_a_parenthesised_acronym_at_the_end_of_a_sentence_ends_it():
    assert sentence_texts("Keppra is an antiepileptic drug (AED). It treats seizures.") == [
        "Keppra is an antiepileptic drug (AED).",
        "It treats seizures.",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("Keppra helps some patients [1] [2]. Others see no change [3].",
     ["Keppra helps some patients [1] [2].", "Others see no change [3]."]),
    ("Keppra helps some patients. [1] [2] Others see no change.",
     ["Keppra helps some patients. [1] [2]", "Others see no change."]),
    ("Keppra helps some patients.[1][2] Others see no change.",
     ["Keppra helps some patients.[1][2]", "Others see no change."]),
    ("Keppra helps some patients. [1, 2] Others see no change.",
     ["Keppra helps some patients. [1, 2]", "Others see no change."]),
    ("Keppra helps some patients. [3-5]\nOthers see no change.",
     ["Keppra helps some patients. [3-5]", "Others see no change."]),
])
def test_citation_markers_stay_with_the_sentence_they_cite(text, expected):
    assert sentence_texts(text) == expected


def test_a_line_wrapped_sentence_stays_one_sentence():
    assert sentence_texts("Wrapped prose that goes on\nand continues here. Next sentence.") == [
        "Wrapped prose that goes on\nand continues here.",
        "Next sentence.",
    ]


def test_paragraphs_never_share_a_sentence():
    text = "The first paragraph ends without a stop\n\nthe second starts in lower case. It ends."

    paragraphs, sentences = split_sentences(text)

    assert [text[p.start:p.end] for p in paragraphs] == [
        "The first paragraph ends without a stop",
        "the second starts in lower case. It ends.",
    ]
    assert [(text[s.start:s.end], s.paragraph) for s in sentences] == [
        ("The first paragraph ends without a stop", 0),
        ("the second starts in lower case.", 1),
        ("It ends.", 1),
    ]


def test_every_sentence_lies_inside_its_paragraph():
    document = read_document(SEED, max_bytes=1_000_000)

    paragraphs, sentences = split_sentences(document.text)

    assert len(paragraphs) == 11
    for sentence in sentences:
        paragraph = paragraphs[sentence.paragraph]
        assert paragraph.start <= sentence.start < sentence.end <= paragraph.end


SPAN_SAMPLES = [
    "  Leading space. Trailing space.  ",
    "Title\n\n\n   Indented paragraph. With two sentences.\n\n\n",
    "One. Two! Three? Four…\n\nFive.",
    "Keppra (levetiracetam) is an AED.\u00a0Approx. 30% respond.\u3000Next one.",
    "- a list item\n- another item\n\n1. numbered. 2. numbered",
]


@pytest.mark.parametrize("text", SPAN_SAMPLES)
def test_spans_are_exact_stripped_slices_in_order(text):
    paragraphs, sentences = split_sentences(text)

    previous_end = 0
    for sentence in sentences:
        piece = text[sentence.start:sentence.end]
        assert piece and piece == piece.strip()
        assert sentence.start >= previous_end
        assert text[previous_end:sentence.start].strip() == ""
        previous_end = sentence.end
    assert text[previous_end:].strip() == ""


def test_seed_spans_cover_every_word_of_the_stored_text_in_order():
    document = read_document(SEED, max_bytes=1_000_000)

    sentences = split_sentences(document.text)[1]

    assert " ".join(document.text[s.start:s.end] for s in sentences).split() == document.text.split()


def sections_of(raw: str, fmt: str) -> dict[str, tuple[str, ...]]:
    analysed = analyse(parse_document("doc", raw, fmt))
    return {analysed.sentence_text(i): analysed.section_path(i) for i in range(len(analysed.sentences))}


def test_plain_text_heading_lines_open_one_level_sections_without_moving_any_sentence_boundary():
    raw = "Lithium Facts\n\nSide effects\n\nLithium causes thirst. It is mild.\n\nMonitoring\n\nLevels are checked."
    document = parse_document("doc", raw)

    assert split_sentences(document.text) == split_sentences(document.text, document.headings)
    assert sections_of(raw, "text") == {
        "Lithium Facts": (), "Side effects": ("Side effects",), "Lithium causes thirst.": ("Side effects",),
        "It is mild.": ("Side effects",), "Monitoring": ("Monitoring",), "Levels are checked.": ("Monitoring",)}


def test_markdown_headings_nest_by_level_and_a_question_heading_is_one_sentence_marked_as_a_question():
    raw = "# Lithium\n\n## Side effects\n\n### Safe? Is it safe?\n\nMostly it is.\n\n## Monitoring\n\nLevels."
    analysed = analyse(parse_document("doc", raw, "markdown"))
    faq = ("Side effects", "Safe? Is it safe?")

    assert sections_of(raw, "markdown") == {
        "Lithium": (), "Side effects": ("Side effects",), "Safe? Is it safe?": faq, "Mostly it is.": faq,
        "Monitoring": ("Monitoring",), "Levels.": ("Monitoring",)}
    assert [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.question] == ["Safe? Is it safe?"]


PLAIN_FAQ = ("Is the pond safe?\n\nHow deep should a pond be?\n\nAt least 80 cm, so that fish survive a frost.\n\n"
             "Why is the water green?\n\nAlgae grow in sunlight. Shade a third of the surface.")


def test_a_plain_faqs_questions_without_marks_are_question_headings_over_their_replies():
    # Each a paragraph of one line that asks, above one that answers; the first paragraph, a title, is no entry.
    assert sections_of(PLAIN_FAQ, "text") == {
        "Is the pond safe?": (), "How deep should a pond be?": ("How deep should a pond be?",),
        "At least 80 cm, so that fish survive a frost.": ("How deep should a pond be?",),
        "Why is the water green?": ("Why is the water green?",),
        "Algae grow in sunlight.": ("Why is the water green?",),
        "Shade a third of the surface.": ("Why is the water green?",)}
    analysed = analyse(parse_document("faq", PLAIN_FAQ))
    assert [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.question] == [
        "How deep should a pond be?", "Why is the water green?"]


def test_a_lone_question_in_prose_is_prose():
    raw = "Pond notes\n\nThe pond froze in January.\n\nWhy did the pond freeze?\n\nThe nights were cold for a week."
    analysed = analyse(parse_document("notes", raw))
    assert not any(s.question or s.heading for s in analysed.sentences[1:])


def test_a_section_that_stops_early_takes_the_sections_opened_inside_it_with_it():
    # "Questions" heads a widget that holds a deeper heading; both stop where the widget ends.
    text = "Help\n\nQuestions\n\nPaying\n\nBy card.\n\nAfter the widget."
    paras, sentences = split_sentences(text)
    widget_end = text.index("By card.") + len("By card.")
    headings = [Heading(0, 4, 1), Heading(6, 15, 5, until=widget_end), Heading(17, 23, 6)]
    sections, membership = outline(text, paras, sentences, headings, "Help")
    paths = [sections[k].path if k >= 0 else () for k in membership]
    assert paths == [(), ("Questions",), ("Questions", "Paying"), ("Questions", "Paying"), ()]


@pytest.mark.parametrize(("raw", "fmt"), [
    ("# Building\n\nTo build a small binary, run:\n\n    % make small\n\nThen test it.\n", "markdown"),
    ("# Building\n\nTo build a small binary, run:\n\n```\n% make small\n```\n\nThen test it.\n", "markdown"),
    ("<h1>Building</h1><p>To build a small binary, run:</p><pre>% make small</pre><p>Then test it.</p>", "html"),
])
def test_a_line_of_code_is_one_sentence_of_code_and_never_a_heading(raw, fmt):
    # Short, without closing punctuation: as plain text it would look like a heading.
    analysed = analyse(parse_document("build", raw, fmt))
    code = [i for i, s in enumerate(analysed.sentences) if s.code]

    assert [analysed.sentence_text(i) for i in code] == ["% make small"]
    assert not analysed.sentences[code[0]].heading


def test_a_block_of_code_is_never_split_at_its_dots_and_a_blank_line_in_it_parts_its_paragraphs():
    raw = "# Floats\n\nFor example:\n\n```\n>>> x = 1.2\n>>> y = x * 3. Note.\n\n>>> print(y)\n```\n"
    analysed = analyse(parse_document("floats", raw, "markdown"))

    assert [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.code] == [
        ">>> x = 1.2\n>>> y = x * 3. Note.", ">>> print(y)"]


def test_a_table_row_is_one_sentence_and_never_a_heading():
    raw = "# Dosing\n\n| Who | Dose |\n| --- | --- |\n| Adults | 500 mg a day. Less for some. |\n"
    analysed = analyse(parse_document("doses", raw, "markdown"))

    assert [(analysed.sentence_text(i), s.heading) for i, s in enumerate(analysed.sentences)][1:] == [
        ("Who Dose", False), ("Adults 500 mg a day. Less for some.", False)]


@pytest.mark.parametrize(("raw", "fmt"), [
    ("# Paying\n\nWe take:\n\n- PayPal\n- Bank transfer, yearly plans only\n", "markdown"),
    ("<h1>Paying</h1><p>We take:</p><ul><li>PayPal</li><li>Bank transfer, yearly plans only</li></ul>", "html"),
])
def test_a_list_item_is_never_a_heading_however_short_and_unpunctuated(raw, fmt):
    analysed = analyse(parse_document("paying", raw, fmt))

    assert [(analysed.sentence_text(i), s.heading) for i, s in enumerate(analysed.sentences)][1:] == [
        ("We take:", False), ("PayPal", False), ("Bank transfer, yearly plans only", False)]


def test_a_plain_faqs_question_line_is_a_question_heading_that_opens_the_section_of_its_reply():
    text = ("Account help\n\nQ: Can I change my username?\nA: No. Usernames are permanent.\n\n"
            "Q: Where are my invoices?\nA: Under Billing, as PDF files.")
    analysed = analyse(parse_document("help", text))

    questions = [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.question]
    assert questions == ["Q: Can I change my username?", "Q: Where are my invoices?"]
    reply = next(i for i in range(len(analysed.sentences)) if analysed.sentence_text(i).startswith("A: Under"))
    assert analysed.section_path(reply) == ("Q: Where are my invoices?",)


@pytest.mark.parametrize(("text", "expected"), [
    # A superscript note's or citation's number, flattened into the text, after a sentence's end.
    ("Fill it to the minimum mark.1 Never fill past the maximum.",
     ["Fill it to the minimum mark.1", "Never fill past the maximum."]),
    ("Cases rose quickly.12,13 The virus spread.", ["Cases rose quickly.12,13", "The virus spread."]),
    # An abbreviation's number, and a number with a decimal point, are no sentence's end.
    ("See Fig.1 Shows the kettle. It boils.", ["See Fig.1 Shows the kettle.", "It boils."]),
    ("Version 2.1 Beta is out.", ["Version 2.1 Beta is out."]),
    ("Prevent ASN.1 BIO excessive memory allocation.", ["Prevent ASN.1 BIO excessive memory allocation."]),
])
def test_a_number_set_right_after_a_sentences_end_marks_that_sentence(text, expected):
    assert sentence_texts(text) == expected
