"""A question asked again is not embedded again: its vectors are remembered, exactly as the model gave them."""

from __future__ import annotations

import numpy as np
import pytest

from qa_service import create_app, state
from qa_service.question_vectors import QuestionVectors


class CountingEncoder:
    """An encoder that counts the texts it embeds; each text's vector is made from its length."""

    identity = "counting-model"

    def __init__(self):
        self.embedded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        rows = np.array([[len(t), 1.0] for t in texts], np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_question_asked_again_gets_the_same_vectors_without_embedding_it_again():
    encoder = CountingEncoder()
    questions = QuestionVectors(encoder, 10)
    first = questions.encode(["Does it make you tired?", "Does it make you ?"])
    again = questions.encode(["Does it make you tired?", "Does it make you ?"])
    assert np.array_equal(first, again)
    assert encoder.embedded == ["Does it make you tired?", "Does it make you ?"]
    assert questions.identity == "counting-model"


def test_the_texts_asked_together_are_the_key_not_each_text_alone():
    encoder = CountingEncoder()
    questions = QuestionVectors(encoder, 10)
    questions.encode(["And how fast?", "How is the dose raised?"])
    questions.encode(["And how fast?", "What are the side effects?"])
    assert len(encoder.embedded) == 4


def test_the_question_asked_least_recently_is_forgotten_first():
    encoder = CountingEncoder()
    questions = QuestionVectors(encoder, 2)
    for text in ("first?", "second?", "first?", "third?"):
        questions.encode([text])
    assert len(questions) == 2
    questions.encode(["first?"])
    questions.encode(["second?"])
    assert encoder.embedded == ["first?", "second?", "third?", "second?"]


def test_size_zero_remembers_nothing():
    encoder = CountingEncoder()
    questions = QuestionVectors(encoder, 0)
    questions.encode(["first?"])
    questions.encode(["first?"])
    assert encoder.embedded == ["first?", "first?"] and len(questions) == 0


def test_changing_the_vectors_given_does_not_change_what_is_remembered():
    questions = QuestionVectors(CountingEncoder(), 10)
    given = questions.encode(["first?"])
    remembered = given.copy()
    given *= 0
    assert np.array_equal(questions.encode(["first?"]), remembered)


@pytest.fixture
def counted(app):
    """The app's question vectors, with their model's runs counted (the real model still embeds)."""
    questions = state.question_vectors(app)
    model = questions.encoder
    runs: list[list[str]] = []

    class Counted:
        identity = model.identity

        def encode(self, texts):
            runs.append(list(texts))
            return model.encode(texts)

    questions.encoder = Counted()
    return runs


def test_the_api_embeds_a_question_asked_twice_once_and_answers_it_the_same(ask, counted):
    first = ask("Can Keppra make you feel tired?")
    again = ask("Can Keppra make you feel tired?")
    assert len(counted) == 1
    assert {k: first[k] for k in ("found", "quotes", "confidence")} == \
        {k: again[k] for k in ("found", "quotes", "confidence")}


def test_with_no_questions_remembered_each_asking_embeds_it(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_QUESTION_VECTORS": 0})
    client = app.test_client()
    questions = state.question_vectors(app)
    for _ in range(2):
        assert client.post("/api/ask", json={"question": "Can Keppra make you feel tired?"}).status_code == 200
    assert len(questions) == 0


def test_with_the_semantic_stage_off_no_question_is_embedded(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_SEMANTIC": "off"})
    assert state.question_vectors(app) is None
    assert app.test_client().post("/api/ask", json={"question": "Can Keppra make you feel tired?"}).status_code == 200
