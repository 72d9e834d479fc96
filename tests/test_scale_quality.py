"""Answer quality at scale (bench/scale_quality.py): a question is right when the first quote holds a gold answer."""

from bench.scale_quality import is_right, measure
from qa_service.answering import answer
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index

HARBOUR = ("Brindlemoor harbour opened in 1873 with 42 berths.\n\nThe harbour master keeps the tide tables for Kessock "
           "Sound.\n\nThe lighthouse was painted red in 1921.")
GARDEN = "Tomatoes need sun.\n\nWater them in the evening.\n\nPinch out the side shoots in summer."


def corpus() -> Index:
    return Index.build([analyse(parse_document("harbour", HARBOUR)), analyse(parse_document("garden", GARDEN))])


def test_the_first_quote_is_right_when_it_holds_a_gold_answer_in_any_case():
    index = corpus()
    quotes = answer(index, "When did Brindlemoor harbour open?").quotes

    assert is_right(quotes, ["in 1921"]) is False
    assert is_right(quotes, ["OPENED IN 1873"]) is True
    assert is_right([], ["1873"]) is False


def test_measure_counts_right_and_answered_questions_as_shares_of_those_asked():
    index = corpus()
    questions = [{"question": "When did Brindlemoor harbour open?", "answers": ["1873"]},
                 {"question": "What colour was the lighthouse painted?", "answers": ["1873"]}]

    figures = measure(index, questions)

    assert (figures["questions"], figures["hit@1"], figures["answered"]) == (2, 50.0, 100.0)
