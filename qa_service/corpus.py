"""The served corpus: an immutable snapshot (documents, index, version) and the live reference that swaps it."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from .analysis_processes import analyse_all
from .document_analysis import AnalysedDocument, with_embeddings
from .documents import Document
from .embedding_cache import EmbeddingCache
from .index import Index
from .meaning import SentenceEncoder
from .republishing import Republisher
from .snapshots import BUILT, IndexSnapshots, Origin, content_key
from .store.base import DocumentStore, SkippedFile, StoreChanges, StoreUnavailable

log = logging.getLogger(__name__)

# Sentences embedded in one run of the model at most: each group's embeddings are saved as soon as it is done, so
# that a corpus that takes hours to embed keeps what was done if the process stops, and its float32 vectors (1.5 KiB
# a sentence) are never all held at once.
EMBEDDED_AT_ONCE = 4096
# Progress of a long embedding is logged at most this often.
PROGRESS_SECONDS = 60.0
# A look for hand edits that took over LOOK_FELT seconds waits LOOK_PACE times as long before the next, if that is
# longer than reload_seconds (see _look_for_changes).
LOOK_FELT = 0.05
LOOK_PACE = 20


@dataclass(frozen=True)
class Corpus:
    """What questions are answered from. Never changed once built; an update builds a new one."""

    index: Index
    version: str
    skipped: tuple[SkippedFile, ...]
    built_in_seconds: float

    def document(self, doc_id: str) -> AnalysedDocument | None:
        position = self.index.position.get(doc_id)
        return None if position is None else self.index.documents[position]


@dataclass(frozen=True)
class _Served:
    """The corpus now served, the store's marker read just before its changes were asked for, and the position
    the store gave with them."""

    corpus: Corpus
    marker: object
    position: object


class LiveCorpus:
    """Holds the current Corpus and replaces it when the store changes.

    A new corpus is built beside the one being served, then swapped in with one assignment, so no reader sees
    a half-built index. The new index is the served one updated (Index.updated): only the documents that changed
    are indexed, in a new segment; a background thread merges segments when there are enough of them
    (segments.merge_plan), and swaps in the merged index, which answers exactly as the one it replaces.

    Every call to current() compares the store's marker (written by every write, in any process): when it moved,
    the request waits for the new corpus, because the write that moved it has been acknowledged. The store says
    which documents changed since the position it gave last time (DocumentStore.changes_since), and only those are
    read, analysed and indexed. Changes made behind the store's back (files edited by hand) are looked for at most
    every `reload_seconds`, or LOOK_PACE times as long as the last look took when that was felt; the request that looks
    rebuilds when it finds some, while other requests are answered from the old corpus.

    It starts from the published index when there is one (`snapshots`: this host's earlier run's, or with
    DATABASE_URL another host's), analysing and embedding only the documents it lacks; `origin` says which. A
    `republisher` is told how long the documents written since took to analyse, which a start would repeat, and
    publishes the index again in a process of its own when that grows too long.

    With an `encoder`, every sentence is embedded once per document version. At start-up that happens before the
    first answer when at most `embed_before_serving` sentences lack saved embeddings (None: whatever their number);
    with more (a large corpus new to this cache: hours at a million passages), the corpus is answered from words
    alone at once and embedded by the background thread, started by the first question a process answers (so in
    the gunicorn workers, not in the master that forks them), and the embedded index is then published. After a
    change, the new corpus is served at once from words alone, while the background thread embeds the changed
    documents and then swaps in the same corpus with its embeddings.
    """

    def __init__(self, store: DocumentStore, reload_seconds: float, snapshots: IndexSnapshots | None = None,
                 encoder: SentenceEncoder | None = None, analysis_processes: int = 1,
                 embed_before_serving: int | None = None, republisher: Republisher | None = None):
        self.store = store
        self.republisher = republisher
        self.embed_before_serving = embed_before_serving
        self.analysis_processes = analysis_processes
        self.reload_seconds = reload_seconds
        self.snapshots = snapshots
        self.encoder = encoder
        self._analysed: dict[tuple[str, str], AnalysedDocument] = {}
        self._lock = threading.Lock()
        # One thread at a time embeds what a rebuilt corpus lacks and merges its segments; a rebuild while it works
        # asks it to go again.
        self._upkeep_lock = threading.Lock()
        self._upkeep: threading.Thread | None = None
        self._upkeep_wanted = False
        self._next_look = time.monotonic() + reload_seconds
        self._served: _Served | None = None
        # The last index with sentence vectors this corpus served: after a write, the corpus with the changed
        # documents embedded is made from it, so that the vectors' projection moves by those documents instead of
        # being fitted again (at a million sentences, minutes of both cores), as it would be from the words-alone
        # index served in between, which has no projection to move.
        self._embedded_index: Index | None = None
        with snapshots.starting(store) if snapshots else contextlib.nullcontext({}) as published:
            # The documents of a published index (an earlier run's, or another host's) count as analysed already, and
            # the store reads only what changed since they were read.
            self._analysed = published
            self._served = self._rebuild(embed_now=True)
            self._remember_if_embedded(self._served.corpus.index)
        if self._republishing and self.origin.how == "updated":
            self.republisher.publish("this start updated an older publication")
        # Embedding left for later: begun by the first question (current()), published once done.
        self._embedding_deferred = bool(self._unembedded(self._served.corpus.index.documents))
        self._publish_when_embedded = self._embedding_deferred and self.snapshots is not None
        origin = self.origin
        log.info("corpus %s: this process %s the index%s", self._served.corpus.version, origin.how,
                 f" from the snapshot {origin.published_by} published" if origin.published_by else "")

    @property
    def _republishing(self) -> bool:
        return self.republisher is not None and self.republisher.enabled

    @property
    def origin(self) -> Origin:
        """Whether this process built the index it started with, or loaded a published one."""
        return self.snapshots.origin if self.snapshots else BUILT

    @property
    def served(self) -> Corpus:
        """The corpus served now, without asking the store whether a newer one exists."""
        return self._served.corpus

    def current(self) -> Corpus:
        """The corpus to answer from now: one that includes every write acknowledged before this call."""
        if self._embedding_deferred:
            self._embedding_deferred = False
            self._upkeep_in_background()
        try:
            if self.store.marker() != self._served.marker:
                self.refresh()
            # After a write's refresh too: the store reports only writes then, and a hand edit older than the
            # reload period would otherwise wait for this process's next request.
            self._look_for_changes()
        except StoreUnavailable:
            log.warning("cannot read the store; answering from corpus %s", self._served.corpus.version,
                        exc_info=True)
        return self._served.corpus

    def _look_for_changes(self) -> None:
        started = time.monotonic()
        if started >= self._next_look and self._lock.acquire(blocking=False):
            try:
                served = self._rebuild(look_behind=True)
                if served is not None:
                    self._serve(served)
            finally:
                # A look stats every file of the folder, in the request that looks: at a million passages (12,747
                # files) under load, 0.4 to 2 s, the other threads holding the GIL between the stats. Paced by its
                # cost, a look that is felt takes at most 1/LOOK_PACE of one thread's time.
                finished = time.monotonic()
                took = finished - started
                self._next_look = finished + (max(self.reload_seconds, LOOK_PACE * took) if took > LOOK_FELT
                                              else self.reload_seconds)
                self._lock.release()

    def refresh(self) -> Corpus:
        """Wait until the served corpus matches the store's marker (rebuilding at most once), and return it."""
        with self._lock:
            if self.store.marker() != self._served.marker:
                served = self._rebuild()
                if served is not None:
                    self._serve(served)
            return self._served.corpus

    def _rebuild(self, embed_now: bool = False, look_behind: bool = False) -> _Served | None:
        """The corpus with the store's changes since the one served; None when nothing served changed (then only
        the marker and position served move on)."""
        # Read before asking: a write that lands meanwhile moves the marker again, so it is not missed.
        marker = self.store.marker()
        served = self._served
        changes = self.store.changes_since(served.position if served else None, look_behind)
        if served is not None and not changes.documents and changes.skipped == served.corpus.skipped:
            self._served = dataclasses.replace(served, marker=marker, position=changes.position)
            return None
        return _Served(self._build(changes, embed_now, marker), marker, changes.position)

    def _serve(self, served: _Served) -> None:
        """Serve a rebuilt corpus, and embed in the background what it lacks and merge its segments."""
        self._served = served
        self._remember_if_embedded(served.corpus.index)
        if self._unembedded(served.corpus.index.documents) or served.corpus.index.merge_plan():
            self._upkeep_in_background()

    def _build(self, changes: StoreChanges, embed_now: bool, marker: object) -> Corpus:
        started = time.perf_counter()
        if changes.complete or self._served is None:
            analysed = self._analysed_all(changes.documents.values())
            analysing = time.perf_counter() - started
            if embed_now:
                analysed = self._embed(analysed, most=self.embed_before_serving, wait_for_turn=False)
            if self._served is not None:
                index = self._served.corpus.index.updated(analysed)
            else:
                index = (self.snapshots.index_for(analysed, marker, publish_update=not self._republishing)
                         if self.snapshots else Index.build(analysed))
        else:
            served = self._served.corpus.index
            changed = self._analysed_changes(served, changes.documents)
            analysing = time.perf_counter() - started
            index = served.changed(changed)
        if self.republisher is not None and self._served is not None:
            self.republisher.analysed(analysing)
        corpus = Corpus(index, index.version, changes.skipped, time.perf_counter() - started)
        log.info("corpus %s: %d documents, %d passages, %s, built in %.2f s", corpus.version, len(index.documents),
                 index.passage_count, "with sentence embeddings" if index.vectors is not None else "words only",
                 corpus.built_in_seconds)
        return corpus

    def _analysed_all(self, documents) -> list[AnalysedDocument]:
        """Every document analysed, in the order of their ids (as every store loads them), those not analysed before
        on every core the build may use; analyses of the same versions kept from before are reused, and only they
        are kept for next time."""
        ordered = sorted(documents, key=lambda d: d.id)
        fresh = iter(analyse_all([d for d in ordered if self._known(d) is None], self.analysis_processes))
        analysed = [self._known(document) or next(fresh) for document in ordered]
        self._analysed = {(doc.document.id, doc.document.version): doc for doc in analysed}
        return analysed

    def _analysed_changes(self, served: Index, changed: dict) -> dict[str, AnalysedDocument | None]:
        """The changed documents analysed, by id (None: removed), and the analyses of the versions they replace
        forgotten; only the changed documents are looked at."""
        analysed = {}
        for doc_id, document in changed.items():
            at = served.position.get(doc_id)
            doc = self._analysis_of(document) if document is not None else None
            if at is not None and (doc is None or served.documents[at].document.version != document.version):
                self._analysed.pop((doc_id, served.documents[at].document.version), None)
            if doc is not None:
                self._analysed[(doc_id, document.version)] = doc
            analysed[doc_id] = doc
        return analysed

    def _known(self, document: Document) -> AnalysedDocument | None:
        cached = self._analysed.get((document.id, document.version))
        return cached if cached is not None and cached.document == document else None

    def _analysis_of(self, document: Document) -> AnalysedDocument:
        return self._known(document) or analyse_all([document], 1)[0]

    def _unembedded(self, documents: list[AnalysedDocument]) -> list[AnalysedDocument]:
        if self.encoder is None:
            return []
        return [doc for doc in documents if doc.embedded_by != self.encoder.identity]

    def _embed(self, documents: list[AnalysedDocument], most: int | None = None,
               wait_for_turn: bool = True) -> list[AnalysedDocument]:
        """The documents, each with its sentence embeddings: saved ones where the cache has them, computed (and
        saved) for the others unless that is more than `most` sentences (None: any number), when those are left
        unembedded; kept for reuse by the next build. Computing waits for another process's turn to end
        (EmbeddingCache.computing) only `wait_for_turn`."""
        missing = self._unembedded(documents)
        if not missing:
            return documents
        started = time.perf_counter()
        cache = (EmbeddingCache(self.snapshots.folder / "embeddings", self.encoder.identity)
                 if self.snapshots and self.snapshots.folder else None)
        embedded: dict[int, AnalysedDocument] = {}
        self._saved_embeddings(missing, cache, embedded)
        computing = [doc for doc in missing if id(doc) not in embedded]
        sentences = sum(len(d.sentences) for d in computing)
        if most is not None and sentences > most:
            log.info("%d sentences of %d documents have no saved embeddings, more than the %d embedded before "
                     "answering: answering from words alone while they are embedded", sentences, len(computing), most)
            computing = []
        elif computing:
            with cache.computing(wait_for_turn) if cache else contextlib.nullcontext():
                # Another process may have embedded some of them while this one waited for its turn.
                self._saved_embeddings(computing, cache, embedded)
                computing = [doc for doc in computing if id(doc) not in embedded]
                total, count, logged = sum(len(doc.sentences) for doc in computing), 0, time.monotonic()
                for group in _groups(computing, EMBEDDED_AT_ONCE):
                    for doc, done in zip(group, with_embeddings(group, self.encoder), strict=True):
                        embedded[id(doc)] = done
                        if cache:
                            cache.put(done, done.embeddings)
                    count += sum(len(doc.sentences) for doc in group)
                    if time.monotonic() - logged >= PROGRESS_SECONDS and count < total:
                        logged = time.monotonic()
                        log.info("embedded %d of %d sentences so far", count, total)
        log.info("embedded %d sentences of %d documents in %.2f s (and found %d documents' embeddings saved)",
                 sum(len(d.sentences) for d in computing), len(computing), time.perf_counter() - started,
                 len(embedded) - len(computing))
        for key, doc in list(self._analysed.items()):
            if id(doc) in embedded:
                self._analysed[key] = embedded[id(doc)]
        return [embedded.get(id(doc), doc) for doc in documents]

    def _saved_embeddings(self, documents: list[AnalysedDocument], cache: EmbeddingCache | None,
                          embedded: dict[int, AnalysedDocument]) -> None:
        """Each document whose embeddings the cache holds, with them, into `embedded` by the document's id()."""
        for doc in documents:
            saved = cache.get(doc) if cache else None
            if saved is not None:
                embedded[id(doc)] = dataclasses.replace(doc, embeddings=saved, embedded_by=self.encoder.identity)

    def _upkeep_in_background(self) -> None:
        with self._upkeep_lock:
            self._upkeep_wanted = True
            if self._upkeep is None:
                self._upkeep = threading.Thread(target=self._keep_up_served, name="corpus-upkeep", daemon=True)
                self._upkeep.start()

    def _keep_up_served(self) -> None:
        """Embed what the served corpus lacks and merge its segments, then serve the same corpus with the new index;
        again while more is wanted."""
        while True:
            with self._upkeep_lock:
                if not self._upkeep_wanted:
                    self._upkeep = None
                    return
                self._upkeep_wanted = False
            served = self._served
            try:
                index = self._kept_up(served.corpus.index)
            except Exception:  # the served index still answers (unmerged, or by words alone); the next rebuild retries
                log.exception("cannot embed or merge corpus %s", served.corpus.version)
                with self._upkeep_lock:
                    self._upkeep = None
                return
            if index is served.corpus.index:
                continue
            publishing = False
            with self._lock:
                # The same corpus, though a look for changes that found none may have moved the marker since.
                if self._served.corpus is served.corpus:
                    corpus = dataclasses.replace(served.corpus, index=index)
                    self._served = dataclasses.replace(self._served, corpus=corpus)
                    log.info("corpus %s: now answering from %d segments, %s", corpus.version, len(index.segments),
                             "with sentence embeddings" if index.vectors is not None else "words only")
                    publishing = self._publish_when_embedded and index.vectors is not None
                    self._publish_when_embedded &= not publishing
                    marker = self._served.marker
            if publishing:
                # So that the next start loads the embedded corpus instead of fitting its projection again.
                self.snapshots.save(index, marker, self.store.lasting_position())

    def publish(self) -> bool:
        """Bring the published index up to the served corpus: embed every sentence it lacks, merge its segments and
        publish it, unless the newest publication holds this very corpus; whether this process published it (now,
        or when it started: a start publishes the index it updated from an older publication). A process
        starts from the newest publication and analyses only the documents written since, so a serving process
        publishes only at start-up (publishing a million passages holds the interpreter for seconds, which would
        stall its answers): `qa-service corpus publish` runs this in a process of its own, which the `republisher`
        starts after enough writes."""
        if self.snapshots is None:
            raise ValueError("there is no place to publish the index in (QA_CACHE_DIR is off)")
        with self._lock:
            served = self._served
            index = self._kept_up(served.corpus.index)
            if index is not served.corpus.index:
                self._served = dataclasses.replace(served, corpus=dataclasses.replace(served.corpus, index=index))
            published = self.snapshots.save(index, served.marker, self.store.lasting_position())
            self._publish_when_embedded &= not (published and index.vectors is not None)
            return self.snapshots.published_content == content_key([doc.document for doc in index.documents])

    def _kept_up(self, index: Index) -> Index:
        """The index with its documents embedded and its segments merged as segments.merge_plan says."""
        if self._unembedded(index.documents):
            index = (self._embedded_index or index).updated(self._embed(index.documents))
        while plan := index.merge_plan():
            index = index.merged(plan)
        self._remember_if_embedded(index)
        return index

    def _remember_if_embedded(self, index: Index) -> None:
        if index.vectors is not None:
            self._embedded_index = index


def _groups(documents: list[AnalysedDocument], sentences: int) -> Iterator[list[AnalysedDocument]]:
    """The documents in order, in groups of about `sentences` sentences (a longer document is a group alone)."""
    group: list[AnalysedDocument] = []
    size = 0
    for doc in documents:
        if group and size + len(doc.sentences) > sentences:
            yield group
            group, size = [], 0
        group.append(doc)
        size += len(doc.sentences)
    if group:
        yield group

