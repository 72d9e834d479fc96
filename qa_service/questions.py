"""Questions: a question (and the conversation before it) as weighted index terms and the kind of answer it wants."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from nltk.metrics.distance import edit_distance

from .analysis import QUESTION_WORDS, is_stop_word, stem, words
from .index import Index

HISTORY_WEIGHT = 0.6  # terms carried over from earlier questions count less than the question's own
ALIAS_WEIGHT = 0.8  # a name the corpus links to a question word ("levetiracetam" for "Keppra")
CORRECTION_WEIGHT = 0.8  # a misspelt word mapped to the corpus's own word

# Words that point back to something said before; a question leaning on them needs its history.
_ANAPHORA = frozenset("it its it's they them their theirs this that these those he him his she her hers there one "
                      "ones such same former latter".split())
_FOLLOW_UP_START = re.compile(r"^\s*(?:and|but|so|also|then|what about|how about|and what about|what of|"
                              r"what else|anything else|any other|more on|tell me more)\b", re.I)

ANSWER_KINDS = [
    ("percent", re.compile(r"\b(?:what|which)\s+(?:percentage|percent|proportion|fraction|share|rate)\b|"
                           r"\bhow\s+(?:many|much)\s+percent", re.I)),
    ("number", re.compile(r"\bhow\s+(?:many|much|long|old|far|big|large|high|tall|often|fast|heavy|deep)\b|"
                          r"\b(?:what|which)\s+(?:number|amount|size|dose|dosage|quantity|population|age|"
                          r"length|distance|speed|cost|price)\b", re.I)),
    ("date", re.compile(r"^\s*(?:when|since when|until when)\b|\b(?:what|which|in what)\s+(?:year|years|date|day|"
                        r"month|century|decade|period|era|time)\b|\bwhen\s+(?:did|was|were|is|does|do)\b", re.I)),
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
    unknown: list[str]
    kind: str | None
    corrections: dict[str, str] = field(default_factory=dict)
    from_history: bool = False

    def highlight_terms(self) -> list[str]:
        return sorted(self.terms)


def answer_kind(question: str) -> str | None:
    for kind, pattern in ANSWER_KINDS:
        if pattern.search(question):
            return kind
    return None


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if not is_stop_word(w) and w not in QUESTION_WORDS]


def is_follow_up(question: str, own_terms: list[str], index: Index) -> bool:
    """A question that leans on what was asked before: it points back, opens like a follow-up, or says too little."""
    lowered = words(question)
    if _FOLLOW_UP_START.search(question):
        return True
    if any(w in _ANAPHORA for w in lowered):
        return True
    known = [t for t in own_terms if t in index.idf]
    return len(known) <= 1


def correct(word: str, index: Index) -> str | None:
    """The corpus word this unknown word most likely misspells (one edit, or two for long words), or None."""
    if len(word) < 4 or not word.isalpha():
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
    table = spelling_table(index)
    found: set[str] = set()
    for variant in _deletions(word) | {word}:
        found.update(table.get(variant, ()))
    return found


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def spelling_table(index: Index) -> dict[str, list[str]]:
    """One-deletion variants of every corpus word, built on first need and kept with the index."""
    table = getattr(index, "_spelling_table", None)
    if table is None:
        table = defaultdict(list)
        for known in index.vocabulary:
            if len(known) >= 3:
                table[known].append(known)
                for variant in _deletions(known):
                    table[variant].append(known)
        index._spelling_table = table
    return table


def build_query(question: str, index: Index, history: list[str] | None = None) -> Query:
    own: dict[str, float] = {}
    unknown: list[str] = []
    corrections: dict[str, str] = {}
    for word in _content_words(question):
        term = stem(word)
        if term not in index.idf:
            fixed = correct(word, index)
            if fixed is not None:
                corrections[word] = fixed
                term = index.vocabulary[fixed]
                own[term] = max(own.get(term, 0.0), CORRECTION_WEIGHT)
                continue
            unknown.append(word)
        own[term] = own.get(term, 0.0) + 1.0
    terms = dict(own)
    from_history = False
    if history and is_follow_up(question, list(own), index):
        from_history = True
        for weight, earlier in zip(_history_weights(len(history)), reversed(history), strict=False):
            for word in _content_words(earlier):
                term = stem(word)
                if term not in index.idf:
                    fixed = correct(word, index)
                    if fixed is None:
                        continue
                    term = index.vocabulary[fixed]
                terms[term] = max(terms.get(term, 0.0), weight)
    for term, weight in list(terms.items()):
        for alias in index.aliases.get(term, ()):
            for alias_term in alias:
                if alias_term not in terms:
                    terms[alias_term] = weight * ALIAS_WEIGHT / len(alias)
    return Query(question, terms, own, unknown, answer_kind(question), corrections, from_history)


def _history_weights(n: int) -> list[float]:
    """The last earlier question counts most; older ones fade."""
    return [HISTORY_WEIGHT * (0.5 ** i) for i in range(min(n, 3))]
