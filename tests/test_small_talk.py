"""Small talk: what a reader says to the service rather than asks of the source."""

from __future__ import annotations

import pytest

from qa_service import small_talk


@pytest.mark.parametrize(("text", "kind"), [
    ("hi", "greeting"),
    ("Hello there!", "greeting"),
    ("heyyy", "greeting"),
    ("Good morning to you all", "greeting"),
    ("Hi, how are you doing?", "greeting"),
    ("thank you so much!", "thanks"),
    ("Great, thanks", "thanks"),
    ("ok thanks bye", "thanks"),
    ("Bye!", "farewell"),
    ("see you later", "farewell"),
    ("OK", "acknowledgement"),
    ("got it", "acknowledgement"),
    ("Who are you?", "about_service"),
    ("Are you a bot?", "about_service"),
    ("what can you do", "about_service"),
])
def test_greetings_thanks_and_farewells_are_small_talk_of_their_kind(text, kind):
    assert small_talk.kind(text) == kind
    assert small_talk.REPLIES[kind]


@pytest.mark.parametrize("text", [
    "Hi, what is the usual dose?",  # a question after a greeting is a question
    "Is it OK to take with food?",
    "What is hello?",  # a package called hello
    "How does it work?",
    "evening",  # alone, a word to search for ("evening surgery hours")
    "Nice",  # a city
    "cool",  # a setting
    "thanks to what?",
    "",
    "👍",
])
def test_a_question_or_a_word_that_may_be_a_search_is_no_small_talk(text):
    assert small_talk.kind(text) is None


def test_every_kind_has_a_reply_of_its_own_that_quotes_nothing():
    assert set(small_talk.REPLIES) == set(small_talk.KINDS)
    assert len(set(small_talk.REPLIES.values())) == len(small_talk.KINDS)
