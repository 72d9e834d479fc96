"""Chance closeness: the decline model reads each cosine against how close the searched documents come to questions
they have no reason to answer, so that the same closeness counts for more in a corpus that is close to nothing."""

from __future__ import annotations

import numpy as np
import pytest
from test_answering_meaning import build

from qa_service import answering
from qa_service.answering import answer
from qa_service.chance import UNRELATED_QUESTIONS, unrelated_vectors
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.questions import build_query
from qa_service.ranking import DECLINE_FEATURES, MODELS, decline_features, rank

ENZYMES = ("Enzyme Kinetics\n\nThe Michaelis constant is the substrate concentration at which the reaction rate is "
           "half of its maximum. Competitive inhibitors raise the apparent Michaelis constant without changing "
           "the maximum rate. Allosteric enzymes show sigmoidal kinetics rather than hyperbolic ones.")
HOUSEHOLD = ("Around the House\n\nBake the bread for forty minutes until the crust is golden. Plant the bulbs in "
             "autumn so that they flower in spring. Wash wool jumpers by hand in cool water. A flat bicycle tyre "
             "is mended with a patch and a little glue.")
COSINES = ("best_cosine", "quoted_cosine", "quoted_context_cosine", "quoted_heading_cosine")


def test_the_unrelated_questions_ship_as_questions_without_the_files_comments():
    assert len(UNRELATED_QUESTIONS) >= 20
    assert all(q.endswith("?") and not q.startswith("#") for q in UNRELATED_QUESTIONS)


def test_a_corpus_of_everyday_things_comes_closer_to_unrelated_questions_than_a_technical_one(encoder):
    unrelated = unrelated_vectors(encoder)
    household = build(encoder, household=HOUSEHOLD).chance_cosine(unrelated)
    enzymes = build(encoder, enzymes=ENZYMES).chance_cosine(unrelated)
    assert household > enzymes + 0.1


def test_the_chance_cosine_is_that_of_the_documents_searched(encoder):
    index = build(encoder, enzymes=ENZYMES, household=HOUSEHOLD)
    unrelated = unrelated_vectors(encoder)
    assert index.chance_cosine(unrelated, ["enzymes"]) < index.chance_cosine(unrelated, ["household"])
    assert index.chance_cosine(unrelated) == pytest.approx(index.chance_cosine(unrelated, ["enzymes", "household"]))


def test_the_chance_cosine_is_worked_out_once_per_set_of_documents(encoder, monkeypatch):
    index = build(encoder, enzymes=ENZYMES, household=HOUSEHOLD)
    unrelated = unrelated_vectors(encoder)
    searches = []
    nearest = index.nearest
    monkeypatch.setattr(index, "nearest", lambda *a, **k: searches.append(a) or nearest(*a, **k))
    for _ in range(3):
        index.chance_cosine(unrelated, ["enzymes"])
        index.chance_cosine(unrelated, ["enzymes", "household"])
    assert len(searches) == 2 * len(unrelated)


def test_an_index_without_vectors_comes_close_to_nothing(encoder):
    plain = Index.build([analyse(parse_document("enzymes", ENZYMES))])
    assert plain.chance_cosine(unrelated_vectors(encoder)) == 0.0


def test_the_decline_evidence_is_each_cosine_above_chance(encoder):
    index = build(encoder, enzymes=ENZYMES)
    question = "What happens to the Michaelis constant with a competitive inhibitor?"
    query = build_query(question, index)
    meaning = encoder.encode([question])[0]
    hits = index.search(query.terms, k=answering.CANDIDATE_PASSAGES)
    close = index.nearest(meaning)
    ranked, idf = rank(query, hits, index, None, MODELS["meaning"], close, meaning)

    plain = decline_features(query, ranked, index, idf, close[0][2])
    read_against_chance = decline_features(query, ranked, index, idf, close[0][2], 0.25)

    for name in COSINES:
        at = DECLINE_FEATURES.index(name)
        assert read_against_chance[at] == pytest.approx(plain[at] - 0.25)
    others = [i for i, name in enumerate(DECLINE_FEATURES) if name not in COSINES]
    assert np.array_equal(read_against_chance[others], plain[others])


def test_the_same_closeness_gives_less_confidence_where_everything_comes_close_by_chance(encoder, monkeypatch):
    index = build(encoder, enzymes=ENZYMES)
    question = "Why does an inhibitor that competes change the constant?"
    usual = answer(index, question, encoder=encoder).confidence
    monkeypatch.setattr(index, "chance_cosine", lambda unrelated, documents=None: 0.5)

    assert answer(index, question, encoder=encoder).confidence < usual
