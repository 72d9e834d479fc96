"""Any text, tried by Hypothesis: a document is indexed or refused with a reason, quotes stay verbatim slices,
and any question gets a well-formed reply."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_service import create_app
from qa_service.answering import answer
from qa_service.config import PROJECT_ROOT
from qa_service.document_analysis import analyse
from qa_service.documents import DocumentRejected, parse_document
from qa_service.index import Index
from qa_service.openapi import openapi_document

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

RIGHT_TO_LEFT = "אמר שלום. مرحبا بالعالم. "
BIDI_CONTROLS = "\u202e\u202d\u200f\u200e\u2066\u2069"
EMOJI = "\U0001f48a\U0001f9e0\U0001f468\u200d\U0001f469\u200d\U0001f467\ufe0f"

words = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12)
sentences = st.builds(lambda ws, end: " ".join(ws) + end, st.lists(words, min_size=1, max_size=15),
                      st.sampled_from([".", "!", "?", "。", "", "…"]))
prose = st.builds(lambda ps: "\n\n".join(" ".join(p) for p in ps),
                  st.lists(st.lists(sentences, min_size=1, max_size=6), min_size=1, max_size=6))
control_characters = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), max_size=200)
punctuation_only = st.text(alphabet=st.characters(categories=["P", "S"]), min_size=1, max_size=500)
long_lines = st.builds(lambda part, n: (part * (100_000 // len(part) + 1))[:n],
                       st.text(min_size=1, max_size=20), st.integers(min_value=20_000, max_value=100_000))
mixed = st.builds(lambda pieces: "".join(pieces), st.lists(st.one_of(
    sentences, st.just(RIGHT_TO_LEFT), st.just(BIDI_CONTROLS), st.just(EMOJI), st.just("\x00"),
    st.just("\n\n"), st.just("\r\n"), st.just("<p>&amp; &lt;b&gt; &#x1F48A;</p>"), st.just("# Heading\n"),
    control_characters, punctuation_only), max_size=30))
any_text = st.one_of(st.text(max_size=2000), prose, mixed, control_characters, punctuation_only, long_lines)
formats = st.sampled_from(["text", "markdown", "html"])


def assert_quotes_are_slices(result, document) -> None:
    for quote in result.quotes:
        assert quote.document == document.id
        assert document.text[quote.start:quote.end] == quote.text
        assert 0 <= quote.context_start <= quote.start <= quote.end <= quote.context_end <= len(document.text)


@FUZZ
@given(raw=any_text, fmt=formats, data=st.data())
def test_any_text_is_indexed_or_refused_and_its_quotes_are_verbatim(raw: str, fmt: str, data):
    try:
        document = parse_document("fuzzed", raw, fmt)
    except DocumentRejected as refusal:
        assert str(refusal).startswith("fuzzed: ")
        return
    assert document.text and document.title
    index = Index.build([analyse(document)])
    start = data.draw(st.integers(0, len(document.text)), label="question start")
    question = document.text[start:start + data.draw(st.integers(1, 200), label="question length")]

    result = answer(index, question)

    assert result.found == bool(result.quotes)
    assert_quotes_are_slices(result, document)


@FUZZ
@given(raw=st.binary(max_size=2000), fmt=formats)
def test_any_bytes_are_indexed_or_refused_with_a_reason(raw: bytes, fmt: str):
    try:
        document = parse_document("bytes", raw, fmt)
    except DocumentRejected as refusal:
        assert refusal.reason in {"encoding", "empty", "no_text"}
        return
    assert raw.decode("utf-8").strip()
    Index.build([analyse(document)])


@FUZZ
@given(raw=st.one_of(st.binary(max_size=2000), st.builds(lambda tail: b"%PDF-1.7\n" + tail, st.binary(max_size=2000)),
                     st.builds(lambda tail: b"PK\x03\x04" + tail, st.binary(max_size=2000))),
       fmt=st.sampled_from(["pdf", "docx"]))
def test_any_bytes_as_a_pdf_or_word_file_are_refused_with_a_reason_never_a_crash(raw: bytes, fmt: str):
    with pytest.raises(DocumentRejected) as refusal:
        parse_document("bytes", raw, fmt)

    assert refusal.value.reason in {"empty", "unreadable", "no_text_layer"}


SCHEMAS = openapi_document()["components"]["schemas"]


def validate(instance: dict, name: str) -> None:
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}})


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz") / "corpus"
    folder.mkdir()
    (folder / "keppra-article.txt").write_text((PROJECT_ROOT / "corpus" / "keppra-article.txt").read_text())
    return create_app({"QA_CORPUS": str(folder), "QA_RATE_LIMIT_ASK": "off"}).test_client()


questions = st.one_of(st.text(max_size=1200), sentences, mixed.map(lambda t: t[:1200]),
                      st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Co"]), max_size=100))
histories = st.one_of(st.none(), st.lists(st.fixed_dictionaries({"question": questions}), max_size=3))


def holds_a_lone_surrogate(text: str) -> bool:
    """Whether the text, as JSON carries it (a surrogate pair written as two escapes is one character on arrival),
    still holds half a pair."""
    return any(0xD800 <= ord(c) <= 0xDFFF for c in json.loads(json.dumps(text)))


@FUZZ
@given(question=questions, history=histories)
def test_any_question_gets_a_well_formed_reply(fuzz_client, question: str, history):
    response = fuzz_client.post("/api/ask", json={"question": question, "history": history})
    body = response.get_json()

    if response.status_code == 200:
        validate(body, "AskResponse")
        # The question as JSON carries it: a surrogate pair written as two escapes is one character on arrival.
        assert body["question"] == json.loads(json.dumps(question))
    elif body["error"]["code"] == "malformed_json":
        # A surrogate left without its pair is no character: it could not be stored, so it is refused.
        assert any(holds_a_lone_surrogate(text) for text in [question, *(t["question"] for t in history or [])])
    else:
        assert response.status_code in {400, 413}
        validate(body, "Error")
        assert not question.strip() or len(question) > 1000 or any(len(t["question"]) > 1000 for t in history or [])
