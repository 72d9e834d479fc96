"""What a reader says to the service rather than asks of the source: "Hi", "Thanks!", "OK", "Bye", "Who are you?".

Searched as a question, such words find whatever shares them: on the Debian FAQ "hi" quoted a package's control file
and "thank you" the authors' acknowledgements. They get a reply of the service's own instead (a fixed sentence,
never a quote), are not recorded as questions the documents could not answer, and are no earlier question for a
follow-up. A text is small talk only when every word of it is one of these: "Hi, what is the dose?" is a question.
"""

from __future__ import annotations

import re

# Each kind with the words that make a text that kind, most telling first: "OK, thanks, bye" thanks.
_KIND_WORDS = (
    ("thanks", "thanks thank thankyou thx tnx cheers appreciated appreciate"),
    ("farewell", "bye goodbye byebye cya farewell goodnight seeyou"),
    ("greeting", "hi hello hey hiya heya howdy hallo greetings goodmorning goodafternoon goodevening goodday "
                 "howareyou"),
    ("acknowledgement", "ok okay k kk alright understood noted gotit"),
)
KINDS = tuple(kind for kind, _ in _KIND_WORDS) + ("about_service",)
_KIND_OF = {word: kind for kind, words in _KIND_WORDS for word in words.split()}
# Words that go with those without asking anything ("thank you so much", "hi there", "got it", "see you later",
# "how are you", "great, thanks"), but on their own may be a search: "Nice" is a city, "cool" a setting.
_FILLERS = frozenset("you u ya so much very a lot lots all again for the your that this it there everyone folks guys "
                     "mate bot good and oh ah well got see later soon night how are doing to meet too as always "
                     "really indeed i am me fine then now great cool nice perfect awesome excellent brilliant lovely "
                     "wonderful fantastic super".split())
# Phrases that are one word of a kind above, though their words alone are none ("evening" alone is a search).
_PHRASES = re.compile(r"\b(?:good (?:morning|afternoon|evening|day|night)|see you|how are you|got it)\b")
# Questions about the service itself, whole: it says what it does.
_ABOUT_SERVICE = re.compile(
    r"(?:who|what) are you|what (?:can|do) you do|how do you work|what is this (?:service|chat|bot|tool)|"
    r"are you (?:a |an )?(?:bot|robot|human|person|real person|ai|chatbot|computer|machine)")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_DRAWN_OUT = re.compile(r"(\w)\1+$")  # "hiii", "thanksss", "byeee"

REPLIES = {
    "greeting": "Hello. Ask a question, and the answer will be sentences quoted word for word from the source.",
    "thanks": "You're welcome. Ask another question whenever you like.",
    "farewell": "Goodbye.",
    "acknowledgement": "Ask another question whenever you like.",
    "about_service": "This service answers questions with sentences quoted word for word from its documents, each "
                     "with where it stands, and says so when they do not answer.",
}


def kind(text: str) -> str | None:
    """The kind of small talk this text is (one of KINDS), or None for a question to answer from the source."""
    lowered = " ".join(text.lower().split())
    words = [_word(w) for w in _WORD.findall(_PHRASES.sub(lambda m: m[0].replace(" ", ""), lowered))]
    if not words:
        return None
    if _ABOUT_SERVICE.fullmatch(" ".join(words)):
        return "about_service"
    if not all(w in _KIND_OF or w in _FILLERS for w in words):
        return None
    kinds = {_KIND_OF[w] for w in words if w in _KIND_OF}
    return next((k for k in KINDS if k in kinds), None)


def _word(word: str) -> str:
    word = word.replace("’", "'").replace("'", "")
    return word if word in _KIND_OF or word in _FILLERS else _DRAWN_OUT.sub(r"\1", word)
