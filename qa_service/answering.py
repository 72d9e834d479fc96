"""Answering: from a question (and its history) to at most a few verbatim quotes, or a plain decline."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .index import K1, AnalysedDocument, B, Index, Passage
from .questions import Query, build_query

NOT_FOUND = "The source does not answer this question, so there is nothing to quote."
FOUND = "Quoted from the source, word for word."

CANDIDATE_PASSAGES = 12
PASSAGE_SHARE = 0.5  # how much a sentence's neighbourhood (its best passage) adds to its own score
KIND_BONUS = 0.1  # a sentence holding the kind of thing the question asks for (a number, a date, a name)
SENTENCE_K1, SENTENCE_B = 1.2, 0.0
MAX_QUOTES = 2
MAX_CHARS = 400
SECOND_QUOTE_SHARE = 0.8  # a second quote must score at least this share of the first
REDUNDANT_OVERLAP = 0.6  # two quotes sharing this share of their terms say the same thing


@dataclass(frozen=True)
class Quote:
    """One verbatim sentence (or two adjacent ones) with where it stands in its document."""

    text: str
    document: str
    title: str
    start: int
    end: int
    score: float
    passage: int
    context_start: int
    context_end: int


@dataclass
class Answer:
    found: bool
    quotes: list[Quote]
    message: str
    coverage: float
    query: Query
    notes: list[str] = field(default_factory=list)


@dataclass
class AnswerSettings:
    """The knobs of answer selection; `min_coverage` is the abstention threshold (see README, "Declining")."""

    min_coverage: float = 0.5
    max_quotes: int = MAX_QUOTES


_PERCENT = re.compile(r"\d\s*(?:%|percent\b|per cent\b)|\bpercent", re.I)
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                     r"fifty|hundred|thousand|million|billion|dozen|half|quarter|once|twice)\b", re.I)
_DATE = re.compile(r"\b(?:1\d{3}|20\d{2})s?\b|\b\d{1,2}(?:st|nd|rd|th)\b|\bcentur(?:y|ies)\b|\bdecades?\b|"
                   r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b|"
                   r"\b(?:BC|AD|BCE|CE)\b|\b(?:in|since|until|by|after|before|during) the \w+s\b")
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_CAPTION = re.compile(r"^\s*(?:fig(?:ure)?|table|supplementary|chart|scheme)\.?\s*\d", re.I)
_REFERENCE = re.compile(r"^\s*\[?\d+[\].]\s+[A-Z][a-z]+,?\s+[A-Z]|\bdoi\s*:|https?://|\bet al\.,?\s*\(?\d{4}", re.I)


def kind_matches(kind: str | None, text: str, question: str) -> bool:
    """Whether the sentence holds the kind of answer asked for, beyond what the question itself says."""
    if kind is None:
        return False
    if kind == "percent":
        return bool(_PERCENT.search(text))
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    names = {m.group(0) for m in _CAPITALISED.finditer(text)}
    asked = set(question.split())
    return any(all(part not in asked for part in name.split()) for name in names)


def form_factor(text: str, heading: bool) -> float:
    """Down-weights what is not a real sentence: headings, captions, references, fragments."""
    if heading:
        return 0.25
    if _CAPTION.match(text) or _REFERENCE.search(text):
        return 0.4
    if len(text.split()) < 4 or text[:1].islower():
        return 0.5
    return 1.0


_DEPENDENT_OPENER = re.compile(
    r"^[\"'“‘(]*(?:it|its|this|that|these|those|they|their|them|he|his|she|her|but|however|thus|therefore|hence|"
    r"such|both|also|in turn|as a result|consequently|instead|then|there|here|yet|so|which|the latter|the former)\b",
    re.I,
)


@dataclass
class _Candidate:
    doc: AnalysedDocument
    sentence: int
    passage: Passage
    passage_score: float
    own_score: float = 0.0
    score: float = 0.0


def scope_idf(query: Query, index: Index, documents: list[str] | None) -> dict[str, float]:
    """Sentence-level idf of the query's terms within the documents searched.

    A document's own subject ("Normans" in an article about them) is in most of its sentences: it tells the
    sentences of that document apart far less than the corpus-wide passage idf says.
    """
    if documents:
        docs = [index.documents[index.position[d]] for d in documents if d in index.position]
        n = sum(len(d.sentences) for d in docs)
        frequency = {t: sum(d.sentence_frequency.get(t, 0) for d in docs) for t in query.terms}
    else:
        n = index.sentence_count
        frequency = {t: index.sentence_frequency.get(t, 0) for t in query.terms}
    return {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}


def sentence_score(query: Query, terms: tuple[str, ...], idf: dict[str, float], average_terms: float) -> float:
    """The idf-weighted query terms a sentence holds, each counted once, with BM25's length normalisation.

    Counting a term once keeps a sentence that repeats the subject from outranking one that answers; the length
    normalisation keeps a long run-on sentence (a flattened table, a list of findings) from holding everything.
    """
    held = set(terms)
    matched = sum(weight * idf[t] for t, weight in query.terms.items() if t in held)
    return matched * (SENTENCE_K1 + 1) / (1 + SENTENCE_K1 * (1 - SENTENCE_B + SENTENCE_B * len(terms) / average_terms))


def coverage(query: Query, terms: set[str], index: Index, idf: dict[str, float]) -> float:
    """Share of the question's own weight (by idf) that a stretch of text holds, a name or its alias alike.

    Words the corpus never uses weigh like its rarest words: a question about something absent is not covered.
    """
    if not query.own:
        return 0.0
    total = held = 0.0
    for term, weight in query.own.items():
        value = weight * idf.get(term, 0.0)
        total += value
        if term in terms or any(all(a in terms for a in alias) for alias in index.aliases.get(term, ())):
            held += value
    return held / total if total else 0.0


def answer(index: Index, question: str, history: list[str] | None = None, documents: list[str] | None = None,
           settings: AnswerSettings | None = None) -> Answer:
    settings = settings or AnswerSettings()
    query = build_query(question, index, history)
    hits = index.search(query.terms, documents, k=CANDIDATE_PASSAGES)
    if not hits:
        return Answer(False, [], NOT_FOUND, 0.0, query)
    idf = scope_idf(query, index, documents)
    best_possible = sum(w * idf[t] for t, w in query.terms.items()) or 1.0
    top_passage = hits[0][1] or 1.0

    candidates: dict[tuple[int, int], _Candidate] = {}
    for passage, score in hits:
        doc = index.documents[passage.document]
        for i in range(passage.first, passage.last + 1):
            key = (passage.document, i)
            if key not in candidates or candidates[key].passage_score < score:
                candidates[key] = _Candidate(doc, i, passage, score)
    for c in candidates.values():
        text = c.doc.sentence_text(c.sentence)
        c.own_score = sentence_score(query, c.doc.sentence_terms[c.sentence], idf,
                                     index.average_sentence_terms) / best_possible
        bonus = KIND_BONUS if kind_matches(query.kind, text, question) else 0.0
        c.score = (c.own_score + PASSAGE_SHARE * c.passage_score / top_passage + bonus) * form_factor(
            text, c.doc.sentences[c.sentence].heading)
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.passage.id, c.sentence))
    best = ranked[0]
    if best.own_score <= 0:
        return Answer(False, [], NOT_FOUND, 0.0, query)

    held = coverage(query, _passage_terms(best), index, idf)
    if held < settings.min_coverage:
        return Answer(False, [], NOT_FOUND, held, query)

    spans = [_span(best)]
    for c in ranked[1:]:
        if len(spans) >= settings.max_quotes or c.score < SECOND_QUOTE_SHARE * best.score:
            break
        span = _span(c)
        if any(_overlaps(span, other) or _redundant(span, other) for other in spans):
            continue
        if sum(_length(x) for x in spans) + _length(span) > MAX_CHARS:
            continue
        spans.append(span)
    return Answer(True, [_quote(span) for span in spans], FOUND, held, query)


@dataclass(frozen=True)
class _Span:
    candidate: _Candidate
    first: int
    last: int


def _span(c: _Candidate) -> _Span:
    """The sentence, with the one before it when it opens by pointing back ("It", "This", "However")."""
    doc, i = c.doc, c.sentence
    if i > 0 and doc.sentences[i - 1].paragraph == doc.sentences[i].paragraph and _DEPENDENT_OPENER.match(
            doc.sentence_text(i)) and doc.sentences[i].end - doc.sentences[i - 1].start <= MAX_CHARS:
        return _Span(c, i - 1, i)
    return _Span(c, i, i)


def _passage_terms(c: _Candidate) -> set[str]:
    terms: set[str] = set()
    for i in range(c.passage.first, c.passage.last + 1):
        terms.update(c.doc.sentence_terms[i])
    return terms


def _length(span: _Span) -> int:
    sentences = span.candidate.doc.sentences
    return sentences[span.last].end - sentences[span.first].start


def _overlaps(a: _Span, b: _Span) -> bool:
    return a.candidate.doc is b.candidate.doc and a.first <= b.last and b.first <= a.last


def _span_terms(span: _Span) -> set[str]:
    terms: set[str] = set()
    for i in range(span.first, span.last + 1):
        terms.update(span.candidate.doc.sentence_terms[i])
    return terms


def _redundant(a: _Span, b: _Span) -> bool:
    ta, tb = _span_terms(a), _span_terms(b)
    if not ta or not tb:
        return False
    return len(ta & tb) / min(len(ta), len(tb)) >= REDUNDANT_OVERLAP


def _quote(span: _Span) -> Quote:
    c = span.candidate
    first, last = c.doc.sentences[span.first], c.doc.sentences[span.last]
    para = c.doc.paragraphs[first.paragraph]
    doc = c.doc.document
    return Quote(
        text=doc.text[first.start:last.end],
        document=doc.id,
        title=doc.title,
        start=first.start,
        end=last.end,
        score=round(c.score, 4),
        passage=c.passage.id,
        context_start=para.start,
        context_end=para.end,
    )
