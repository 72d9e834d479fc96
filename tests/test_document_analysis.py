"""Document analysis: passage windows, the aliases a text defines, and each sentence's traits, worked out once."""

from __future__ import annotations

import pickle
import random

import pytest

from qa_service.analysis import term_spans, terms, words
from qa_service.document_analysis import (
    PASSAGE_SENTENCES,
    PASSAGE_STRIDE,
    analyse,
    find_aliases,
    passage_windows,
    sentence_traits,
)
from qa_service.documents import parse_document
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


def test_a_document_works_out_a_sentence_s_traits_once_and_as_the_pure_function_does():
    doc = analyse(parse_document("l", TRAITS_TEXT))

    first = doc.traits(2)

    assert doc.traits(2) is first
    assert first == sentence_traits(doc.document.text, doc.sentences, 2)


def test_a_pickled_document_leaves_the_traits_worked_out_so_far_behind():
    doc = analyse(parse_document("l", TRAITS_TEXT))
    doc.traits(1)

    loaded = pickle.loads(pickle.dumps(doc))

    assert "_traits" not in doc.__getstate__()
    assert loaded.sentences == doc.sentences
    assert loaded.traits(1) == doc.traits(1)


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
