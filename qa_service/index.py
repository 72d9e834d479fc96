"""The index: the passage windows of analysed documents (document_analysis.py) in segments (segments.py), their
BM25 (Okapi) scores, the sentences closest in meaning to a question, and the corpus words a misspelt word may stand
for.

Scoring is rank_bm25.BM25Okapi's, term for term (same k1, b, epsilon and idf) over the live passages of every
segment; the speed comes from an inverted index, so a query only touches passages that share a term with it.

An index is immutable. `Index.build` indexes documents in one segment; `updated` (given the whole new list) and
`changed` (given the changed documents by id) make the index after a write by indexing only the documents that
changed, in a new segment, and leaving the old versions' passages out; `merged` folds segments together. Whatever
the segments, an index numbers documents and passages in the order of its document list and holds the same
statistics as `Index.build` over that list, so it scores, and answers, exactly as a fresh build would.

A write costs what it changed, not the corpus: the corpus-wide tables are `LayeredTable`s, which share their dict
with the index before and add the write's changes; the counts per document, positions, the live passages' length
and the corpus version (`fingerprint`) are moved by the changed documents, the spelling table (spelling.py) by the
words that came and went. Merges, in the background, fold the tables' changes into new dicts and arrays.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import InitVar, dataclass
from functools import cached_property
from itertools import chain

import numpy as np

from . import vector_search
from .analysis import stem, stem_variants
from .document_analysis import AnalysedDocument, RecentTraits
from .passage_scores import PassageScores
from .recent import Recent
from .segments import Segment, merge_plan, passage_frequency
from .sentence_vectors import CorpusVectors, SentenceVectors
from .spelling import SpellingTable
from .vector_search import Projection

K1, B, EPSILON = 1.5, 0.75, 0.25  # rank_bm25.BM25Okapi's defaults
# A word the documents give more aliases than this on its own is a common word followed by parentheses ("country
# (Brazil and Argentina)"), not a name: no alias counts for it (Index.aliases_of).
MAX_ALIASES = 2
# What one index keeps in a worker of the work answers did (recent.Recent: twice this at most). Asked 43,322 questions,
# 29,505 of them different, the fair corpus's million passages kept 114 MiB of postings (12 bytes a passage holding a
# term) for 15,626 terms, 238,340 passages and 369,919 sentences' traits, and went on growing (bench.worker_memory).
# Generations of 64 MiB and 32,768 cost the answers 15-45% more CPU there (worked out again); these a few percent.
POSTINGS_KEPT_BYTES = 256 << 20
PASSAGES_KEPT = 131_072  # passage windows made for answers (about 200 bytes each, with their key)
TRAITS_KEPT = 131_072  # sentences' traits (document_analysis.RecentTraits: about 600 bytes each)


@dataclass(frozen=True, slots=True)
class Passage:
    """A window of consecutive sentences within one paragraph of one document."""

    id: int
    document: int  # position of the document in Index.documents
    first: int  # first sentence, index into that document's sentences
    last: int  # last sentence, inclusive


@dataclass(frozen=True, eq=False)
class LayeredTable(Mapping):
    """A table of an index (term -> count, word -> stem, ...) shared with the indexes before it: a dict that is never
    changed, under the changes that writes made since it was written (a key to its new value, or to None: gone).

    A write copies only the changes, not the table, so it costs what the writes since the last `flattened` changed;
    a merge (in the background) flattens the tables into new dicts, which keeps the changes few. None is never a
    value of the tables it holds.
    """

    base: dict
    changes: dict
    size: int

    @classmethod
    def of(cls, table: dict) -> LayeredTable:
        return cls(table, {}, len(table))

    def __getitem__(self, key):
        value = self.changes.get(key, self)  # the table itself stands for "not changed": it is never a value
        if value is self:
            return self.base[key]
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key, default=None):
        # Without Mapping.get's KeyError: queries and writes look keys up here, one by one.
        value = self.changes.get(key, self)
        if value is self:
            return self.base.get(key, default)
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        value = self.changes.get(key, self)
        return key in self.base if value is self else value is not None

    def __iter__(self) -> Iterator:
        """The keys in the order a dict changed the same way would hold them: old keys where they were, new ones
        after."""
        if not self.changes:  # a fresh build's tables, and every table after a merge: the dict's own iterator
            return iter(self.base)
        return self._changed_keys()

    def items(self):
        return self.base.items() if not self.changes else super().items()

    def _changed_keys(self) -> Iterator:
        changes = self.changes
        for key in self.base:
            if changes.get(key, self) is not None:
                yield key
        for key, value in changes.items():
            if value is not None and key not in self.base:
                yield key

    def __len__(self) -> int:
        return self.size

    def with_changes(self, changes: dict) -> LayeredTable:
        """This table with some keys set to new values (None: removed); this one is left as it was. A table whose
        changes outgrow its base is flattened at once: that costs no more than the changes did."""
        if not changes:
            return self
        size = self.size
        for key, value in changes.items():
            size += (value is not None) - (key in self)
        layered = LayeredTable(self.base, {**self.changes, **changes}, size)
        return layered.flattened() if len(layered.changes) > len(layered.base) else layered

    def flattened(self) -> LayeredTable:
        """The same table as one dict, without changes."""
        if not self.changes:
            return self
        return LayeredTable.of(dict(self.items()))


@dataclass(eq=False)
class Index:
    """An immutable BM25 index over the passages of a list of analysed documents, held in segments.

    The fields are what a snapshot saves (snapshots.py); everything else is derived from them when the index is made
    (numbering, the vectors) or on first need (BM25 weights per term, idf, aliases, variants).
    """

    documents: list[AnalysedDocument]
    segments: tuple[Segment, ...]
    # Where each document's passages are: its segment, and its number among that segment's documents. A segment's
    # documents that no entry points at are deleted: their passages count for nothing.
    document_segment: np.ndarray
    document_slot: np.ndarray
    document_frequency: LayeredTable  # term -> live passages holding it
    vocabulary: LayeredTable  # surface word -> its stem
    word_documents: LayeredTable  # surface word -> documents using it, so that a word leaves with its last document
    sentence_frequency: LayeredTable  # term -> sentences holding it
    sentence_count: int
    alpha_terms: list[str]  # the alphabetic terms, sorted: where analysis.stem_variants looks for a term's variants
    alias_documents: LayeredTable  # term -> the documents whose aliases (doc.aliases) hold it, a frozenset of ids
    # The sum, modulo 2**64, of every document's fingerprint (its id and version): the same for the same documents
    # however writes came to them, and moved by a write by the fingerprints of what it changed (`version`).
    fingerprint: int
    # The corpus words' one-deletion variants, for spelling correction: made with the index and saved with it, so a
    # restart builds nothing from the whole vocabulary (at a million passages that took 2 to 3 s).
    spelling: SpellingTable
    # Whether document_frequency lists terms in the order BM25Okapi meets them (true of a fresh build), so that the
    # average idf can be summed over it as BM25Okapi sums it; otherwise that order is worked out when needed.
    terms_in_first_use_order: bool = False
    # The sentence vectors' projection and clusters (vector_search.py), kept from index to index and saved, since
    # fitting them reads every vector; None without vectors. Made when the index is, unless given.
    projection: Projection | None = None
    # The index this one was made from (by a write or a merge), and where each of this one's documents was in it
    # (-1: new): what this one takes its per-document counts, positions and live length from, looking only at the
    # new documents. Not a field: not saved, not kept.
    predecessor: InitVar[tuple[Index, np.ndarray] | None] = None
    # The documents' vectors as one matrix whose rows their own vectors are (a snapshot saves them so): taken as it
    # is, not stacked again. Not a field: the snapshot saves it beside the fields.
    saved_vectors: InitVar[SentenceVectors | None] = None

    def __post_init__(self, predecessor: tuple[Index, np.ndarray] | None,
                      saved_vectors: SentenceVectors | None) -> None:
        windows, sentences = self._per_document_counts(predecessor)
        # Passages are numbered documents in order: document d's are passage_start[d] to passage_start[d + 1] - 1.
        self.passage_start = np.concatenate(([0], np.cumsum(windows)))
        self.passage_count = int(self.passage_start[-1])
        self.position = self._positions(predecessor)
        self._segment_numbering = self._number_segment_documents()
        # The live passages' total length, in integers: moved by a write exactly, so the average equals a build's.
        self.live_length = self._live_length(predecessor)
        count = self.passage_count
        self.average_length = self.live_length / count if count else 0.0
        self._posting_cache: Recent[str, tuple[np.ndarray, np.ndarray]] = Recent(POSTINGS_KEPT_BYTES, _posting_bytes)
        self._passage_cache: Recent[int, Passage] = Recent(PASSAGES_KEPT)
        # The traits of the sentences answers needed lately, kept as the postings and passages above are.
        self.recent_traits = RecentTraits(TRAITS_KEPT)
        # What the per-term views (`idf`, `aliases`, `variants`) have worked out, term by term.
        self._idf_values: dict[str, float] = {}
        self._alias_lists: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        self._term_variants: dict[str, tuple[str, ...]] = {}
        # Every sentence's unit vector (in int8 steps, as the documents keep them), documents in order (row
        # sentence_base[d] + i is sentence i of document d), when every document was embedded by the same model
        # (`meaning`); else None, and answers use words alone. Not fields: the documents hold the vectors, and a
        # snapshot saves them there.
        vectors = sentence_vectors(self.documents, sentences, predecessor, self.projection, saved_vectors)
        self.vectors: SentenceVectors | CorpusVectors | None = vectors.get("vectors")
        self.sentence_base: np.ndarray = vectors["sentence_base"]
        self.meaning: str = vectors.get("meaning", "")
        self.projection = vectors.get("projection")

    def _per_document_counts(self, predecessor: tuple[Index, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
        """Each document's passage and sentence counts: those of an index this one was updated from are taken from
        its arrays, so only the new documents are looked at."""
        if predecessor is None:
            return (np.fromiter((len(doc.windows) for doc in self.documents), np.int64, len(self.documents)),
                    np.fromiter((len(doc.sentences) for doc in self.documents), np.int64, len(self.documents)))
        before, old_position = predecessor
        kept = old_position >= 0
        counts = []
        for starts, count_of in ((before.passage_start, lambda doc: len(doc.windows)),
                                 (before.sentence_base, lambda doc: len(doc.sentences))):
            count = np.empty(len(self.documents), np.int64)
            count[kept] = np.diff(starts)[old_position[kept]]
            new = np.flatnonzero(~kept)
            count[new] = [count_of(self.documents[at]) for at in new.tolist()]
            counts.append(count)
        return counts[0], counts[1]

    def _positions(self, predecessor: tuple[Index, np.ndarray] | None) -> dict[str, int]:
        """Each document's position by id: the same dict as the index this one was updated from when the ids are
        where they were (a write that replaced documents, the common case)."""
        if predecessor is not None:
            before, old_position = predecessor
            if len(before.documents) == len(self.documents) and all(
                    self.documents[at].document.id == before.documents[at].document.id
                    for at in np.flatnonzero(old_position < 0).tolist()) and bool(
                    np.all(old_position[old_position >= 0] == np.flatnonzero(old_position >= 0))):
                return before.position
        return {doc.document.id: i for i, doc in enumerate(self.documents)}

    def _number_segment_documents(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each segment, by its local document: what to add to a local passage id to make it this index's, and
        whether the document is live here (else its passages are deleted). Per document, not per passage, so a
        write renumbers the corpus's documents, not its passages."""
        numbering = []
        for number, segment in enumerate(self.segments):
            mine = np.flatnonzero(self.document_segment == number)
            slots = self.document_slot[mine]
            shift = np.zeros(segment.document_count, np.int64)
            shift[slots] = self.passage_start[mine] - segment.document_start[slots]
            live = np.zeros(segment.document_count, bool)
            live[slots] = True
            numbering.append((shift, live))
        return numbering

    def _live_length(self, predecessor: tuple[Index, np.ndarray] | None) -> int:
        """The live passages' total length: that of the index this one was made from, less the documents it no
        longer holds and plus the new ones; else summed over every segment."""
        if predecessor is None:
            return sum(int(segment.passage_length[np.repeat(live, np.diff(segment.document_start))].sum())
                       for segment, (_, live) in zip(self.segments, self._segment_numbering, strict=True))
        before, old_position = predecessor
        held = np.zeros(len(before.documents), bool)
        held[old_position[old_position >= 0]] = True
        return (before.live_length - sum(before.document_length(p) for p in np.flatnonzero(~held).tolist())
                + sum(self.document_length(at) for at in np.flatnonzero(old_position < 0).tolist()))

    def document_length(self, position: int) -> int:
        """The total length of a document's passages."""
        segment = self.segments[self.document_segment[position]]
        slot = self.document_slot[position]
        return int(segment.passage_length[segment.document_start[slot]:segment.document_start[slot + 1]].sum())

    def document_of(self, passages: np.ndarray) -> np.ndarray:
        """The position of the document of each of these passages."""
        return np.searchsorted(self.passage_start, passages, side="right") - 1

    @classmethod
    def build(cls, documents: list[AnalysedDocument]) -> Index:
        """The index of these documents, in one segment."""
        segment = Segment.of(documents)
        # Each distinct word is stemmed once, not once per document holding it.
        word_documents = Counter(chain.from_iterable(doc.surface_words.keys() for doc in documents))
        sentence_frequency: Counter = Counter()
        for doc in documents:
            sentence_frequency.update(doc.sentence_frequency)
        vocabulary = {word: stem(word) for word in word_documents}
        return cls(
            documents=list(documents),
            segments=(segment,),
            document_segment=np.zeros(len(documents), np.int32),
            document_slot=np.arange(len(documents), dtype=np.int32),
            document_frequency=LayeredTable.of(segment.document_frequency()),
            vocabulary=LayeredTable.of(vocabulary),
            word_documents=LayeredTable.of(dict(word_documents)),
            sentence_frequency=LayeredTable.of(dict(sentence_frequency)),
            sentence_count=sum(len(doc.sentence_terms) for doc in documents),
            alpha_terms=sorted(term for term in segment.rows if term.isalpha()),
            alias_documents=_alias_documents_moved(LayeredTable.of({}), [], documents),
            fingerprint=_fingerprint_moved(0, [], documents),
            spelling=SpellingTable.of(vocabulary),
            terms_in_first_use_order=True,
        )

    def updated(self, documents: list[AnalysedDocument]) -> Index:
        """The index of these documents, in this order: a document this index holds with the same terms keeps its
        passages where they are; the others (new or changed) are indexed in one new segment, and the passages of
        documents no longer listed, or listed in another version, are left out. Looks at every document of the list
        once; `changed` looks only at what changed."""
        old_position = np.full(len(documents), -1, np.int64)
        kept = np.zeros(len(self.documents), bool)
        identical = True
        for at, doc in enumerate(documents):
            old = self.position.get(doc.document.id)
            if old is not None and not kept[old] and _same_terms(self.documents[old], doc):
                kept[old] = True
                old_position[at] = old
                identical = identical and doc is self.documents[old]
        return self._successor(list(documents), old_position, identical)

    def changed(self, changes: Mapping[str, AnalysedDocument | None]) -> Index:
        """The index of this index's documents with these changed, by id: a replaced document keeps its place, a
        removed one (None) leaves, and a new one goes where its id sorts among the others (documents in the order of
        their ids, as every store lists them). The same index as `updated` with that list, at the cost of what
        changed: only the changed documents are looked at."""
        documents = list(self.documents)
        old_position = np.arange(len(documents), dtype=np.int64)
        leaving, arriving = [], []
        identical = True
        for doc_id, doc in changes.items():
            at = self.position.get(doc_id)
            if at is None:
                if doc is not None:
                    arriving.append(doc)
            elif doc is None:
                leaving.append(at)
            elif doc is not documents[at]:
                if _same_terms(documents[at], doc):
                    identical = False
                else:
                    old_position[at] = -1
                documents[at] = doc
        for at in sorted(leaving, reverse=True):
            del documents[at]
        old_position = np.delete(old_position, leaving)
        for doc in sorted(arriving, key=lambda d: d.document.id):
            at = bisect_left(documents, doc.document.id, key=lambda d: d.document.id)
            documents.insert(at, doc)
            old_position = np.insert(old_position, at, -1)
        return self._successor(documents, old_position, identical)

    def _successor(self, documents: list[AnalysedDocument], old_position: np.ndarray, identical: bool) -> Index:
        """The index of these documents, where old_position says which of this index's documents each one stands
        for (-1: none): those keep their passages, the others are indexed in one new segment, and this index's
        documents left out lose theirs. Statistics move by the documents that changed only; so do the per-document
        counts and positions when the documents kept are this index's very objects (`identical`: not, say, the same
        analyses with sentence vectors since, which the new index must look at)."""
        kept = old_position >= 0
        added_at = np.flatnonzero(~kept)
        added = [documents[at] for at in added_at.tolist()]
        still_held = np.zeros(len(self.documents), bool)
        still_held[old_position[kept]] = True
        removed = [self.documents[i] for i in np.flatnonzero(~still_held).tolist()]
        segments = self.segments + ((Segment.of(added),) if added else ())
        document_segment = np.full(len(documents), len(self.segments), np.int32)
        document_segment[kept] = self.document_segment[old_position[kept]]
        document_slot = np.empty(len(documents), np.int32)
        document_slot[kept] = self.document_slot[old_position[kept]]
        document_slot[added_at] = np.arange(len(added), dtype=np.int32)
        # A segment whose documents are all gone is dropped.
        used = np.unique(document_segment)
        renumber = np.full(len(segments), -1, np.int32)
        renumber[used] = np.arange(len(used), dtype=np.int32)
        words_left = _moved(self.word_documents, [dict.fromkeys(doc.surface_words, 1) for doc in removed],
                            [dict.fromkeys(doc.surface_words, 1) for doc in added])
        document_frequency = _moved(self.document_frequency, map(passage_frequency, removed),
                                    map(passage_frequency, added))
        vocabulary_changes = _vocabulary_changes(self.vocabulary, words_left, removed, added)
        return Index(
            documents=documents,
            segments=tuple(segments[s] for s in used.tolist()),
            document_segment=renumber[document_segment],
            document_slot=document_slot,
            document_frequency=document_frequency,
            vocabulary=self.vocabulary.with_changes(vocabulary_changes),
            word_documents=words_left,
            sentence_frequency=_moved(self.sentence_frequency, [doc.sentence_frequency for doc in removed],
                                      [doc.sentence_frequency for doc in added]),
            sentence_count=self.sentence_count + sum(len(doc.sentence_terms) for doc in added)
            - sum(len(doc.sentence_terms) for doc in removed),
            alpha_terms=_alpha_terms_moved(self.alpha_terms, self.document_frequency, document_frequency,
                                           removed, added),
            alias_documents=_alias_documents_moved(self.alias_documents, removed, added),
            fingerprint=_fingerprint_moved(self.fingerprint, removed, added),
            spelling=self.spelling.moved(
                arrived=[word for word, stemmed in vocabulary_changes.items() if stemmed is not None],
                left=[word for word, stemmed in vocabulary_changes.items() if stemmed is None]),
            terms_in_first_use_order=self.terms_in_first_use_order and not added and not removed
            and bool(np.all(np.diff(old_position) > 0)),
            predecessor=(self, old_position) if identical else None,
        )

    @property
    def version(self) -> str:
        """The corpus version: 16 hex digits that name the set of documents (ids and versions) this index holds."""
        return f"{self.fingerprint:016x}"

    def merge_plan(self) -> list[int]:
        """The segments (by number) that segments.merge_plan says to merge now, by their live passages."""
        live = np.bincount(self.document_segment, weights=np.diff(self.passage_start), minlength=len(self.segments))
        return merge_plan([int(n) for n in live.tolist()])

    def merged(self, numbers: list[int]) -> Index:
        """The same index with these segments folded into one, without their deleted passages: it scores and answers
        exactly as this one does."""
        folded = np.isin(self.document_segment, numbers)
        positions = np.flatnonzero(folded)
        segment = Segment.of([self.documents[p] for p in positions.tolist()])
        folding = set(numbers)
        kept = [s for s in range(len(self.segments)) if s not in folding]
        renumber = np.full(len(self.segments), -1, np.int32)
        renumber[kept] = np.arange(len(kept), dtype=np.int32)
        document_segment = renumber[self.document_segment]
        document_segment[positions] = len(kept)
        document_slot = self.document_slot.copy()
        document_slot[positions] = np.arange(len(positions), dtype=np.int32)
        return Index(
            documents=self.documents,
            segments=tuple(self.segments[s] for s in kept) + (segment,),
            document_segment=document_segment,
            document_slot=document_slot,
            # A merge runs in the background: the time to fold the writes' changes into the tables' dicts, so that
            # the next writes copy few changes.
            document_frequency=self.document_frequency.flattened(),
            vocabulary=self.vocabulary.flattened(),
            word_documents=self.word_documents.flattened(),
            sentence_frequency=self.sentence_frequency.flattened(),
            sentence_count=self.sentence_count,
            alpha_terms=self.alpha_terms,
            alias_documents=self.alias_documents.flattened(),
            fingerprint=self.fingerprint,
            spelling=self.spelling.flattened(),
            terms_in_first_use_order=self.terms_in_first_use_order,
            predecessor=(self, np.arange(len(self.documents))),
        )

    # The views below (passages, postings, idf, aliases, variants) are made at each access, and what they work out is
    # kept in the index's own caches. Kept on the index, a view holding the index would make a cycle with it, which
    # only a full garbage collection frees; gunicorn's workers, their start-up objects frozen, seldom run one, so
    # every index a write replaced stayed in memory with its arrays (at a million passages with sentence vectors,
    # about 730 MiB more in each worker per write).
    @property
    def passages(self) -> Sequence[Passage]:
        """Every live passage, by id; made on access, so a new index costs nothing per passage."""
        return _Passages(self)

    @property
    def postings(self) -> Mapping[str, tuple[np.ndarray, np.ndarray]]:
        """term -> (passage ids, BM25 term weights), over the live passages of every segment."""
        return _Postings(self)

    @property
    def idf(self) -> Mapping[str, float]:
        """term -> BM25Okapi's idf over the live passages."""
        return _Idf(self)

    @cached_property
    def average_idf(self) -> float:
        """BM25Okapi's average idf (its floor for terms in most passages): a float sum over the terms in the order
        BM25Okapi meets them, which only a fresh build keeps; other indexes work the order out, on first need."""
        if self.terms_in_first_use_order:
            return okapi_idf(self.document_frequency, self.passage_count)[1]
        in_order = self._terms_in_first_use_order()
        return okapi_idf({term: self.document_frequency[term] for term in in_order}, self.passage_count)[1]

    def _terms_in_first_use_order(self) -> list[str]:
        """The terms in the order BM25Okapi meets them reading the live passages in order: by the first live passage
        holding each (from the segments' postings, not by reading every passage's terms, which took seconds at a
        million passages), then by where in that passage it first stands."""
        first_passage: dict[str, int] = {}
        for segment, (shift, alive) in zip(self.segments, self._segment_numbering, strict=True):
            # A row's passages ascend, so its first live one is the term's first passage in this segment: the row's
            # head, unless that passage's document is gone (then the row is searched on).
            head = segment.passages[segment.bounds[:-1]]
            owner = np.searchsorted(segment.document_start, head, side="right") - 1
            held = alive[owner]
            first = head + shift[owner]
            for row in np.flatnonzero(~held).tolist():
                local = segment.passages[segment.bounds[row]:segment.bounds[row + 1]]
                local_owner = np.searchsorted(segment.document_start, local, side="right") - 1
                live = np.flatnonzero(alive[local_owner])
                if live.size:
                    held[row] = True
                    first[row] = local[live[0]] + shift[local_owner[live[0]]]
            first_list, held_list = first.tolist(), held.tolist()
            for term, row in segment.rows.items():
                if held_list[row] and first_list[row] < first_passage.get(term, self.passage_count):
                    first_passage[term] = first_list[row]
        by_passage: dict[int, set[str]] = {}
        for term, passage in first_passage.items():
            by_passage.setdefault(passage, set()).add(term)
        in_order = []
        for passage in sorted(by_passage):
            met_here = by_passage[passage]
            document = int(self.document_of(np.array([passage]))[0])
            first, last = self.documents[document].windows[passage - int(self.passage_start[document])]
            passage_terms = chain.from_iterable(self.documents[document].sentence_terms[first:last + 1])
            in_order.extend(term for term in dict.fromkeys(passage_terms) if term in met_here)
        return in_order

    @property
    def aliases(self) -> Mapping[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
        """term -> (name, alias) pairs the documents give ("X (Y)", "X, also known as Y") whose name holds the term,
        documents in order."""
        return _Aliases(self)

    def aliases_of(self, term: str, asked: Set[str]) -> list[tuple[str, ...]]:
        """The aliases of a term whose whole name is among the asked terms: "JEV" for "Japanese encephalitis virus"
        when all three words are asked, not for "virus" alone; none for a term the documents give more than
        MAX_ALIASES aliases on its own, nor when the asked names have more than that between them.

        On a large corpus a common word is part of hundreds of spelt-out names, and is itself followed by
        parentheses that name no alias ("country (Brazil and Argentina)", "set (ISO 3166)"): a question holding it
        weighed dozens of unrelated terms, which made the answer slower and worse."""
        found = []
        for name, alias in self.aliases.get(term, ()):
            if alias not in found and (len(name) == 1 or all(t in asked for t in name)):
                found.append(alias)
                if len(found) > MAX_ALIASES:
                    return []
        return found

    @property
    def variants(self) -> Mapping[str, tuple[str, ...]]:
        """stem -> stems one short ending away (analysis.stem_variants)."""
        return _Variants(self)

    def nearest(self, vector: np.ndarray, documents: list[str] | None = None, k: int = 10
                ) -> list[tuple[int, int, float]]:
        """The k sentences closest in meaning to a unit vector: (document position, sentence, cosine), best first."""
        if self.vectors is None or not len(self.vectors):
            return []
        allowed = None
        if documents is not None:
            allowed = np.zeros(len(self.vectors), dtype=bool)
            for d in documents:
                position = self.position.get(d)
                if position is not None:
                    allowed[self.sentence_base[position]:self.sentence_base[position + 1]] = True
        top, cosines = vector_search.nearest(self.vectors, self.projection, vector, allowed, k)
        positions = np.searchsorted(self.sentence_base, top, side="right") - 1
        return [(int(d), int(row - self.sentence_base[d]), float(cosine))
                for d, row, cosine in zip(positions.tolist(), top.tolist(), cosines.tolist(), strict=True)]

    def sentence_vectors_of(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """These rows of the sentence vectors, as float32."""
        return self.vectors.floats(rows)

    def passage_around(self, document: int, sentence: int) -> Passage:
        """The passage window that best frames a sentence: the one centred on it, else the first holding it."""
        first = int(self.passage_start[document])
        windows = self.documents[document].windows
        starts, ends = np.asarray(windows.column("first")), np.asarray(windows.column("last"))
        holding = np.flatnonzero((starts <= sentence) & (sentence <= ends))
        centred = holding[starts[holding] == sentence - 1]
        return self.passages[first + int((centred if len(centred) else holding)[0])]

    def search(self, query: dict[str, float], documents: list[str] | None = None, k: int = 10,
               scores: PassageScores | None = None) -> list[tuple[Passage, float]]:
        """The k best passages for weighted query terms (weight 1 for every term is BM25Okapi.get_scores); `scores`
        are this query's passage scores when the caller has them already."""
        scores = self.passage_scores(query) if scores is None else scores
        keep = None
        if documents is not None:
            allowed = np.zeros(len(self.documents), dtype=bool)
            allowed[[self.position[d] for d in documents if d in self.position]] = True
            keep = allowed[self.document_of(scores.ids)]
        top, values = scores.best(k, keep)
        return list(zip(self.passages_at(top), values.tolist(), strict=True))

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """Every passage's score: the sum over query terms of weight * idf * the term's BM25 weight there."""
        return self.passage_scores(query).dense(self.passage_count)

    def passage_scores(self, query: dict[str, float]) -> PassageScores:
        """The scores of the passages that hold a query term (the others score 0), summed over the postings read."""
        passages, contributions = [], []
        for term, weight in query.items():
            found = self._posting_cache.get(term)  # the common case first: a term asked before
            if found is None:
                if term not in self.document_frequency:
                    continue
                found = self.posting(term)
            passages.append(found[0])
            contributions.append((self.idf[term] * weight) * found[1])
        return PassageScores.summed(passages, contributions)

    def passages_at(self, ids: np.ndarray) -> list[Passage]:
        """The passages of these ids: made on first need (a new index makes none) and kept while questions keep
        asking for them (PASSAGES_KEPT), since the passages that answer questions are few and asked for again."""
        wanted = ids.tolist()
        found = [self._passage_cache.get(i) for i in wanted]
        missing = np.array([i for i, passage in zip(wanted, found, strict=True) if passage is None], dtype=np.int64)
        if missing.size:
            documents = self.document_of(missing)
            windows = missing - self.passage_start[documents]
            made = {i: self._passage_cache.put(i, Passage(i, d, *self.documents[d].windows[w]))
                    for i, d, w in zip(missing.tolist(), documents.tolist(), windows.tolist(), strict=True)}
            found = [made[i] if passage is None else passage for i, passage in zip(wanted, found, strict=True)]
        return found

    def kept(self) -> dict[str, int]:
        """What this index keeps in this process of the work answers did: postings (their bytes), passages and
        sentence traits (their counts)."""
        return {"postings_bytes": self._posting_cache.weight, "postings": len(self._posting_cache),
                "passages": len(self._passage_cache), "traits": len(self.recent_traits)}

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's live passages (ascending ids) and its BM25 weight in each, from every segment's counts and this
        index's average passage length; worked out on the term's first query and kept while questions keep asking
        for it (POSTINGS_KEPT_BYTES)."""
        found = self._posting_cache.get(term)
        if found is not None:
            return found
        ids, counts, lengths = [], [], []
        for segment, (shift, alive) in zip(self.segments, self._segment_numbering, strict=True):
            row = segment.rows.get(term)
            if row is None:
                continue
            start, end = segment.bounds[row], segment.bounds[row + 1]
            local = segment.passages[start:end]
            owner = np.searchsorted(segment.document_start, local, side="right") - 1
            live = alive[owner]
            ids.append(local[live] + shift[owner[live]])
            counts.append(segment.counts[start:end][live])
            lengths.append(segment.passage_length[local[live]])
        passage_ids = np.concatenate(ids)
        order = np.argsort(passage_ids, kind="stable")
        tf = np.concatenate(counts)[order]
        dl = np.concatenate(lengths)[order].astype(np.float64)
        found = (passage_ids[order].astype(np.int32),
                 tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / self.average_length)))
        return self._posting_cache.put(term, found)


def _posting_bytes(posting: tuple[np.ndarray, np.ndarray]) -> int:
    return posting[0].nbytes + posting[1].nbytes


def sentence_vectors(documents: list[AnalysedDocument], sentences: np.ndarray,
                     predecessor: tuple[Index, np.ndarray] | None = None, saved: Projection | None = None,
                     saved_vectors: SentenceVectors | None = None) -> dict:
    """The vectors of an index of these documents (`sentences` per document): `sentence_base` always, and `vectors`,
    `meaning` and `projection` when every document has its sentences' vectors from one model, all in one matrix.
    Made from an index by a write, only the new documents are looked at to know there are none, and only their
    sentences are projected; a projection `saved` with the index (a snapshot's) is taken as it is, and so is the
    matrix `saved_vectors` whose rows the documents' vectors are."""
    base = np.concatenate(([0], np.cumsum(sentences, dtype=np.int64)))
    if predecessor is not None:
        before, old_position = predecessor
        new = [documents[at] for at in np.flatnonzero(old_position < 0).tolist()]
        if not new and np.array_equal(old_position, np.arange(len(before.documents))):
            # The same documents in the same order (a merge): the same vectors.
            return {"vectors": before.vectors, "sentence_base": before.sentence_base, "meaning": before.meaning,
                    "projection": before.projection}
        models = {doc.embedded_by for doc in new} | ({before.meaning} if bool(np.any(old_position >= 0)) else set())
        if len(models) != 1 or "" in models or any(doc.embeddings is None for doc in new):
            return {"sentence_base": base}
    models = {doc.embedded_by for doc in documents}
    if len(models) != 1 or "" in models or any(doc.embeddings is None for doc in documents):
        return {"sentence_base": base}
    if saved_vectors is not None and len(saved_vectors) == base[-1]:
        vectors = saved_vectors
    elif predecessor is not None and documents:
        # A write: the kept documents' rows stay where they are, in the matrix every worker shares.
        vectors = CorpusVectors.kept([doc.embeddings for doc in documents], base,
                                     None if before.vectors is None else (before.vectors, before.sentence_base,
                                                                          old_position))
    else:
        vectors = SentenceVectors.stacked([doc.embeddings for doc in documents]) if documents else None
    for d, (doc, start, end) in enumerate(zip(documents, base[:-1].tolist(), base[1:].tolist(), strict=True)):
        # The same values, read from the corpus's matrices: the document's own arrays are let go, so the corpus's
        # vectors are held once, not twice (at a million passages, 0.5 GiB). An index made before still answers from
        # its own matrices, which the documents it shares with this one no longer keep alive once it is dropped.
        doc.embeddings = vectors.document(d) if isinstance(vectors, CorpusVectors) else vectors[start:end]
    if vectors is None:
        projection = None
    elif saved is not None and len(saved) == len(vectors):
        projection = saved
    elif predecessor is not None and predecessor[0].projection is not None:
        projection = predecessor[0].projection.updated(vectors, *_sentence_moves(predecessor, base))
    else:
        projection = Projection.of(vectors)
    return {"vectors": vectors, "sentence_base": base, "meaning": models.pop(), "projection": projection}


def _sentence_moves(predecessor: tuple[Index, np.ndarray], base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each sentence row of the index before a write is after it (-1: its document left), and the rows of the
    documents the write brought."""
    before, old_position = predecessor
    kept = np.flatnonzero(old_position >= 0)
    counts = np.diff(base)
    within = np.arange(int(counts[kept].sum())) - np.repeat(np.cumsum(counts[kept]) - counts[kept], counts[kept])
    moves = np.full(int(before.sentence_base[-1]), -1, np.int64)
    moves[np.repeat(before.sentence_base[old_position[kept]], counts[kept]) + within] = \
        np.repeat(base[kept], counts[kept]) + within
    added = np.flatnonzero(old_position < 0)
    new_rows = np.concatenate([np.arange(base[d], base[d + 1]) for d in added.tolist()] or [np.arange(0)])
    return moves, new_rows


def okapi_idf(document_frequency: dict[str, int], corpus_size: int) -> tuple[dict[str, float], float]:
    """rank_bm25.BM25Okapi._calc_idf: log((N - n + 0.5) / (n + 0.5)), negative values floored at epsilon * mean."""
    idf = {}
    idf_sum = 0.0
    negative = []
    for word, freq in document_frequency.items():
        value = _raw_idf(freq, corpus_size)
        idf[word] = value
        idf_sum += value
        if value < 0:
            negative.append(word)
    average = idf_sum / len(idf) if idf else 0.0
    eps = EPSILON * average
    for word in negative:
        idf[word] = eps
    return idf, average


def _raw_idf(frequency: int, corpus_size: int) -> float:
    return math.log(corpus_size - frequency + 0.5) - math.log(frequency + 0.5)


class _PerTerm(Mapping):
    """A mapping whose keys are those of one of the index's tables and whose values the subclass works out on first
    use: the index's terms are many, a question's few."""

    def __init__(self, index: Index, keys: Mapping):
        self._index = index
        self._keys = keys

    def __contains__(self, term: object) -> bool:
        return term in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class _Idf(_PerTerm):
    """An index's idf per term."""

    def __init__(self, index: Index):
        super().__init__(index, index.document_frequency)
        self._values = index._idf_values

    def __getitem__(self, term: str) -> float:
        value = self._values.get(term)
        if value is None:
            value = _raw_idf(self._index.document_frequency[term], self._index.passage_count)
            if value < 0:
                value = EPSILON * self._index.average_idf
            self._values[term] = value
        return value


class _Aliases(_PerTerm):
    """An index's aliases by term: each (name, alias) pair whose name holds the term, worked out from the few
    documents defining the term, in the order of the index's documents, as reading every document's aliases in
    order would list them; for a word given more than MAX_ALIASES aliases on its own, those read until that was
    clear."""

    def __init__(self, index: Index):
        super().__init__(index, index.alias_documents)
        self._lists = index._alias_lists

    def __getitem__(self, term: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        found = self._lists.get(term)
        if found is None:
            defining = sorted(self._index.position[doc_id] for doc_id in self._index.alias_documents[term])
            found, seen, alone = [], set(), set()
            for position in defining:
                for a, b in self._index.documents[position].aliases:
                    for pair in ((a, b), (b, a)):
                        if term in pair[0] and pair not in seen:
                            seen.add(pair)
                            found.append(pair)
                            if len(pair[0]) == 1:
                                alone.add(pair[1])
                if len(alone) > MAX_ALIASES:
                    # A common word, which Index.aliases_of gives no alias (its own aliases alone are too many): the
                    # documents after this one are not read (a common word of a large corpus is in the aliases of
                    # thousands).
                    break
            self._lists[term] = found
        return found

    def get(self, term: str, default=None):
        # Without Mapping.get's KeyError: ranking asks for every question term of every candidate sentence.
        found = self._lists.get(term)
        if found is not None:
            return found
        return self[term] if term in self._keys else default


class _Variants(Mapping):
    """An index's stems one short ending apart (analysis.stem_variants), each term's worked out on first use; a term
    without variants is not a key."""

    def __init__(self, index: Index):
        self._index = index
        self._found = index._term_variants

    def __getitem__(self, term: str) -> tuple[str, ...]:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found

    def get(self, term: str, default=None):
        # Without Mapping.get's KeyError: ranking asks for every question term of every candidate sentence.
        found = self._found.get(term)
        if found is None:
            found = self._found[term] = stem_variants(term, self._index.alpha_terms)
        return found or default

    def __iter__(self) -> Iterator[str]:
        return (term for term in self._index.alpha_terms if term in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Postings(_PerTerm):
    """An index's postings by term (Index.posting)."""

    def __init__(self, index: Index):
        super().__init__(index, index.document_frequency)

    def __getitem__(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        if term not in self._keys:
            raise KeyError(term)
        return self._index.posting(term)


class _Passages(Sequence):
    """An index's passages by id, each made when asked for: a write need not make one object per passage."""

    def __init__(self, index: Index):
        self._index = index

    def __len__(self) -> int:
        return self._index.passage_count

    def __getitem__(self, passage: int) -> Passage:
        if not 0 <= passage < self._index.passage_count:
            raise IndexError(passage)
        return self._index.passages_at(np.array([passage]))[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None


def _same_terms(old: AnalysedDocument, new: AnalysedDocument) -> bool:
    """Whether a document's passages indexed from `old` stand for `new` (the same analysis, perhaps embedded since)."""
    return old.document is new.document and old.sentence_terms is new.sentence_terms


def _moved(counts: LayeredTable, leaving, arriving) -> LayeredTable:
    """The counts by key with some documents' counts taken out and others' put in; a key counted zero times leaves.
    Without a change, the same object: an index never changes the counts it holds."""
    delta: dict = {}
    for part in leaving:
        for key, n in part.items():
            delta[key] = delta.get(key, 0) - n
    for part in arriving:
        for key, n in part.items():
            delta[key] = delta.get(key, 0) + n
    return counts.with_changes({key: counts.get(key, 0) + n or None for key, n in delta.items() if n})


def _fingerprint_moved(fingerprint: int, removed: list[AnalysedDocument], added: list[AnalysedDocument]) -> int:
    """The fingerprint of the documents with some taken out and some put in: a sum, so the order of writes does not
    matter, only the documents held."""
    for doc in removed:
        fingerprint -= document_fingerprint(doc)
    for doc in added:
        fingerprint += document_fingerprint(doc)
    return fingerprint % 2**64


def document_fingerprint(doc: AnalysedDocument) -> int:
    """64 bits of a hash of the document's id and version."""
    return int.from_bytes(hashlib.sha256(f"{doc.document.id}\0{doc.document.version}".encode()).digest()[:8], "big")


def _alpha_terms_moved(alpha_terms: list[str], frequency_before: LayeredTable, frequency_after: LayeredTable,
                       removed: list[AnalysedDocument], added: list[AnalysedDocument]) -> list[str]:
    """The sorted alphabetic terms, without those no passage holds any more and with the new ones: a copy of the
    list (pointers, at memory speed), each term found by bisection."""
    gone = {t for doc in removed for t in doc.sentence_frequency if t not in frequency_after and t.isalpha()}
    new = {t for doc in added for t in doc.sentence_frequency
           if t not in frequency_before and t in frequency_after and t.isalpha()}
    if not gone and not new:
        return alpha_terms
    moved = list(alpha_terms)
    for term in gone:
        del moved[bisect_left(moved, term)]
    for term in new:
        insort(moved, term)
    return moved


def _alias_documents_moved(alias_documents: LayeredTable, removed: list[AnalysedDocument],
                           added: list[AnalysedDocument]) -> LayeredTable:
    """term -> the documents whose aliases hold it, without the removed documents and with the added ones."""
    leaving = {(term, doc.document.id) for doc in removed for pair in doc.aliases for x in pair for term in x}
    arriving = {(term, doc.document.id) for doc in added for pair in doc.aliases for x in pair for term in x}
    changes: dict[str, frozenset[str] | None] = {}
    for term, doc_id in leaving:
        changes[term] = (changes[term] if term in changes else alias_documents[term]) - {doc_id}
    for term, doc_id in arriving:
        changes[term] = (changes[term] if term in changes else alias_documents.get(term, frozenset())) | {doc_id}
    return alias_documents.with_changes({term: ids or None for term, ids in changes.items()})


def _vocabulary_changes(vocabulary: LayeredTable, word_documents: LayeredTable, removed: list[AnalysedDocument],
                        added: list[AnalysedDocument]) -> dict[str, str | None]:
    """The words no document uses any more (to None), and the new words, each stemmed once."""
    changes: dict[str, str | None] = {}
    for doc in removed:
        for word in doc.surface_words:
            if word not in word_documents:
                changes[word] = None
    for doc in added:
        for word in doc.surface_words:
            if word not in vocabulary:
                changes[word] = stem(word)
    return changes
