"""Answers with the semantic stage on: a reader's own words reach the sentence that means them, while questions
the source does not answer, look-alikes included, are still declined."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_answering import GARDENING, LAMOTRIGINE

from qa_service import answering
from qa_service.answering import AnswerSettings, answer, question_meaning, without_unknown_words
from qa_service.document_analysis import analyse, with_embeddings
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.questions import build_query
from qa_service.ranking import DECLINE_FEATURES, FEATURES, MODELS, decline_features, rank


def build(encoder, **texts: str) -> Index:
    analysed = [analyse(parse_document(doc_id, text)) for doc_id, text in texts.items()]
    return Index.build(with_embeddings(analysed, encoder))


@pytest.fixture(scope="module")
def index(encoder) -> Index:
    return build(encoder, lamotrigine=LAMOTRIGINE, tomatoes=GARDENING)


def first_quote(index, encoder, question, history=None):
    result = answer(index, question, history, encoder=encoder)
    assert result.found, f"declined: {question!r} (confidence {result.confidence:.2f})"
    return result.quotes[0].text


@pytest.mark.parametrize(("question", "expected"), [
    ("Will it make me feel sick to my stomach?", "headache, nausea and dizziness"),
    ("Is it dangerous for my unborn baby?", "first trimester of pregnancy"),
    ("Does the pill interfere with it?", "hormonal contraceptives"),
    ("How often do I give my plants a drink?", "Water them deeply"),
])
def test_a_question_in_everyday_words_finds_the_sentence_that_means_it(index, encoder, question, expected):
    assert expected in first_quote(index, encoder, question)


def test_the_semantic_stage_finds_what_words_alone_miss(index, encoder):
    question = "Will it make me feel sick to my stomach?"
    words_alone = answer(index, question)
    assert not (words_alone.found and "nausea" in words_alone.quotes[0].text)
    assert "nausea" in first_quote(index, encoder, question)


def test_the_index_without_this_models_embeddings_is_answered_by_words_alone(encoder):
    plain = Index.build([analyse(parse_document("lamotrigine", LAMOTRIGINE))])
    assert plain.vectors is None
    result = answer(plain, "What are the common side effects of lamotrigine?", encoder=encoder)
    assert "headache, nausea and dizziness" in result.quotes[0].text


@pytest.mark.parametrize("question", [
    "What is the capital of France?",
    "Who won the 2018 World Cup final?",
    "How long should I boil spaghetti?",
    "qwxz plorb vhenk",
])
def test_questions_the_source_does_not_answer_are_still_declined(index, encoder, question):
    assert not answer(index, question, encoder=encoder).found


@pytest.mark.parametrize(("asked", "look_alike"), [
    ("Who developed lamotrigine at the Wellcome laboratories?",
     "Who developed lamotrigine at the Pfizer laboratories?"),
    ("What lowers the level of lamotrigine in the blood?", "What raises the level of lamotrigine in the blood?"),
])
def test_a_look_alike_question_is_less_confident_than_the_one_the_text_answers(index, encoder, asked, look_alike):
    assert answer(index, asked, encoder=encoder).found
    assert answer(index, look_alike, encoder=encoder).confidence < answer(index, asked, encoder=encoder).confidence


def test_a_follow_up_reads_the_meaning_of_the_question_before_it(index, encoder):
    history = ["How is lamotrigine dosed at the start?"]
    assert "raised" in first_quote(index, encoder, "And how quickly does that change?", history)


def test_a_real_word_the_corpus_lacks_is_not_corrected_into_a_corpus_word(index):
    # The corpus says "most" and "rare"; "cost" and "care" are words of their own, not misspellings of those.
    assert build_query("What does lamotrigine cost?", index).corrections == {}
    assert build_query("Who takes care of the plants?", index).corrections == {}
    assert build_query("lamotrigene comon side efects", index).corrections == {
        "lamotrigene": "lamotrigine", "comon": "common", "efects": "effects"}


def test_a_follow_up_does_not_repeat_a_quote_already_shown_while_another_answers(index, encoder):
    asked = "What are the side effects of lamotrigine?"
    first = answer(index, asked, encoder=encoder).quotes[0]
    shown = {(first.document, first.start, first.end)}
    again = answer(index, "What else about its side effects?", [asked], encoder=encoder, shown=shown)
    assert again.found
    assert all((q.document, q.start, q.end) != (first.document, first.start, first.end) for q in again.quotes)
    assert again.read_with == asked


def test_a_follow_up_whose_answer_was_shown_already_gets_it_again_rather_than_something_else(index, encoder):
    asked = "What are the side effects of lamotrigine?"
    shown = {(q.document, q.start, q.end) for q in answer(index, asked, encoder=encoder).quotes}
    assert any("In rare cases" in index.documents[index.position[d]].document.text[s:e] for d, s, e in shown)

    again = answer(index, "What about the rare ones?", [asked], encoder=encoder, shown=shown)

    assert again.found
    assert again.quotes[0].text.startswith("In rare cases, lamotrigine causes Stevens-Johnson syndrome")


def test_a_question_read_on_its_own_says_so(index, encoder):
    assert answer(index, "How much sunlight do tomatoes need?", ["What is lamotrigine?"],
                  encoder=encoder).read_with is None


SIDE_EFFECTS = "What are the side effects of lamotrigine?"


def test_a_follow_up_of_a_follow_up_is_read_with_the_question_that_named_the_subject(index):
    query = build_query("And the rare ones?", index, [SIDE_EFFECTS, "Are any of them serious?"])
    assert answering.earlier_questions(query, [SIDE_EFFECTS, "Are any of them serious?"], index) == (
        f"{SIDE_EFFECTS} Are any of them serious?")


def test_a_follow_up_is_read_only_as_far_back_as_the_last_question_of_its_own(index):
    history = ["How much sunlight do tomatoes need?", SIDE_EFFECTS, "Are any of them serious?"]
    query = build_query("And the rare ones?", index, history)
    assert answering.earlier_questions(query, history, index) == f"{SIDE_EFFECTS} Are any of them serious?"
    history = [SIDE_EFFECTS, "Are any of them serious?", "And the rare ones?", "How often?"]
    query = build_query("Why?", index, history)
    # At most three earlier questions, as the question's words carry no further back.
    assert answering.earlier_questions(query, history, index) == (
        "Are any of them serious? And the rare ones? How often?")


@pytest.mark.parametrize("reads", [False, True])
def test_a_chain_of_follow_ups_keeps_the_subject_named_first(index, encoder, reader, reads):
    # "Are any of them serious?" names nothing; read with it alone, "And the rare ones?" was declined.
    settings = AnswerSettings(reader=reader) if reads else AnswerSettings()
    result = answer(index, "And the rare ones?", [SIDE_EFFECTS, "Are any of them serious?"], encoder=encoder,
                    settings=settings)
    assert result.found
    assert "In rare cases, lamotrigine causes Stevens-Johnson syndrome" in result.quotes[0].text
    assert result.read_with == f"{SIDE_EFFECTS} Are any of them serious?"

KETTLE_FAQ = """# Kettle questions

## Can I put the lid in the dishwasher?

Yes, the lid is dishwasher safe on the top rack. The base and the cable must never go in the dishwasher or under
a running tap, since water in the base ruins the heating plate.

## How do I remove limescale?

Fill the kettle halfway with equal parts water and white vinegar, boil it, and leave it for an hour. Rinse it
twice with clean water before you boil water to drink.

## How do I descale the kettle?

See the section on limescale for descaling the kettle.

## Why does the kettle switch itself off?

It switches off when the water boils, and when it is switched on empty. Let it cool for ten minutes before you
fill it again.
"""


@pytest.fixture(scope="module")
def faq(encoder) -> Index:
    return Index.build(with_embeddings([analyse(parse_document("kettle", KETTLE_FAQ, "markdown"))], encoder))


def test_a_faq_question_is_answered_by_the_reply_that_opens_its_section(faq, encoder):
    # The later sentence shares more of the question's words ("go in the dishwasher"); the reply under the
    # matching question opens with the answer.
    assert first_quote(faq, encoder, "Can the lid go in the dishwasher?").startswith("Yes, the lid is dishwasher")


def test_a_sentence_that_points_to_another_section_is_not_quoted_as_the_answer(faq, encoder):
    assert first_quote(faq, encoder, "How do I descale the kettle?").startswith("Fill the kettle halfway")


def test_a_question_that_matches_a_heading_is_answered_from_under_it_never_by_the_heading(faq, encoder):
    quote = first_quote(faq, encoder, "How do I get rid of limescale?")
    assert quote.startswith("Fill the kettle halfway")


CLOCK_FAQ = """\
# Clock radio questions

## How do I reset the clock?

Hold both buttons on the back for five seconds. The clock display of the clock radio shows the reset clock time \
once the reset is done, and the clock keeps its alarm settings.

## How do I set the alarm?

Press the alarm button, then turn the dial to the time you want.
"""


def test_asking_a_faq_entry_s_own_question_quotes_its_own_reply(encoder):
    faq = Index.build(with_embeddings([analyse(parse_document("clock", CLOCK_FAQ, "markdown"))], encoder))
    # The second sentence repeats the question's words more; the entry's reply is the answer its author wrote.
    assert first_quote(faq, encoder, "How do I reset the clock?").startswith("Hold both buttons on the back")
    assert first_quote(faq, encoder, "how do i reset the clok").startswith("Hold both buttons")  # corrected
    # Words alone, the decline model finds no word of the question in the reply: the sentence that has them stays.
    assert answer(faq, "How do I reset the clock?").quotes[0].text.startswith("The clock display")


RELEASES_FAQ = """\
# Release questions

## 1. What is new in version 2?

A timer switches the radio off after an hour. The version adds a timer that the display shows.

## 2. What is new in version 3?

The display dims by itself at night. The new version keeps the timer of the old version.
"""


def ranked_for(index, encoder, question):
    query = build_query(question, index)
    meaning, _ = question_meaning(encoder, query, None, index)
    scores = index.passage_scores(query.terms)
    hits = index.search(query.terms, None, k=answering.CANDIDATE_PASSAGES, scores=scores)
    close = index.nearest(meaning, None, k=answering.CLOSE_SENTENCES)
    return query, rank(query, hits, index, None, MODELS["reading"], close, meaning, scores)[0]


@pytest.mark.parametrize(("question", "reply"), [
    ("What is new in version 3?", "The display dims by itself"),
    ("What's new in version 2?", "A timer switches the radio off"),
])
def test_a_number_the_question_asks_is_part_of_the_faq_entry_s_own_question(encoder, question, reply):
    # The entries' numbering ("1.", "2.") is no word of their questions, but the version asked about is.
    faq = Index.build(with_embeddings([analyse(parse_document("releases", RELEASES_FAQ, "markdown"))], encoder))
    query, ranked = ranked_for(faq, encoder, question)
    assert answering.own_question_reply(query, ranked).text.startswith(reply)


@pytest.mark.parametrize("numbering", ["(2) ", "2) ", "2. ", "II. "])
def test_a_faq_entry_s_own_question_is_read_without_its_numbering_however_it_is_written(encoder, numbering):
    page = (f"<h1>Clock radio questions</h1><p><b>(1) How do I set the alarm?</b></p><p>Press the alarm button.</p>"
            f"<p><b>{numbering}How do I reset the clock?</b></p><p>Hold both buttons on the back for five seconds.</p>"
            "<p>The clock display shows the reset clock time once the clock reset is done.</p>")
    faq = Index.build(with_embeddings([analyse(parse_document("clock", page, "html"))], encoder))
    query, ranked = ranked_for(faq, encoder, "How do I reset the clock?")
    assert answering.own_question_reply(query, ranked).text.startswith("Hold both buttons on the back")


SUBJECT_FAQ = """\
# Questions about the Lumo clock radio

## How do I reset the Lumo clock?

Hold both buttons on the back for five seconds. The clock display shows the reset clock time once the reset is \
done, and the clock keeps its alarm settings.

## How do I set the alarm?

Press the alarm button, then turn the dial to the time you want.
"""


@pytest.mark.parametrize("question", ["How do I reset the clock?", "How do I reset the Lumo clock radio?"])
def test_a_faq_entry_s_own_question_may_leave_out_or_add_what_the_page_is_about(encoder, question):
    # "Lumo" and "radio" name what the whole page is about (its title): a reader leaves them out or adds them.
    faq = Index.build(with_embeddings([analyse(parse_document("lumo", SUBJECT_FAQ, "markdown"))], encoder))
    query, ranked = ranked_for(faq, encoder, question)
    assert answering.own_question_reply(query, ranked).text.startswith("Hold both buttons on the back")


@pytest.mark.parametrize("question", ["How do I reset the alarm?", "What is the Lumo clock?"])
def test_a_question_that_differs_from_an_entry_s_in_more_than_the_page_s_subject_is_not_its_own(encoder, question):
    faq = Index.build(with_embeddings([analyse(parse_document("lumo", SUBJECT_FAQ, "markdown"))], encoder))
    query, ranked = ranked_for(faq, encoder, question)
    assert answering.own_question_reply(query, ranked) is None


def test_a_question_without_the_heading_s_number_is_not_the_entry_s_own(encoder):
    faq = Index.build(with_embeddings([analyse(parse_document("releases", RELEASES_FAQ, "markdown"))], encoder))
    query, ranked = ranked_for(faq, encoder, "What is new in this version?")
    assert answering.own_question_reply(query, ranked) is None


class RecordingReader:
    """A cross-encoder stand-in that notes what it is given to read."""

    def __init__(self):
        self.read: list[str] = []

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        self.read.extend(texts)
        return np.zeros(len(texts))


def test_the_reply_under_the_best_matching_faq_question_is_read_whatever_its_rank(faq, encoder):
    # A FAQ's reply answers in words of its own ("The preferred way to do this is…") and can rank below the few the
    # cross-encoder reads; its author wrote it for this question, so it is read with them.
    question = "How do I get rid of limescale?"
    query = build_query(question, faq)
    meaning, _ = question_meaning(encoder, query, None, faq)
    scores = faq.passage_scores(query.terms)
    hits = faq.search(query.terms, None, k=answering.CANDIDATE_PASSAGES, scores=scores)
    close = faq.nearest(meaning, None, k=answering.CLOSE_SENTENCES)
    ranked, _ = rank(query, hits, faq, None, MODELS["reading"], close, meaning, scores)
    assert next(c for c in ranked if c.is_heading).text == "How do I remove limescale?"
    reply = answering.best_heading_reply(ranked)
    assert reply.text.startswith("Fill the kettle halfway")

    reader = RecordingReader()
    ranked_last = [c for c in ranked if c is not reply] + [reply]
    one_read = replace(MODELS["reading"], reread=1).weigh(FEATURES, DECLINE_FEATURES)
    answering.reread(ranked_last, question, reader, one_read)
    assert len(reader.read) == 2
    assert reply.text in reader.read[1]


def test_the_question_is_also_read_without_the_words_the_corpus_never_uses(index):
    query = build_query("Does lamotrigine interact with warfarin?", index)
    assert without_unknown_words(query, index) == "Does lamotrigine with ?"


def test_a_misspelling_the_query_corrects_is_no_unknown_word(index):
    assert without_unknown_words(build_query("Does lamotrigene cause a rash?", index), index) is None


def unknown_away(index, encoder, question: str) -> float:
    """The decline feature `unknown_away` of the candidate the service would quote."""
    query = build_query(question, index)
    meaning, without_unknown = question_meaning(encoder, query, None, index)
    close = index.nearest(meaning, k=answering.CLOSE_SENTENCES)
    ranked, idf = rank(query, index.search(query.terms, None, k=answering.CANDIDATE_PASSAGES), index, None,
                       MODELS["meaning"], close, meaning)
    quoted = answering.quoted_first(answering.first_quoted(ranked), ranked)
    features = decline_features(query, quoted, index, idf, close[0][2], without_unknown)
    return float(features[DECLINE_FEATURES.index("unknown_away")])


@pytest.mark.parametrize("question", ["Does lamotrigine interact with warfarin?", "Is lamotrigine safe with alcohol?"])
def test_a_name_the_text_never_mentions_takes_the_question_away_from_the_quote(index, encoder, question):
    assert unknown_away(index, encoder, question) > 0.1


@pytest.mark.parametrize("question", ["Will it make me feel sick to my stomach?", "Is it dangerous for my unborn baby?",
                                      "What are the common side effects of lamotrigine?"])
def test_a_readers_own_words_or_the_texts_take_it_nowhere(index, encoder, question):
    assert unknown_away(index, encoder, question) == 0.0


@pytest.mark.parametrize(("absent", "named"), [
    ("Does lamotrigine interact with warfarin?", "Does lamotrigine interact with hormonal contraceptives?"),
    ("Is lamotrigine safe with alcohol?", "Is lamotrigine safe in pregnancy?"),
])
def test_a_question_about_something_the_leaflet_never_names_is_declined(index, encoder, absent, named):
    assert not answer(index, absent, encoder=encoder).found
    assert answer(index, named, encoder=encoder).found
