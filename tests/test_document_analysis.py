"""Document analysis: passage windows, the aliases a text defines, and each sentence's traits, worked out once."""

from __future__ import annotations

import dataclasses
import pickle
import random
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa_service.analysis import term_spans, terms, words
from qa_service.document_analysis import (
    PASSAGE_SENTENCES,
    PASSAGE_STRIDE,
    RecentTraits,
    analyse,
    find_aliases,
    passage_windows,
    sentence_kinds,
    sentence_traits,
)
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.sentences import Sentence


def sentences_in(paragraph_sizes: list[int]) -> list[Sentence]:
    """Stand-in sentences: only their paragraph numbers matter to the windows."""
    out = []
    for paragraph, size in enumerate(paragraph_sizes):
        out.extend(Sentence(len(out), len(out) + 1, paragraph) for _ in range(size))
    return out


def windows_of(paragraph_sizes: list[int]) -> list[tuple[int, int]]:
    return passage_windows(sentences_in(paragraph_sizes))


# --- passages -------------------------------------------------------------------------------------------------


def test_passages_are_three_sentences_moved_one_at_a_time():
    assert (PASSAGE_SENTENCES, PASSAGE_STRIDE) == (3, 1)
    assert windows_of([5]) == [(0, 2), (1, 3), (2, 4)]


def test_a_paragraph_of_three_or_fewer_sentences_is_one_passage():
    assert windows_of([1, 2, 3]) == [(0, 0), (1, 2), (3, 5)]


def test_passages_never_cross_a_paragraph():
    assert windows_of([4, 1, 3]) == [(0, 2), (1, 3), (4, 4), (5, 7)]


@pytest.mark.parametrize("seed", range(5))
def test_every_sentence_is_in_a_passage_and_every_passage_in_one_paragraph(seed):
    rng = random.Random(seed)
    sentences = sentences_in([rng.randint(1, 7) for _ in range(rng.randint(1, 8))])

    windows = passage_windows(sentences)

    covered = set()
    for first, last in windows:
        assert 0 <= last - first < PASSAGE_SENTENCES
        assert sentences[first].paragraph == sentences[last].paragraph
        covered.update(range(first, last + 1))
    assert covered == set(range(len(sentences)))


# --- aliases --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "pair"), [
    ("Patients took levetiracetam (Keppra) twice a day.", ("levetiracetam", "Keppra")),
    ("Paracetamol, also known as acetaminophen, relieves pain.", ("Paracetamol", "acetaminophen")),
    ("Keppra, also known by its generic name levetiracetam, is an AED.", ("Keppra", "levetiracetam")),
    ("It is an antiepileptic drug (AED) used to treat seizures.", ("antiepileptic drug", "AED")),
    ("Tylenol, sold under the brand name Panadol, relieves pain.", ("Tylenol", "Panadol")),
])
def test_aliases_are_read_from_the_text(text, pair):
    assert (tuple(terms(pair[0])), tuple(terms(pair[1]))) in find_aliases(text)


def test_words_are_read_by_the_regex_engine_whatever_the_script():
    # The `regex` engine's word characters, not `re`'s: a combining accent stays in its word ("cafe" + U+0301), and
    # a numeral that is no digit ("½", "²") is no word; inner apostrophes join, a possessive "'s" goes.
    assert words("The cafe\u0301’s menu isn't ½ price, x² and snake_case") == [
        "the", "cafe\u0301", "menu", "isn't", "price", "x", "and", "snake", "case"]


@pytest.mark.parametrize("text", ["The cafe\u0301’s menu isn't ½ price, x² and snake_case",
                                  "Keppra's dose: 500 mg twice daily (levetiracetam)", "Ελληνικά και Español año"])
def test_highlighting_reads_the_same_terms_as_the_index(text):
    spans = term_spans(text)

    assert [term for term, _, _ in spans] == terms(text)
    assert [terms(text[start:end]) for _, start, end in spans] == [[term] for term, _, _ in spans]


def test_an_acronym_is_linked_to_the_words_it_abbreviates_only():
    assert find_aliases("Keppra is an antiepileptic drug (AED).") == [(("antiepilept", "drug"), ("aed",))]


# --- sentence traits ------------------------------------------------------------------------------------------

TRAITS_TEXT = """Lamotrigine Notes

Lamotrigine was approved in 1994. It treats 60% of patients when Ada Smith sets the dose.

Figure 2 shows the dose.

and then"""


def test_a_sentence_s_traits_say_its_form_and_the_kinds_of_answer_it_holds():
    doc = analyse(parse_document("l", TRAITS_TEXT))
    approved, treats, caption, fragment = (doc.traits(i) for i in range(1, 5))

    assert doc.traits(0).heading
    assert approved.first and not approved.dependent and {"date", "number"} <= approved.kinds
    assert treats.dependent and not treats.first and {"percent", "condition"} <= treats.kinds
    assert caption.apparatus
    assert fragment.fragment
    assert treats.names == (("ada", "smith"),)
    assert approved.runs == " lamotrigine was approved in 1994 "


def test_a_sentence_s_names_leave_out_the_pronoun_i():
    doc = analyse(parse_document("l", "Notes\n\nIn March I'm told that I've met Ada Smith, OK."))

    assert doc.traits(1).names == (("march",), ("ada", "smith"))


def test_the_index_keeps_the_traits_of_sentences_needed_lately_as_the_pure_function_gives_them():
    doc = analyse(parse_document("l", TRAITS_TEXT))
    recent = RecentTraits(64)

    first = recent.of(doc, 2)

    assert recent.of(doc, 2) is first
    assert first == sentence_traits(doc.document.text, doc.sentences, 2) == doc.traits(2)
    assert Index.build([doc]).recent_traits.of(doc, 2) == first


def test_the_traits_kept_are_bounded_and_the_ones_needed_again_stay():
    doc = analyse(parse_document("l", TRAITS_TEXT + "\n\n" + " ".join(f"Dose {n} is given." for n in range(40))))
    recent = RecentTraits(generation=4)
    often = recent.of(doc, 1)

    for i in range(2, len(doc.sentences)):
        recent.of(doc, i)
        assert recent.of(doc, 1) is often  # asked again each time: never dropped
        assert len(recent) <= 8


def test_a_pickled_document_holds_no_traits_worked_out_for_questions():
    doc = analyse(parse_document("l", TRAITS_TEXT))
    Index.build([doc]).recent_traits.of(doc, 1)
    doc.opens_by_pointing_back(2)

    loaded = pickle.loads(pickle.dumps(doc))

    assert set(doc.__getstate__()) == {f.name for f in dataclasses.fields(doc) if f.init}
    assert loaded.sentences == doc.sentences
    assert loaded.traits(1) == doc.traits(1) and loaded.opens_by_pointing_back(2)


def test_a_sentence_opening_by_pointing_back_is_told_without_its_other_traits():
    doc = analyse(parse_document("l", TRAITS_TEXT))
    assert [doc.opens_by_pointing_back(i) for i in range(len(doc.sentences))] == [
        doc.traits(i).dependent for i in range(len(doc.sentences))] == [False, False, True, False, False]


@pytest.mark.parametrize(("opening", "points_back"), [
    ("By default it only downloads the updates.", True),
    ("As such, it is no first choice.", True),
    ("In that case, reinstall the system.", True),
    ("For this reason the kettle is descaled monthly.", True),
    ("Similarly, the jug needs rinsing.", True),
    ("To do so, open the lid.", True),
    ("By default the kettle switches itself off.", False),  # "by default" alone names no earlier thing
    ("In this kitchen the kettle stays on the shelf.", False),
    ("Thereby the water boils faster.", False),
    ("There, the water is softer.", True),
    ("There is a filter in the spout.", False),  # says only that something is
    ("There's a filter in the spout.", False),
    ("There may be scale on the element.", False),
    ("Here are the steps to descale it:", False),
])
def test_a_sentence_opening_with_a_phrase_that_points_back_goes_on_from_the_one_before(opening, points_back):
    doc = analyse(parse_document("k", f"Kettles\n\nThe kettle needs care. {opening}"))
    assert doc.opens_by_pointing_back(2) is points_back


@pytest.mark.parametrize(("sentence", "kinds"), [
    ("The kettle holds 1.7 litres.", {"number"}),
    ("It boils in three minutes.", {"number"}),
    ("About 40 per cent of the water is lost as steam.", {"percent", "number"}),
    ("Descale it once a month.", {"number", "condition"}),
    ("The model was sold from May 2019 until 2021.", {"number", "date", "condition"}),
    ("Kettles like it were common in the sixties.", {"date"}),
    ("It was designed in the 19th century.", {"number", "date"}),
    ("The light goes out when the water boils.", {"condition"}),
    ("Call the shop in case of a leak.", {"condition"}),
    ("It may click as it cools.", set()),
    ("The lid is made of steel.", set()),
])
def test_a_sentence_holds_the_kinds_of_answer_its_words_and_numbers_give(sentence, kinds):
    doc = analyse(parse_document("kettle", "The kettle boils water. " + sentence))
    assert doc.traits(len(doc.sentences) - 1).kinds == kinds


WORD = re.compile(r"\w+")
# Each kind as one whole pattern, as it was written before the word checks: sentence_kinds runs a pattern only on a
# sentence that holds what the pattern needs, and must find exactly what the whole pattern finds.
WHOLE_PATTERNS = {
    "percent": re.compile(r"\d\s*(?:%|percent\b|per cent\b)|\bpercent", re.I),
    "number": re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                         r"forty|fifty|hundred|thousand|million|billion|dozen|half|quarter|once|twice)\b", re.I),
    "date": re.compile(r"\b(?:1\d{3}|20\d{2})s?\b|\b\d{1,2}(?:st|nd|rd|th)\b|\bcentur(?:y|ies)\b|\bdecades?\b|"
                       r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                       r"December)\b|\b(?:BC|AD|BCE|CE)\b|\b(?:in|since|until|by|after|before|during) the \w+s\b"),
    "condition": re.compile(r"\b(?:when|whenever|if|unless|once|after|until|in case of|in patients (?:who|with))\b",
                            re.I),
}
WORDS = ["1994", "1990s", "2019", "21st", "3rd", "7", "40", "%", "percent", "per cent", "percentage", "May", "may",
         "June", "century", "Centuries", "decade", "decades", "BC", "AD", "CE", "in", "In", "since", "during", "the",
         "The", "sixties", "days", "one", "ONE", "once", "Twice", "half", "when", "If", "unless", "after", "until",
         "case", "of", "patients", "who", "with", "kettle", "steam", "x_1"]
SEPARATORS = [" ", " ", " ", "", "  ", "-", "'", ", ", ". ", "\n"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=8))
@example([("7", " "), ("per cent", "")])
@example([("in", " "), ("the", " "), ("1990s", "")])
@example([("In", " "), ("the", " "), ("sixties", "")])
@example([("in", " "), ("case", " "), ("of", "")])
def test_the_kinds_are_what_the_whole_patterns_find(pieces):
    said = "".join(word + separator for word, separator in pieces)
    lowered = said.lower()
    found = sentence_kinds(said, lowered, WORD.findall(said), WORD.findall(lowered))
    assert found == {kind for kind, pattern in WHOLE_PATTERNS.items() if pattern.search(said)}


@pytest.mark.parametrize(("sentence", "pointer"), [
    ("See Section 4.", True),
    ("For more information about the warranty, see the service booklet.", True),
    ("If the light still blinks, refer to the troubleshooting chapter.", True),
    ("Please see the care guide.", True),
    ("The filter is washable (see Section 4) and lasts a year.", False),
    ("As you can see, the lid comes off easily.", False),
    ("Seeds are sown in spring.", False),
    ("Cleaning is discussed further in the question on Section 5.2, “How do I descale the kettle quickly?”.", True),
    ("(Also see Chapter 3, “Which filter fits my kettle?”.)", True),
    ("The lid opens with the button on the handle, as Section 2.1, “Opening the lid”, shows.", False),
    ("The default setting is 80 degrees (see Section 2).", False),
])
def test_a_sentence_that_only_points_elsewhere_is_apparatus_not_an_answer(sentence, pointer):
    doc = analyse(parse_document("note", "The kettle boils water. " + sentence))
    assert doc.traits(len(doc.sentences) - 1).apparatus is pointer


LOWER_CASE_TEXT = """\
Package tools

The system ships several tools for handling packages.

dpkg installs a package file that is already on the disk.

Install a package with:

dpkg -i file.deb

and the tool then unpacks it.

Fill the kettle with:

cold water up to the line.

The heat is Q = m c t

where t is the rise in temperature."""


@pytest.mark.parametrize(("opening", "fragment"), [
    ("dpkg installs", False),  # a name written in lower case, after a finished sentence
    ("dpkg -i", True),  # a line of code: it does not end as a sentence does
    ("and the tool", True),  # goes on with a function word
    ("cold water", True),  # a list item going on from "… with:"
    ("where t is", True),  # goes on from a paragraph that stopped mid-sentence
])
def test_a_sentence_opening_in_lower_case_is_a_fragment_unless_it_names_something_written_so(opening, fragment):
    doc = analyse(parse_document("tools", LOWER_CASE_TEXT))
    i = next(i for i in range(len(doc.sentences)) if doc.sentence_text(i).startswith(opening))
    assert doc.traits(i).fragment is fragment


def test_a_lower_case_name_right_under_a_heading_opens_a_whole_sentence():
    doc = analyse(parse_document("codenames", "Codenames\n\nbookworm (version 12) was a green toy worm."))
    assert doc.sentences[0].heading
    assert not doc.traits(1).fragment
