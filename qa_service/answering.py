"""Answering: from a question (and its history) to at most a few verbatim quotes, or a plain decline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .index import K1, AnalysedDocument, B, Index, Passage
from .questions import Query, build_query

NOT_FOUND = "The source does not answer this question, so there is nothing to quote."
FOUND = "Quoted from the source, word for word."

CANDIDATE_PASSAGES = 12
PASSAGE_SHARE = 0.3  # how much a sentence's neighbourhood (its best passage) adds to its own score
KIND_BONUS = 0.2  # a sentence holding the kind of thing the question asks for (a number, a date, a name)
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
    if len(text.split()) < 4:
        return 0.5
    return 1.0


@dataclass
class _Candidate:
    doc: AnalysedDocument
    sentence: int
    passage: Passage
    passage_score: float
    own_score: float = 0.0
    score: float = 0.0


def sentence_score(query: Query, terms: tuple[str, ...], index: Index) -> float:
    """BM25 of one sentence against the query, normalised by the corpus's average sentence length."""
    if not terms:
        return 0.0
    counts: dict[str, int] = {}
    for t in terms:
        counts[t] = counts.get(t, 0) + 1
    norm = K1 * (1 - B + B * len(terms) / index.average_sentence_terms)
    total = 0.0
    for term, weight in query.terms.items():
        tf = counts.get(term)
        if tf:
            total += weight * index.idf[term] * tf * (K1 + 1) / (tf + norm)
    return total


def coverage(query: Query, terms: set[str], index: Index) -> float:
    """Share of the question's own weight (by idf) that a stretch of text holds; unknown words weigh the most."""
    if not query.own:
        return 0.0
    unseen = index.unseen_idf()
    total = held = 0.0
    for term, weight in query.own.items():
        idf = max(index.idf.get(term, unseen), 0.05 * unseen)
        total += weight * idf
        if term in terms:
            held += weight * idf
    return held / total if total else 0.0


def answer(index: Index, question: str, history: list[str] | None = None, documents: list[str] | None = None,
           settings: AnswerSettings | None = None) -> Answer:
    settings = settings or AnswerSettings()
    query = build_query(question, index, history)
    hits = index.search(query.terms, documents, k=CANDIDATE_PASSAGES)
    if not hits:
        return Answer(False, [], NOT_FOUND, 0.0, query)

    candidates: dict[tuple[int, int], _Candidate] = {}
    for passage, score in hits:
        doc = index.documents[passage.document]
        for i in range(passage.first, passage.last + 1):
            key = (passage.document, i)
            if key not in candidates or candidates[key].passage_score < score:
                candidates[key] = _Candidate(doc, i, passage, score)
    for c in candidates.values():
        text = c.doc.sentence_text(c.sentence)
        own = sentence_score(query, c.doc.sentence_terms[c.sentence], index)
        bonus = 1.0 + (KIND_BONUS if kind_matches(query.kind, text, question) else 0.0)
        c.own_score = own
        c.score = (own + PASSAGE_SHARE * c.passage_score) * bonus * form_factor(
            text, c.doc.sentences[c.sentence].heading)
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.passage.id, c.sentence))
    best = ranked[0]
    if best.own_score <= 0:
        return Answer(False, [], NOT_FOUND, 0.0, query)

    window = _passage_terms(best)
    held = coverage(query, window, index)
    if held < settings.min_coverage:
        return Answer(False, [], NOT_FOUND, held, query)

    chosen = [best]
    for c in ranked[1:]:
        if len(chosen) >= settings.max_quotes:
            break
        if c.score < SECOND_QUOTE_SHARE * best.score:
            break
        if any(_redundant(c, other) for other in chosen):
            continue
        if sum(_length(x) for x in chosen) + _length(c) > MAX_CHARS:
            continue
        chosen.append(c)
    quotes = [_quote(c) for c in chosen]
    return Answer(True, quotes, FOUND, held, query)


def _passage_terms(c: _Candidate) -> set[str]:
    terms: set[str] = set()
    for i in range(c.passage.first, c.passage.last + 1):
        terms.update(c.doc.sentence_terms[i])
    return terms


def _length(c: _Candidate) -> int:
    s = c.doc.sentences[c.sentence]
    return s.end - s.start


def _redundant(a: _Candidate, b: _Candidate) -> bool:
    ta, tb = set(a.doc.sentence_terms[a.sentence]), set(b.doc.sentence_terms[b.sentence])
    if not ta or not tb:
        return False
    return len(ta & tb) / min(len(ta), len(tb)) >= REDUNDANT_OVERLAP


def _quote(c: _Candidate) -> Quote:
    s = c.doc.sentences[c.sentence]
    para = c.doc.paragraphs[s.paragraph]
    doc = c.doc.document
    return Quote(
        text=doc.text[s.start:s.end],
        document=doc.id,
        title=doc.title,
        start=s.start,
        end=s.end,
        score=round(c.score, 4),
        passage=c.passage.id,
        context_start=para.start,
        context_end=para.end,
    )
