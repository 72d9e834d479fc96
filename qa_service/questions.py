"""Questions: a question (and the conversation before it) as weighted index terms and the kind of answer it wants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nltk.metrics.distance import edit_distance

from .analysis import (
    NOT_A_NAME,
    QUESTION_WORDS,
    VARIANT_MAX_ENDING,
    VARIANT_MIN_LENGTH,
    is_stop_word,
    stem,
    terms,
    words,
)
from .document_analysis import subsequence
from .index import Index
from .lexicon import is_english_word
from .spelling import deletions

HISTORY_WEIGHT = 0.6  # terms carried over from earlier questions count less than the question's own
HISTORY_TURNS = 3  # how many earlier questions a follow-up leans on, the last first
PREDICATE_SHARE = 0.5  # of that, for the words of an earlier question that are not its subject
ALIAS_WEIGHT = 0.8  # a name the corpus links to a question word ("levetiracetam" for "Keppra")
CORRECTION_WEIGHT = 0.8  # a misspelt word mapped to the corpus's own word
FOCUS_WEIGHT = 0.5  # the word naming the kind of thing asked for

# Words that point back to something said before; a question leaning on them needs its history.
_ANAPHORA = frozenset("it its it's they them their theirs this that these those he him his she her hers there one "
                      "ones such same former latter".split())
_NAMES = re.compile(rf"(?<!^)(?<![.?!]\s)\b{NOT_A_NAME}[A-Z][\w'’-]*")
_FOLLOW_UP_START = re.compile(r"^\s*(?:and|but|so|also|then|what about|how about|and what about|what of|"
                              r"what else|anything else|any other|more on|tell me more)\b", re.I)

# The words, besides function words, of a follow-up that only asks for more ("What happens next?", "Go on").
_GOING_ON_WORDS = frozenset("more next go goes going gone went continue continues continued after afterwards later "
                            "further else come comes coming came happen happens happened say says said following "
                            "rest".split())
# Words by which a question asks for something besides what was said ("What else?", "Any other side effects?").
_MORE = re.compile(r"\b(?:else|more|other|others|another|besides|further|additional)\b", re.I)
# Question words that ask for something in particular: a reason, a way, a time, a place, a person, a choice.
_PARTICULAR = re.compile(r"\b(?:why|how|when|where|who|whom|whose|which)\b", re.I)

ANSWER_KINDS = [
    ("percent", re.compile(r"\b(?:what|which)\s+(?:percentage|percent|proportion|fraction|share|rate)\b|"
                           r"\bhow\s+(?:many|much)\s+percent", re.I)),
    ("number", re.compile(r"\bhow\s+(?:many|much|long|old|far|big|large|high|tall|often|fast|heavy|deep)\b|"
                          r"\b(?:what|which)\s+(?:number|amount|size|dose|dosage|quantity|population|age|"
                          r"length|distance|speed|cost|price)\b", re.I)),
    # "When did it happen?" asks for a date; "When is it used?" asks for a condition, so it is left without a kind.
    ("date", re.compile(r"\b(?:since|until)\s+when\b|\bwhen\s+(?:did|was|were|had|will)\b|"
                        r"\b(?:what|which|in what)\s+(?:year|years|date|day|month|century|decade|period|era)\b", re.I)),
    ("condition", re.compile(r"\bwhen\s+(?:is|are|do|does|should|can|could|would|may|might|must)\b", re.I)),
    ("person", re.compile(r"\b(?:who|whom|whose)\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\b(?:what|which)\s+(?:country|city|place|region|state|area|town|location|"
                         r"continent|island|river)\b", re.I)),
]


@dataclass
class Query:
    """Weighted index terms for retrieval; `own` holds the terms of the question itself, for deciding to answer."""

    text: str
    terms: dict[str, float]
    own: dict[str, float]
    kind: str | None
    sequence: list[str] = field(default_factory=list)  # the question's own terms in order, for phrase matches
    words: list[str] = field(default_factory=list)  # the question's content words, unstemmed
    corrections: dict[str, str] = field(default_factory=dict)
    from_history: bool = False
    expanded: set[str] = field(default_factory=set)  # terms added only as another name for a question term

    @property
    def matching(self) -> dict[str, float]:
        """The terms a sentence is judged by: aliases find passages but do not count twice for one name."""
        return {t: w for t, w in self.terms.items() if t not in self.expanded}


_FOCUS = re.compile(r"\b(?:what|which|whose|how many|how much)\s+(?:\w+\s+)??(\w+)\s+(?:is|are|was|were|did|do|does|"
                    r"has|have|had|can|could|would|will|should|of|in|on|for|from|by|to|that|who|which)\b", re.I)


def answer_focus(question: str) -> str | None:
    """The word naming what is asked for ("country" in "What country did they invade?"): the answer names an
    instance of it, so a sentence need not repeat it."""
    match = _FOCUS.search(question)
    return match.group(1).lower() if match else None


_WH_WORD = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)


def answer_kind(question: str) -> str | None:
    """The kind of answer the question's own wh-word asks for. A wh-word after it opens a relative clause ("Why
    would someone who has epilepsy...") and says nothing of the answer."""
    asking = _WH_WORD.search(question)
    for kind, pattern in ANSWER_KINDS:
        for match in pattern.finditer(question):
            if asking is None or match.start() <= asking.start():
                return kind
    return None


_ABBREVIATION = re.compile(r"\(\s*([A-Z][\w-]*)\s*\)")


def spelt_out_names(question: str) -> list[tuple[str, str]]:
    """The "long form (ABBR)" pairs of a question: the shortest run of up to six words before the brackets that
    opens with the abbreviation's first letter and holds all its letters in order ("human adenovirus type 55
    (HAdV-55)")."""
    found = []
    for match in _ABBREVIATION.finditer(question):
        abbreviation = match.group(1)
        letters = re.sub(r"[^a-z]", "", abbreviation.lower())
        if len(letters) < 2:
            continue
        before = re.findall(r"[\w'-]+", question[:match.start()])
        for n in range(1, min(6, len(before)) + 1):
            run = before[-n:]
            if run[0][:1].lower() == letters[0] and subsequence(letters, "".join(run).lower()):
                found.append((" ".join(run), abbreviation))
                break
    return found


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if not is_stop_word(w) and w not in QUESTION_WORDS]


def asks_for_more(question: str) -> bool:
    """Whether the question asks for something besides what the reader was shown ("What else?")."""
    return _MORE.search(question) is not None


def is_follow_up(question: str, own_terms: list[str], index: Index) -> bool:
    """A question that leans on what was asked before: it points back, opens like a follow-up, or says too little."""
    lowered = words(question)
    if _FOLLOW_UP_START.search(question):
        return True
    if any(w in _ANAPHORA for w in lowered):
        return True
    known = [t for t in own_terms if t in index.idf]
    return len(known) <= 1


def asks_to_go_on(query: Query) -> bool:
    """A follow-up that asks the text to go on from what was just quoted ("Then what?", "What comes next?", "Tell me
    more"): besides function words it says nothing but words of going on, it says at least one or opens as a
    follow-up does ("And then?"; "Really?" does neither), and it asks for nothing in particular ("Why?" after an
    answer is not answered by whatever the text says next)."""
    return (query.from_history and all(w.lower() in _GOING_ON_WORDS for w in query.words)
            and (bool(query.words) or _FOLLOW_UP_START.search(query.text) is not None)
            and not _PARTICULAR.search(query.text))


# A question about what a document is about as a whole, and the only other words such a question uses.
_ABOUT_CUE = re.compile(r"(?<!\bwhat )(?<!\bhow )\babout\b|\bsumm?ar(?:y|i[sz]e)\b|\boverview\b|\bgist\b|"
                        r"\btl;?dr\b|\bmain (?:point|idea|topic)s?\b|\bsum (?:it |this |that )?up\b", re.I)
_ABOUT_WORDS = frozenset("article document doc page text leaflet source post faq guide file report paper study "
                         "chapter book manual booklet brochure handbook policy essay blog website summary summarise "
                         "summarize summarised summarized overview gist topic tl dr tldr main point points idea ideas "
                         "subject give tell sum short brief briefly quick quickly please cover covers general mainly "
                         "mostly basically key".split())


def asks_what_it_is_about(question: str) -> bool:
    """A question about what the document is about as a whole ("What is this article about?", "Summarise this",
    "tl;dr"): it asks so, and names nothing else ("What is the article about side effects?" asks about side effects;
    "What about it?" is a follow-up)."""
    return (_ABOUT_CUE.search(question) is not None
            and all(w.lower() in _ABOUT_WORDS for w in _content_words(question)))


def shorter_variant(term: str, index: Index) -> str | None:
    """The longest corpus stem that this unknown stem extends by a short ending ("children" for a corpus that only
    says "child"), or None: the same word to the reader, which Snowball left apart."""
    if not term.isalpha():
        return None
    for length in range(len(term) - 1, max(VARIANT_MIN_LENGTH, len(term) - VARIANT_MAX_ENDING) - 1, -1):
        if term[:length] in index.idf:
            return term[:length]
    return None


def correct(word: str, index: Index) -> str | None:
    """The corpus word this unknown word most likely misspells (one edit, or two for long words), or None; an
    English word is never a misspelling, whatever corpus word it resembles."""
    if len(word) < 4 or not word.isalpha() or is_english_word(word):
        return None
    limit = 1 if len(word) < 8 else 2
    best: tuple[int, int, str] | None = None
    for known in _neighbours(word, index):
        if abs(len(known) - len(word)) > limit:
            continue
        distance = edit_distance(word, known, transpositions=True)
        if distance <= limit:
            frequency = index.document_frequency.get(index.vocabulary[known], 0)
            candidate = (distance, -frequency, known)
            if best is None or candidate < best:
                best = candidate
    return best[2] if best else None


def _neighbours(word: str, index: Index) -> set[str]:
    """Corpus words sharing a one-deletion variant with the word (the symmetric-delete way to find near misses)."""
    found: set[str] = set()
    for variant in deletions(word) | {word}:
        found.update(index.spelling.get(variant, ()))
    return found


def build_query(question: str, index: Index, history: list[str] | None = None) -> Query:
    own: dict[str, float] = {}
    corrections: dict[str, str] = {}
    sequence: list[str] = []
    content = _content_words(question)
    focus = answer_focus(question)
    for word in content:
        term = stem(word)
        if term not in index.idf:
            term = shorter_variant(term, index) or term
        if term not in index.idf:
            fixed = correct(word, index)
            if fixed is not None:
                corrections[word] = fixed
                term = index.vocabulary[fixed]
                own[term] = max(own.get(term, 0.0), CORRECTION_WEIGHT)
                sequence.append(term)
                continue
        own[term] = FOCUS_WEIGHT if word == focus else 1.0
        sequence.append(term)
    query_terms = dict(own)
    from_history = False
    if history and is_follow_up(question, list(own), index):
        from_history = True
        for weight, earlier in zip(_history_weights(len(history)), reversed(history), strict=False):
            earlier_words = _content_words(earlier)
            names = {w.lower() for w in _NAMES.findall(earlier)}
            for word in earlier_words:
                term = stem(word)
                if term not in index.idf:
                    fixed = correct(word, index)
                    if fixed is None:
                        continue
                    term = index.vocabulary[fixed]
                # What the conversation is about (a name, or the one thing asked about) carries over in full; the
                # rest of an earlier question (what was asked of it) counts for less, so the new question leads.
                carried = weight if word in names or len(earlier_words) == 1 else weight * PREDICATE_SHARE
                query_terms[term] = max(query_terms.get(term, 0.0), carried)
    # A name spelt out beside its abbreviation is one thing asked about, not one per word: its words share a weight.
    for long_form, abbreviation in spelt_out_names(question):
        short = set(terms(abbreviation))
        spelt = [t for t in terms(long_form) if t not in short]
        for term in spelt:
            for weights in (query_terms, own):
                if term in weights:
                    weights[term] /= len(spelt)
    expanded: set[str] = set()
    asked = set(query_terms)
    for term, weight in list(query_terms.items()):
        for alias in index.aliases_of(term, asked):
            for alias_term in alias:
                if alias_term not in query_terms:
                    query_terms[alias_term] = weight * ALIAS_WEIGHT / len(alias)
                    expanded.add(alias_term)
    return Query(question, query_terms, own, answer_kind(question), sequence, content, corrections,
                 from_history, expanded)


def _history_weights(n: int) -> list[float]:
    """The last earlier question counts most; older ones fade."""
    return [HISTORY_WEIGHT * (0.5 ** i) for i in range(min(n, HISTORY_TURNS))]
