"""The index: passages of consecutive sentences, their BM25 (Okapi) weights, and candidates for a query.

Scoring is rank_bm25.BM25Okapi's, term for term (same k1, b, epsilon and idf); the speed comes from an
inverted index, so a query only touches passages that share a term with it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .analysis import is_stop_word, stem, terms, words
from .documents import Document
from .sentences import Paragraph, Sentence, split_sentences

PASSAGE_SENTENCES = 3  # sentences per passage window
PASSAGE_STRIDE = 1  # so every sentence is seen with the sentence before and the one after it
K1, B, EPSILON = 1.5, 0.75, 0.25  # rank_bm25.BM25Okapi's defaults


@dataclass(frozen=True)
class Passage:
    """A window of consecutive sentences within one paragraph of one document."""

    id: int
    document: int  # position of the document in Index.documents
    first: int  # first sentence, index into that document's sentences
    last: int  # last sentence, inclusive


@dataclass
class AnalysedDocument:
    """A document split into paragraphs, sentences (with their terms) and passage windows. Built once per version."""

    document: Document
    paragraphs: list[Paragraph]
    sentences: list[Sentence]
    sentence_terms: list[tuple[str, ...]]
    windows: list[tuple[int, int]]
    surface_words: Counter
    aliases: list[tuple[tuple[str, ...], tuple[str, ...]]]
    sentence_frequency: Counter  # term -> number of this document's sentences holding it

    def sentence_text(self, i: int) -> str:
        s = self.sentences[i]
        return self.document.text[s.start:s.end]


def passage_windows(sentences: list[Sentence]) -> list[tuple[int, int]]:
    """Windows of PASSAGE_SENTENCES sentences, moved PASSAGE_STRIDE at a time, never crossing a paragraph."""
    windows = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1].paragraph == sentences[i].paragraph:
            j += 1
        # sentences i..j form one paragraph
        if j - i + 1 <= PASSAGE_SENTENCES:
            windows.append((i, j))
        else:
            for first in range(i, j - PASSAGE_SENTENCES + 2, PASSAGE_STRIDE):
                windows.append((first, first + PASSAGE_SENTENCES - 1))
        i = j + 1
    return windows


# "levetiracetam (Keppra)", "Keppra, also known as levetiracetam", "sold under the brand name Keppra":
# the corpus itself says which names mean the same thing.
_NAME = r"[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3}"
_ALIAS_PATTERNS = [
    re.compile(rf"\b({_NAME})\s*\(\s*([A-Za-z][\w-]*(?:\s+[\w-]+){{0,3}})\s*\)"),
    re.compile(r"\b([A-Za-z][\w-]*),?\s+\(?(?:also|otherwise|commonly|better)\s+(?:known|called|referred to|sold)"
               r"(?:\s+(?:as|by))?(?:\s+(?:its|the|a|an))?(?:\s+(?:generic|brand|trade|common|lay|other)\s+names?)?"
               r"(?:\s+(?:as|of))?\s+([A-Za-z][\w-]*)"),
    re.compile(r"\b([A-Za-z][\w-]*),?\s+(?:\(|sold\s+)?(?:under\s+)?(?:the\s+)?(?:brand|trade|generic)\s+names?"
               r"\s+(?:of\s+)?([A-Z][\w-]*)"),
]


def _acronym_of(acronym: str, phrase_words: list[str]) -> list[str] | None:
    """The shortest tail of a phrase that the acronym abbreviates ("antiepileptic drug" for "AED")."""
    letters = acronym.lower()
    if not (2 <= len(letters) <= 8 and acronym[:1].isupper()):
        return None
    for n in range(1, min(len(letters), len(phrase_words)) + 1):
        tail = [w.lower() for w in phrase_words[-n:]]
        initials = "".join(w[0] for w in tail)
        if tail[0][0] == letters[0] and _subsequence(initials, letters) and _subsequence(letters, "".join(tail)):
            return phrase_words[-n:]
    return None


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


def find_aliases(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Pairs of term sequences that the text says are names for the same thing."""
    pairs = []
    for pattern_index, pattern in enumerate(_ALIAS_PATTERNS):
        for match in pattern.finditer(text):
            left, right = match.group(1), match.group(2)
            if pattern_index == 0:
                inner = right.split()
                tail = _acronym_of(inner[0], left.split()) if len(inner) == 1 and inner[0].isupper() else None
                left = " ".join(tail) if tail else left.split()[-1]
            a, b = tuple(terms(left)), tuple(terms(right))
            if a and b and a != b and len(b) <= 4:
                pairs.append((a, b))
    return pairs


def analyse(document: Document) -> AnalysedDocument:
    paras, sentences = split_sentences(document.text)
    sentence_terms = [tuple(terms(document.text[s.start:s.end])) for s in sentences]
    surface = Counter(w for w in words(document.text) if not is_stop_word(w) and w.isalpha())
    return AnalysedDocument(
        document=document,
        paragraphs=paras,
        sentences=sentences,
        sentence_terms=sentence_terms,
        windows=passage_windows(sentences),
        surface_words=surface,
        aliases=find_aliases(document.text),
        sentence_frequency=Counter(t for ts in sentence_terms for t in set(ts)),
    )


@dataclass
class Index:
    """An immutable BM25 index over the passages of a set of analysed documents."""

    documents: list[AnalysedDocument]
    passages: list[Passage]
    passage_document: np.ndarray
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]
    document_frequency: dict[str, int]
    average_idf: float
    avgdl: float
    average_sentence_terms: float
    vocabulary: dict[str, str]  # surface word -> its stem
    aliases: dict[str, list[tuple[str, ...]]]
    sentence_frequency: Counter
    sentence_count: int
    position: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, documents: list[AnalysedDocument]) -> Index:
        passages: list[Passage] = []
        passage_terms: list[Counter] = []
        for d_index, doc in enumerate(documents):
            for first, last in doc.windows:
                passages.append(Passage(len(passages), d_index, first, last))
                counts: Counter = Counter()
                for i in range(first, last + 1):
                    counts.update(doc.sentence_terms[i])
                passage_terms.append(counts)
        n = len(passages)
        doc_len = np.array([sum(c.values()) for c in passage_terms], dtype=np.float64)
        avgdl = float(doc_len.sum() / n) if n else 0.0

        df: dict[str, int] = {}
        postings_ids: dict[str, list[int]] = {}
        postings_tf: dict[str, list[int]] = {}
        for pid, counts in enumerate(passage_terms):
            for term, tf in counts.items():
                if term in df:
                    df[term] += 1
                    postings_ids[term].append(pid)
                    postings_tf[term].append(tf)
                else:
                    df[term] = 1
                    postings_ids[term] = [pid]
                    postings_tf[term] = [tf]
        idf, average_idf = okapi_idf(df, n)
        postings = {}
        for term, ids in postings_ids.items():
            id_array = np.array(ids, dtype=np.int32)
            tf = np.array(postings_tf[term], dtype=np.float64)
            dl = doc_len[id_array]
            postings[term] = (id_array, tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl)))

        vocabulary: dict[str, str] = {}
        aliases: dict[str, list[tuple[str, ...]]] = {}
        sentence_count = 0
        sentence_term_total = 0
        sentence_frequency: Counter = Counter()
        for doc in documents:
            sentence_frequency.update(doc.sentence_frequency)
            for word in doc.surface_words:
                vocabulary.setdefault(word, stem(word))
            for a, b in doc.aliases:
                for x, y in ((a, b), (b, a)):
                    for term in x:
                        if y not in aliases.setdefault(term, []):
                            aliases[term].append(y)
            sentence_count += len(doc.sentence_terms)
            sentence_term_total += sum(len(t) for t in doc.sentence_terms)
        return cls(
            documents=documents,
            passages=passages,
            passage_document=np.array([p.document for p in passages], dtype=np.int32),
            postings=postings,
            idf=idf,
            document_frequency=df,
            average_idf=average_idf,
            avgdl=avgdl,
            average_sentence_terms=(sentence_term_total / sentence_count) if sentence_count else 1.0,
            vocabulary=vocabulary,
            aliases=aliases,
            sentence_frequency=sentence_frequency,
            sentence_count=sentence_count,
            position={doc.document.id: i for i, doc in enumerate(documents)},
        )

    @property
    def passage_count(self) -> int:
        return len(self.passages)

    def unseen_idf(self) -> float:
        """The idf a term would have if no passage held it: the weight of a question word the corpus lacks."""
        n = len(self.passages)
        return math.log(n + 0.5) - math.log(0.5)

    def search(self, query: dict[str, float], documents: list[str] | None = None, k: int = 10
               ) -> list[tuple[Passage, float]]:
        """The k best passages for weighted query terms (weight 1 for every term is BM25Okapi.get_scores)."""
        scores = self.scores(query)
        if documents is not None:
            allowed = np.array([self.position[d] for d in documents if d in self.position], dtype=np.int32)
            scores[~np.isin(self.passage_document, allowed)] = 0.0
        touched = np.flatnonzero(scores > 0)
        top = touched[np.argpartition(-scores[touched], k - 1)[:k]] if touched.size > k else touched
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.passages[i], float(scores[i])) for i in top]

    def scores(self, query: dict[str, float]) -> np.ndarray:
        scores = np.zeros(len(self.passages))
        for term, weight in query.items():
            posting = self.postings.get(term)
            if posting is not None:
                ids, weights = posting
                scores[ids] += (self.idf[term] * weight) * weights
        return scores


def okapi_idf(document_frequency: dict[str, int], corpus_size: int) -> tuple[dict[str, float], float]:
    """rank_bm25.BM25Okapi._calc_idf: log((N - n + 0.5) / (n + 0.5)), negative values floored at epsilon * mean."""
    idf = {}
    idf_sum = 0.0
    negative = []
    for word, freq in document_frequency.items():
        value = math.log(corpus_size - freq + 0.5) - math.log(freq + 0.5)
        idf[word] = value
        idf_sum += value
        if value < 0:
            negative.append(word)
    average = idf_sum / len(idf) if idf else 0.0
    eps = EPSILON * average
    for word in negative:
        idf[word] = eps
    return idf, average
