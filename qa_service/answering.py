"""Answering: from a question (and its history) to at most a few verbatim quotes, or a plain decline."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import small_talk
from .analysis import term_spans, terms
from .blocks import unnumbered
from .document_analysis import AnalysedDocument
from .index import Index
from .meaning import Encoder
from .model import RankingModel
from .questions import (
    HISTORY_TURNS,
    Query,
    asks_for_more,
    asks_to_go_on,
    asks_what_it_is_about,
    build_query,
    is_follow_up,
)
from .ranking import (
    FAQ_REPLY,
    MODELS,
    PAIR_CHARS,
    READING,
    Candidate,
    answer_probability,
    decline_features,
    introduced,
    introduces,
    leaned_on,
    neighbours,
    rank,
    table_head,
    table_of,
)
from .reading import Reader
from .sentences import is_cited_section

NOT_FOUND = "The source does not answer this question, so there is nothing to quote."
FOUND = "Quoted from the source, word for word."
NO_MORE = "The source says no more on this after the last quote."
OPENING = "The document's opening, quoted word for word."
SUMMARY = "The document's own summary, quoted word for word."
_SUMMARY_HEADING = re.compile(r"(?:summary|abstract|overview|key points|in short|in brief|at a glance|tl;?dr)[.:]?",
                              re.I)

CANDIDATE_PASSAGES = 12
CLOSE_SENTENCES = 10  # the sentences closest in meaning join the candidates, whatever words they share
EARLIER_MEANING = 0.5  # a follow-up's meaning: its own vector plus this much of the question before it
MAX_QUOTES = 2
MAX_CHARS = 400  # what one answer may ask a reader to read, over all its quotes
SECOND_QUOTE_MARGIN = 1.0  # a second quote must score within this of the first (in ranking-score units)
UNSEEN_TRIED = 3  # candidates judged in turn when the best one was already shown to the reader
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
    # Where the quote stands: the headings above its first sentence, top level first (the title left out), and
    # the page it starts on in a paged document (PDF), else None.
    section: tuple[str, ...] = ()
    page: int | None = None


@dataclass
class Answer:
    found: bool
    quotes: list[Quote]
    message: str
    confidence: float
    query: Query
    read_with: str | None = None  # the earlier questions a follow-up was read with (`earlier_questions`)
    small_talk: str | None = None  # the kind of small talk ("greeting", "thanks"...) the reply answers, if it was


@dataclass
class AnswerSettings:
    """The knobs of answer selection; `min_confidence` is the decline threshold (see README, "Declining"), None
    for the threshold the ranking model was fitted for."""

    min_confidence: float | None = None
    max_quotes: int = MAX_QUOTES
    models: Mapping[str, RankingModel] = field(default_factory=lambda: MODELS)
    # The cross-encoder that reads the best candidates with the question (None: answers rest on words and meaning).
    reader: Reader | None = None

    @property
    def reads(self) -> bool:
        """Whether a cross-encoder reads the best candidates: one is there, and a model was fitted for it."""
        return self.reader is not None and "reading" in self.models


def answer(index: Index, question: str, history: list[str] | None = None, documents: list[str] | None = None,
           settings: AnswerSettings | None = None, encoder: Encoder | None = None,
           shown: Collection[tuple[str, int, int]] = (), last_shown: Sequence[tuple[str, int, int]] = ()) -> Answer:
    """The answer from the index: with `encoder`, and an index whose sentences that model embedded, meaning counts
    beside words; otherwise words alone. `shown` holds the quotes the reader has seen in this conversation
    (document id, start, end): a follow-up's answer does not repeat one while another sentence answers nearly as
    well. A follow-up that only asks for more ("Then what?") is answered by what the text says next, after the
    quotes of the last reply (`last_shown`, in the reply's order) when they are given."""
    return _answer_with_spans(index, question, history, documents, settings or AnswerSettings(), encoder, shown,
                              last_shown)[0]


def _answer_with_spans(index: Index, question: str, history: list[str] | None, documents: list[str] | None,
                       settings: AnswerSettings, encoder: Encoder | None,
                       shown: Collection[tuple[str, int, int]] = (),
                       last_shown: Sequence[tuple[str, int, int]] = ()) -> tuple[Answer, list[_Span]]:
    talk = small_talk.kind(question)
    if talk is not None:
        # Nothing to search: its words would find whatever shares them, and correcting them would say so.
        return Answer(False, [], small_talk.REPLIES[talk], 0.0, Query(question, {}, {}, None), small_talk=talk), []
    query = build_query(question, index, history)
    if asks_what_it_is_about(question):
        opening = _opening(index, query, documents, last_shown)
        if opening is not None:
            return opening
    if history and asks_to_go_on(query):
        return _going_on(index, query, history, documents, settings, encoder, last_shown)
    return _answered(index, query, history, documents, settings, encoder, shown)


def _going_on(index: Index, query: Query, history: list[str], documents: list[str] | None,
              settings: AnswerSettings, encoder: Encoder | None,
              last_shown: Sequence[tuple[str, int, int]]) -> tuple[Answer, list[_Span]]:
    """What the text says next, after the last reply's first quote: the sentence that follows it in its section,
    with the one after that when it points back. The quotes are the ones the reader was shown (`last_shown`) when
    they are given and still stand where they stood; else the earlier answer's, worked out again from the earlier
    question and its own history, so "Then what?" asked twice goes on twice. Either way the earlier answer gives
    this one its confidence, and it is read with the question the text goes on from (the first of the chain), not
    with an earlier "Then what?"."""
    earlier, spans = _answer_with_spans(index, history[-1], history[:-1], documents, settings, encoder)
    about = earlier.read_with if asks_to_go_on(earlier.query) else history[-1]
    quoted = [place for place in (_located(index, *quote) for quote in last_shown) if place is not None]
    if not quoted and earlier.found:
        quoted = [(s.candidate.passage.document, s.first, s.last) for s in spans]
    if not quoted:
        return Answer(False, [], earlier.message, 0.0, query, about), []
    position, _, last = quoted[0]
    doc = index.documents[position]
    first = last + 1
    for other_position, other_first, other_last in quoted[1:]:
        if other_position == position and other_first == first:  # the second quote already went on
            first = other_last + 1
    if first >= len(doc.sentences) or not _same_part(doc, last, first) or doc.traits(first).heading:
        return Answer(False, [], NO_MORE, 0.0, query, about), []
    going_on = _quoted_from(index, position, first)
    return Answer(True, [_quote(going_on)], FOUND, earlier.confidence, query, about), [going_on]


def _quoted_from(index: Index, position: int, first: int) -> _Span:
    """A quote that starts at this sentence of the document at `position`, whatever a question would rank: with the
    next sentence when that joins it, and with what it introduces."""
    doc = index.documents[position]
    end = first + 1 if _next_joins(doc, first) else first
    return _completed(_Span(Candidate(doc, first, index.passage_around(position, first), 0.0, 0), first, end),
                      MAX_CHARS)


def _opening(index: Index, query: Query, documents: list[str] | None,
             last_shown: Sequence[tuple[str, int, int]]) -> tuple[Answer, list[_Span]] | None:
    """What a document says first, for a question about what it is about ("What is this article about?"): the first
    real sentence under a heading such as "Summary" or "Abstract", else its first real sentence (with the next when
    that points back or is what a colon introduces). The document is the one the question is limited to, the
    corpus's only one, or else the one the conversation last quoted; None when it could be any of several, and the
    question is answered as any other."""
    chosen = set(documents) if documents else set(index.position)
    if len(chosen) != 1:
        chosen = {document for document, _, _ in last_shown[:1] if document in index.position}
    if len(chosen) != 1:
        return None
    position = index.position[chosen.pop()]
    doc = index.documents[position]
    # A section that says so ("Summary", "Abstract", "Key points") says it better than the opening does.
    summary = next((s.heading for s in doc.sections if _SUMMARY_HEADING.fullmatch(unnumbered(s.path[-1]))), None)
    first = None if summary is None else _first_real_sentence(doc, summary)
    message = SUMMARY
    if first is None:
        first, message = _first_real_sentence(doc), OPENING
    if first is None:
        return None
    opening = _quoted_from(index, position, first)
    # Nothing was judged: a document's opening is what it says it is about, so the confidence is full.
    return Answer(True, [_quote(opening)], message, 1.0, query), [opening]


def _first_real_sentence(doc: AnalysedDocument, heading: int = -1) -> int | None:
    """The first sentence that is no heading, fragment or apparatus: under this heading, or in the whole document
    (-1)."""
    for i in range(heading + 1, len(doc.sentences)):
        if heading >= 0 and doc.section_headings[i] != heading:
            return None
        traits = doc.traits(i)
        if not (traits.heading or traits.fragment or traits.apparatus):
            return i
    return None


def _located(index: Index, document: str, start: int, end: int) -> tuple[int, int, int] | None:
    """Where a quote the reader was shown stands in this index: its document's position and its first and last
    sentences, or None when that document is gone or changed (the quote's bounds no longer fall on sentences)."""
    position = index.position.get(document)
    if position is None:
        return None
    sentences = index.documents[position].sentences
    starts, ends = sentences.column("start"), sentences.column("end")
    first, last = bisect_left(starts, start), bisect_left(ends, end)
    if first >= len(starts) or last >= len(ends) or starts[first] != start or ends[last] != end or last < first:
        return None
    return position, first, last


def _same_part(doc: AnalysedDocument, i: int, j: int) -> bool:
    """Whether sentences i and j stand in one part of the text: one section under a heading, or one paragraph where
    no heading stands above them (a text without headings is one section, and there the paragraph is the topic)."""
    section = doc.sentence_section
    if section[i] != section[j]:
        return False
    paragraph = doc.sentences.column("paragraph")
    return section[i] >= 0 or paragraph[i] == paragraph[j]


def _answered(index: Index, query: Query, history: list[str] | None, documents: list[str] | None,
              settings: AnswerSettings, encoder: Encoder | None,
              shown: Collection[tuple[str, int, int]]) -> tuple[Answer, list[_Span]]:
    """The answer to a question of its own (or a follow-up that says what it asks), with the spans it quotes."""
    question = query.text
    read_with = earlier_questions(query, history, index)
    model_name = answering_model(index, encoder, settings.reads)
    meaning, without_unknown = (question_meaning(encoder, query, read_with, index) if model_name != "words"
                                else (None, None))
    model = settings.models[model_name]
    scores = index.passage_scores(query.terms)
    hits = index.search(query.terms, documents, k=CANDIDATE_PASSAGES, scores=scores)
    close = index.nearest(meaning, documents, k=CLOSE_SENTENCES) if meaning is not None else []
    if not (hits or close) or not query.own:
        return Answer(False, [], NOT_FOUND, 0.0, query, read_with), []
    ranked, idf = rank(query, hits, index, documents, model, close, meaning, scores)
    if model.reread:
        ranked = reread(ranked, read_with_history(question, read_with), settings.reader, model,
                        follow_up=read_with is not None)
    best_cosine = close[0][2] if close else 0.0

    def judged(quoted: Candidate) -> float:
        """The confidence that this candidate answers."""
        return answer_probability(decline_features(query, quoted_first(quoted, ranked), index, idf, best_cosine,
                                                   without_unknown), model)

    best = first_quoted(ranked)
    if best is None:
        return Answer(False, [], NOT_FOUND, 0.0, query, read_with), []
    confidence = judged(best)
    threshold = model.min_confidence if settings.min_confidence is None else settings.min_confidence
    reply = own_question_reply(query, ranked)
    if reply is not None and reply is not best:
        # The FAQ's own reply to the question asked, when the decline model finds that it answers too.
        reply_confidence = judged(reply)
        if reply_confidence >= threshold:
            best, confidence = reply, reply_confidence
    if confidence < threshold:
        return Answer(False, [], NOT_FOUND, confidence, query, read_with), []

    if shown and _was_shown(_span(best), shown):
        # Something the reader has not seen yet, if the decline model finds that it answers too and the question
        # asks for more ("What else?") or it is about as relevant (as a second quote must be); else the quote seen
        # is the answer again ("What about rare ones?" after a reply that said "In rare cases…"), rather than a
        # sentence on something else.
        more = asks_for_more(question)
        unseen = [c for c in ranked if c.is_prose and not _was_shown(_span(c), shown)
                  and (more or relevance(c) >= relevance(best) - SECOND_QUOTE_MARGIN)]
        for c in unseen[:UNSEEN_TRIED]:
            unseen_confidence = judged(c)
            if unseen_confidence >= threshold:
                best, confidence = c, unseen_confidence
                break
    spans = [_span(best)]
    # Once the cross-encoder has read the best few, a second quote is one of them: the others' scores lack its word.
    for c in (ranked[:model.reread] if model.reread else ranked):
        if c is best or not c.is_prose:
            continue
        if len(spans) >= settings.max_quotes or relevance(c) < relevance(best) - SECOND_QUOTE_MARGIN:
            break
        span = _span(c)
        if any(_overlaps(span, other) or _redundant(span, other) for other in spans) or _was_shown(span, shown):
            continue
        if sum(_length(x) for x in spans) + _length(span) > MAX_CHARS:
            continue
        spans.append(span)
    spans = _with_what_they_introduce(spans)
    return Answer(True, [_quote(span) for span in spans], FOUND, confidence, query, read_with), spans


def relevance(c: Candidate) -> float:
    """How relevant the ranker and the cross-encoder find a candidate: its score without what the `after_reading`
    weights added to settle which candidate read comes first."""
    return c.score - c.after_reading


def answering_model(index: Index, encoder: Encoder | None, reading: bool = False) -> str:
    """The ranking model that answers from this index: "meaning" when the encoder's model embedded its sentences
    ("reading" when a cross-encoder reads the best candidates too), else "words" (the semantic stage is off, or a
    changed corpus is still being embedded). The cross-encoder's weights were fitted beside the meaning model's,
    so without sentence vectors it does not read."""
    if encoder is not None and index.vectors is not None and index.meaning == encoder.identity:
        return "reading" if reading else "meaning"
    return "words"


def earlier_questions(query: Query, history: list[str] | None, index: Index) -> str | None:
    """What a follow-up is read with, in meaning and by the cross-encoder: the question it follows, after the ones
    that question leaned on in turn when it was a follow-up too, oldest first ("What are the side effects?" "Are any
    of them serious?" "And the rare ones?": the last is read after both, since the one before it names nothing);
    None for a question read on its own."""
    if not (query.from_history and history):
        return None
    first = len(history) - 1
    while (first > 0 and len(history) - first < HISTORY_TURNS
           and is_follow_up(history[first], list(build_query(history[first], index).own), index)):
        first -= 1
    return " ".join(history[first:])


def read_with_history(question: str, read_with: str | None) -> str:
    """What the cross-encoder reads as the question: a follow-up after the question it follows ("How do I report a
    bug?" "what happens after I send it?"), as the words and the meaning of a follow-up lean on it."""
    return f"{read_with} {question}" if read_with else question


def reading_text(c: Candidate) -> str:
    """A candidate as the cross-encoder reads it: its document's title and the headings it stands under (and a
    table's column heads, for a row below them), then what quoting it would give. A sentence's subject is often
    named only there ("Side effects", above "Common ones include fatigue…"), and a FAQ's reply answers the question
    in its heading."""
    span = _span(c)
    doc = c.doc
    text = doc.document.text[doc.sentences[span.first].start:doc.sentences[span.last].end]
    head = table_head(doc, span.first)
    heads = (doc.sentence_text(head),) if head is not None else ()
    return " › ".join((doc.document.title, *doc.section_path(c.sentence), *heads, text))


def reread(ranked: list[Candidate], question: str, reader: Reader, model: RankingModel, follow_up: bool = False
           ) -> list[Candidate]:
    """The candidates with the best `model.reread` of them (headings aside), and the reply under the best FAQ
    question among them (`best_heading_reply`), read by the cross-encoder and ordered again by their scores with its
    logit weighed in, and the model's `after_reading` weights; they come first, the rest after them as they were.
    A follow-up gets no `after_reading` weights: a FAQ reply opens with the answer to its entry's question, which
    is the question the reader asked before ("How do I report a bug?"), not the one that follows it ("what
    happens after I send it?")."""
    read = [c for c in ranked if not c.is_heading][:model.reread]
    reply = best_heading_reply(ranked)
    if reply is not None and all(c is not reply for c in read):
        read.append(reply)
    weight = model.ranker_weights[READING]
    for c, logit in zip(read, reader.score(question, [reading_text(c) for c in read]).tolist(), strict=True):
        c.features[READING] = logit
        c.after_reading = 0.0 if follow_up else float(model.after_reading_weights @ c.features)
        c.score += weight * logit + c.after_reading
    read.sort(key=lambda c: (-c.score, c.passage.id, c.sentence))
    chosen = {id(c) for c in read}
    return read + [c for c in ranked if id(c) not in chosen]


def best_heading_reply(ranked: list[Candidate]) -> Candidate | None:
    """The first sentence of the reply under the best heading among the candidates, when that heading asks a
    question (a FAQ entry): the cross-encoder reads it whatever its rank. Its author wrote it to answer that
    question, but often in words of its own ("The preferred way to do this is…"), which rank it low."""
    heading = next((c for c in ranked if c.is_heading), None)
    if heading is None:
        return None
    return next((c for c, asked in _faq_replies(ranked) if c.doc is heading.doc and asked == heading.sentence), None)


def own_question_reply(query: Query, ranked: list[Candidate]) -> Candidate | None:
    """The reply of the FAQ entry whose own question the reader asked, among the candidates: the first sentence under
    a heading that asks a question whose terms, its numbering aside, are the question's (stemmed, corrected: "How
    do I report a bug in Debian?" under "12.5. How do I report a bug in Debian?"). Its author wrote it for this very
    question, whatever the cross-encoder makes of the sentences around it. Failing one, an entry whose question
    differs only by words of its page's title, which name what the whole page is about and which a reader leaves out
    or adds ("How do I report a bug?" in "Getting support for Debian"), as long as a word of neither the title
    nor the numbering is shared."""
    own = set(query.own)
    replies = [(c, set(terms(unnumbered(c.doc.sentence_text(asked))))) for c, asked in _faq_replies(ranked)
               if c.is_prose]
    exact = next((c for c, asked in replies if asked == own), None)
    if exact is not None:
        return exact
    return next((c for c, asked in replies
                 if (own ^ asked) <= (subject := set(terms(c.doc.document.title))) and (own & asked) - subject), None)


def _faq_replies(ranked: list[Candidate]) -> Iterator[tuple[Candidate, int]]:
    """The candidates that open a FAQ entry's reply, each with the position of the heading that asks its question."""
    return ((c, int(c.doc.section_headings[c.sentence])) for c in ranked if c.features[FAQ_REPLY])


def question_meaning(encoder: Encoder, query: Query, read_with: str | None, index: Index
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """The question's unit vector, and that of the question without the words the corpus never uses (None when it
    has none), which the decline model compares (`unknown_away`). A follow-up's vectors lean toward the earlier
    questions it is read with (`earlier_questions`), as its terms do."""
    texts = [query.text]
    reduced = without_unknown_words(query, index)
    if reduced is not None:
        texts.append(reduced)
    follow_up = read_with is not None
    if follow_up:
        texts.append(read_with)
    vectors = encoder.encode(texts)
    if follow_up:
        vectors = vectors[:-1] + EARLIER_MEANING * vectors[-1]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors[0], (vectors[1] if reduced is not None else None)


def without_unknown_words(query: Query, index: Index) -> str | None:
    """The question with its words that the corpus never uses taken out ("What is the usual dose of ibuprofen?"
    → "What is the usual dose of ?"), or None when it has none. A misspelling the query corrected is no unknown
    word: its correction is what the question's terms hold."""
    spans = [(start, end) for term, start, end in term_spans(query.text)
             if term in query.own and term not in index.idf]
    if not spans:
        return None
    text = query.text
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return " ".join(text.split())


def first_quoted(ranked: list[Candidate]) -> Candidate | None:
    """The candidate quoted first: the best real sentence, else the best fragment, caption or reference entry; never
    a heading, which says what a section is about rather than answering (None when only headings came)."""
    return next((c for c in ranked if c.is_prose), None) or next((c for c in ranked if not c.is_heading), None)


def quoted_first(quoted: Candidate, ranked: list[Candidate]) -> list[Candidate]:
    """The candidates as the decline model judges them: the one quoted first, then the others best first."""
    return [quoted, *(other for other in ranked if other is not quoted)]


def quote_of(c: Candidate) -> Quote:
    """The quote that quoting this candidate would give (the sentence, with the neighbour it belongs with)."""
    return _quote(_span(c))


@dataclass(frozen=True)
class _Span:
    candidate: Candidate
    first: int
    last: int


def _span(c: Candidate) -> _Span:
    """The sentence, read with its neighbour when they belong together.

    A sentence that opens by pointing back ("It", "This", "However") is quoted with the one before it. Otherwise
    the next sentence joins when it carries the thread (it points back, or shares a word of the question) and both
    fit in PAIR_CHARS: answers often sit in the sentence after the one that repeats the question's words.
    """
    doc, i = c.doc, c.sentence
    first = leaned_on(doc, i)
    if first < i:
        return _Span(c, first, i)
    if _next_joins(doc, i, c.next_held):
        return _Span(c, i, i + 1)
    return _Span(c, i, i)


def _next_joins(doc: AnalysedDocument, i: int, next_held: float = 0.0) -> bool:
    """Whether the sentence after i in its paragraph is quoted with it: it carries the thread (it points back, or
    holds `next_held` of the question) and the two fit in PAIR_CHARS. Not a table's next row: rows share their
    columns' words, and a row is quoted with its table or its column heads instead (`_completed`)."""
    sentences = doc.sentences
    return (i + 1 in neighbours(doc, i) and sentences[i + 1].end - sentences[i].start <= PAIR_CHARS
            and not doc.is_row(i) and (doc.opens_by_pointing_back(i + 1) or next_held > 0))


def _with_what_they_introduce(spans: list[_Span]) -> list[_Span]:
    """The answer's spans, each with what its last sentence introduces (`_completed`) while the answer stays within
    MAX_CHARS and its quotes apart."""
    out = list(spans)
    for k, span in enumerate(out):
        others = [s for j, s in enumerate(out) if j != k]
        completed = _completed(span, MAX_CHARS - sum(_length(s) for s in others))
        if not any(_overlaps(completed, s) for s in others):
            out[k] = completed
    return out


def _completed(span: _Span, room: int) -> _Span:
    """The span with its whole table when it quotes a table's rows and the table fits in `room` characters (a row
    is read beside the others: "Children under 12 Ask your doctor" under "Children over 12 250 mg"), else with the
    rows from the column heads down to it when they fit in PAIR_CHARS (the heads say what its numbers are), else as
    it is.

    Else the span with the rest of what its colon introduces, while the answer fits in `room` characters: the colon
    of its last sentence, or of its first when the span is that sentence with items of its list (`leaned_on`).
    Quoted alone, "To list the installed packages, run:" promises what it does not say; a FAQ sets the command,
    like a list's item, as a paragraph of its own, so the next paragraph's piece joins too ("dpkg -l", "full
    featured: …"), in the same section, and so does a list's item, whole sentences as it may hold ("To reset it:"
    "Open the sign-in page."); then the rest of the list (`ranking.introduced`), each piece or item whole, while
    they fit: one item of three would say that there is one. A whole sentence there that is no list's item is not
    what the colon introduced (a text whose list was lost). Only the quote grows: the span is read and ranked as
    it was."""
    doc, sentences = span.candidate.doc, span.candidate.doc.sentences
    table = table_of(doc, span.last)
    if table is not None:
        for first, last, fits in ((table[0], table[1], room), (table[0], span.last, min(room, PAIR_CHARS))):
            if sentences[last].end - sentences[first].start <= fits:
                return _Span(span.candidate, first, last)
        return span
    opener = span.last if introduces(doc, span.last) else span.first if span.first < span.last else None
    start = sentences[span.first].start
    last = span.last
    for end in introduced(doc, opener) if opener is not None else ():
        if end <= last:
            continue
        if sentences[end].end - start > room:
            if last == opener and sentences[opener + 1].end - start <= room:
                last = opener + 1  # the first element begun, when it does not fit whole
            break
        last = end
    return _Span(span.candidate, span.first, last)


def _length(span: _Span) -> int:
    sentences = span.candidate.doc.sentences
    return sentences[span.last].end - sentences[span.first].start


def _was_shown(span: _Span, shown: Collection[tuple[str, int, int]]) -> bool:
    """Whether the span overlaps a quote the reader has already seen."""
    sentences = span.candidate.doc.sentences
    document, start, end = span.candidate.doc.document.id, sentences[span.first].start, sentences[span.last].end
    return any(d == document and s < end and start < e for d, s, e in shown)


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
    # The paragraphs the quote stands in: one, or more when a sentence ending in a colon brings the list after it.
    para, last_para = c.doc.paragraphs[first.paragraph], c.doc.paragraphs[last.paragraph]
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
        context_end=last_para.end,
        # A citation names the sections a reader would recognise: a plain text's line that only looked like a
        # heading ("SHA: edfe02a4…") is no section of it.
        section=tuple(h for h in c.doc.section_path(span.first) if is_cited_section(h, bool(doc.headings))),
        page=c.doc.page(span.first),
    )
