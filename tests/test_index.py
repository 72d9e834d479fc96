"""The index: passages of the documents' windows, BM25 scores equal to rank_bm25.BM25Okapi's, the aliases its
documents define, and the spelling table it keeps."""

from __future__ import annotations

import dataclasses
import gc
import pickle
import random
import weakref

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from qa_service.analysis import terms
from qa_service.answering import answer
from qa_service.document_analysis import analyse
from qa_service.documents import Document, parse_document
from qa_service.index import EPSILON, MAX_ALIASES, Index, okapi_idf
from qa_service.sentence_vectors import SentenceVectors

# --- passages -------------------------------------------------------------------------------------------------


def test_index_passages_follow_the_documents_windows():
    document = analyse(parse_document("li", "Lithium Facts\n\nOne fact. Two facts. Three facts. Four facts."))

    index = Index.build([document])

    assert [(p.document, p.first, p.last) for p in index.passages] == [(0, 0, 0), (0, 1, 3), (0, 2, 4)]


# --- BM25 equivalence -----------------------------------------------------------------------------------------

# Few distinct words, drawn with a skewed distribution, so that common words occur in more than half the
# passages (their idf is negative and gets floored) and passages differ in length.
VOCABULARY = [f"{a}{b}" for a in ("lith", "sod", "potass", "rubid", "caes", "franc", "magnes", "calc")
              for b in ("ium", "ate", "ide", "ine")]
STOP_WORDS_USED = ["the", "of", "and", "is", "it"]


def random_corpus(rng: random.Random, documents: int) -> list:
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    analysed = []
    for d in range(documents):
        paragraphs = []
        for _ in range(rng.randint(1, 4)):
            sentences = []
            for _ in range(rng.randint(1, 6)):
                words = rng.choices(VOCABULARY, weights, k=rng.randint(2, 12))
                words += rng.sample(STOP_WORDS_USED, k=rng.randint(0, 2))
                rng.shuffle(words)
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        analysed.append(analyse(parse_document(f"doc{d}", "\n\n".join(paragraphs))))
    return analysed


def reference_scores(index: Index, query_terms: list[str]) -> np.ndarray:
    """BM25Okapi over the terms of each passage's text, computed from the text itself."""
    passage_terms = []
    for passage in index.passages:
        doc = index.documents[passage.document]
        start, end = doc.sentences[passage.first].start, doc.sentences[passage.last].end
        passage_terms.append(terms(doc.document.text[start:end]))
    return BM25Okapi(passage_terms).get_scores(query_terms)


def assert_same_ranking(found: list, expected: np.ndarray, k: int) -> None:
    """Same scores as the reference, and the same top k up to passages tied at the cut."""
    found_scores = np.array([score for _, score in found])
    for passage, score in found:
        assert np.isclose(score, expected[passage.id])
    positive = np.sort(expected[expected > 0])[::-1]
    assert len(found) == min(k, positive.size)
    assert np.allclose(found_scores, positive[:k])
    if len(found) == k and k < positive.size:
        cut = positive[k - 1]
        must_be_in = {int(i) for i in np.flatnonzero(expected > cut + 1e-9)}
        assert must_be_in <= {p.id for p, _ in found}
    assert list(found_scores) == sorted(found_scores, reverse=True)


@pytest.mark.parametrize("seed", range(8))
def test_search_scores_equal_bm25okapi(seed):
    rng = random.Random(seed)
    index = Index.build(random_corpus(rng, documents=rng.randint(1, 6)))

    for _ in range(20):
        words = rng.sample(VOCABULARY, k=rng.randint(1, 5)) + rng.sample(["unseen", "absent"], k=rng.randint(0, 1))
        query_terms = list(dict.fromkeys(terms(" ".join(words))))
        k = rng.choice([1, 3, 10, index.passage_count])

        found = index.search(dict.fromkeys(query_terms, 1.0), k=k)

        assert_same_ranking(found, reference_scores(index, query_terms), k)


@pytest.mark.parametrize("seed", range(8))
def test_search_within_documents_equals_bm25okapi_restricted_to_them(seed):
    rng = random.Random(100 + seed)
    corpus = random_corpus(rng, documents=rng.randint(2, 6))
    index = Index.build(corpus)

    for _ in range(10):
        allowed = rng.sample([d.document.id for d in corpus], k=rng.randint(1, len(corpus)))
        query_terms = list(dict.fromkeys(terms(" ".join(rng.sample(VOCABULARY, k=rng.randint(1, 4))))))
        expected = reference_scores(index, query_terms)
        outside = ~np.isin(index.document_of(np.arange(index.passage_count)), [index.position[d] for d in allowed])
        expected[outside] = 0.0

        found = index.search(dict.fromkeys(query_terms, 1.0), documents=allowed, k=10)

        assert {index.documents[p.document].document.id for p, _ in found} <= set(allowed)
        assert_same_ranking(found, expected, 10)


def test_idf_of_terms_in_most_passages_is_floored_like_bm25okapi():
    corpus = [["lithium", "sodium"], ["lithium", "potassium"], ["lithium"], ["caesium"]]
    reference = BM25Okapi(corpus)

    idf, average = okapi_idf({"lithium": 3, "sodium": 1, "potassium": 1, "caesium": 1}, corpus_size=4)

    assert average == pytest.approx(reference.average_idf)
    assert idf["lithium"] == pytest.approx(EPSILON * average)
    assert idf == pytest.approx(reference.idf)


def test_query_weights_scale_each_terms_contribution():
    index = Index.build(random_corpus(random.Random(7), documents=3))
    lith, sod = terms("lithium sodium")

    single = index.scores({lith: 1.0})
    mixed = index.scores({lith: 0.5, sod: 2.0})

    assert np.allclose(mixed, 0.5 * single + 2.0 * index.scores({sod: 1.0}))


def test_a_query_sharing_no_term_with_the_corpus_finds_nothing():
    index = Index.build(random_corpus(random.Random(3), documents=2))

    assert index.search({"unseen": 1.0}) == []


# --- aliases --------------------------------------------------------------------------------------------------


def test_index_links_aliases_both_ways():
    index = Index.build([analyse(parse_document("k", "Keppra, also known as levetiracetam, treats seizures."))])

    assert index.aliases_of("keppra", {"keppra"}) == [("levetiracetam",)]
    assert index.aliases_of("levetiracetam", {"levetiracetam"}) == [("keppra",)]


def test_an_abbreviation_stands_for_its_whole_spelt_out_name_not_for_one_of_its_words():
    index = Index.build([analyse(parse_document("v", "Japanese encephalitis virus (JEV) is spread by mosquitoes."))])
    name = terms("Japanese encephalitis virus")

    assert index.aliases_of("virus", {*name, "spread"}) == [("jev",)]
    assert index.aliases_of("virus", {"virus", "spread"}) == []
    assert index.aliases_of("jev", {"jev"}) == [tuple(name)]



def test_a_word_the_documents_give_many_names_is_a_common_word_with_no_alias():
    text = ("Ask your pharmacy (Boots). Ask your pharmacy (Lloyds). Ask your pharmacy (Superdrug). "
            "Keppra (levetiracetam) treats seizures.")
    index = Index.build([analyse(parse_document("p", text))])

    assert len(index.aliases["pharmaci"]) > MAX_ALIASES
    assert index.aliases_of("pharmaci", {"pharmaci"}) == []
    assert index.aliases_of("keppra", {"keppra"}) == [("levetiracetam",)]

# --- memory -----------------------------------------------------------------------------------------------------


def test_an_index_whose_per_term_views_were_used_is_freed_as_soon_as_it_is_dropped():
    """No reference cycle: an index left in one would wait for a full garbage collection, which gunicorn's workers
    (their start-up objects frozen) seldom run, holding its arrays and caches after a write replaced it."""
    index = Index.build([analyse(parse_document("k", "Keppra, also known as levetiracetam, treats seizures.")),
                         analyse(parse_document("w", "Rain is likely on Tuesday.")),
                         analyse(parse_document("t", "The train leaves at noon."))])
    answer(index, "What does Keppra treat?")
    assert index.idf["keppra"] > 0 and index.postings["keppra"] and index.passages[0]
    assert index.aliases.get("keppra") and index.variants.get("seizur") is None
    dropped = weakref.ref(index)

    gc.disable()
    try:
        del index
        assert dropped() is None
    finally:
        gc.enable()


# --- spelling -------------------------------------------------------------------------------------------------


def test_the_spelling_table_maps_each_one_letter_deletion_to_the_corpus_words_it_comes_from():
    index = Index.build([analyse(parse_document("k", "Keppra treats seizures. Keppra is an antiepileptic."))])

    assert "treats" in index.spelling.get("teats")
    assert "keppra" in index.spelling.get("kepra")
    assert index.spelling.get("keppra") == ("keppra",)


def test_the_spelling_table_leaves_out_words_of_fewer_than_three_letters():
    index = Index.build([analyse(parse_document("k", "Keppra calms an ox."))])

    assert "ox" in index.vocabulary
    assert index.spelling.get("ox") is None and index.spelling.get("o") is None


def test_an_indexed_documents_vectors_are_rows_of_the_index_matrix_not_a_copy():
    texts = {"a": "Keppra is taken twice a day. The dose is raised slowly.", "b": "Fatigue is common. So is dizziness."}
    rng = np.random.default_rng(1)
    documents = []
    for doc_id, text in texts.items():
        analysed = analyse(Document(doc_id, doc_id, text))
        vectors = SentenceVectors.of(rng.standard_normal((len(analysed.sentences), 8)))
        documents.append(dataclasses.replace(analysed, embeddings=vectors, embedded_by="test-model"))
    own = [doc.embeddings.floats() for doc in documents]

    index = Index.build(documents)

    for doc, vectors in zip(index.documents, own, strict=True):
        assert np.array_equal(doc.embeddings.floats(), vectors)
        assert np.shares_memory(doc.embeddings.steps, index.vectors.steps)
        assert np.shares_memory(doc.embeddings.scale, index.vectors.scale)
    loaded = pickle.loads(pickle.dumps(index.documents))
    assert all(np.array_equal(a.embeddings.floats(), b) for a, b in zip(loaded, own, strict=True))


def embedded(doc_id: str, sentences: int, rng: np.random.Generator):
    text = " ".join(f"Sentence {i} of {doc_id} says something." for i in range(sentences))
    analysed = analyse(Document(doc_id, doc_id, text))
    vectors = rng.standard_normal((len(analysed.sentences), 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return dataclasses.replace(analysed, embeddings=SentenceVectors.of(vectors), embedded_by="test-model")


def test_a_write_moves_the_vectors_projection_instead_of_fitting_it_again(monkeypatch):
    rng = np.random.default_rng(4)
    index = Index.build([embedded(f"d{n}", 60, rng) for n in range(4)])
    fitted = index.projection
    monkeypatch.setattr("qa_service.vector_search.Projection.of", lambda vectors: pytest.fail("fitted again"))

    written = index.changed({"d0": None, "d9": embedded("d9", 60, rng)})

    assert written.projection.axes is fitted.axes and written.projection.centres is fitted.centres
    assert len(written.projection) == len(written.vectors) == 240
    d9 = written.position["d9"]
    row = int(written.sentence_base[d9]) + 5
    assert written.nearest(written.vectors.floats(row))[0][:2] == (d9, 5)


def test_a_write_reads_the_kept_documents_vectors_where_they_are_and_answers_as_a_fresh_build():
    rng = np.random.default_rng(6)
    index = Index.build([embedded(f"d{n}", 60, rng) for n in range(4)])

    written = index.changed({"d1": embedded("d1", 30, rng), "d0": None, "d5": embedded("d5", 40, rng)})

    for doc_id in ("d2", "d3"):
        kept = written.documents[written.position[doc_id]].embeddings
        assert np.shares_memory(kept.steps, index.vectors.steps)  # not a copy
    fresh = Index.build(written.documents)
    assert np.array_equal(written.vectors.floats(), fresh.vectors.floats())
    for row in (0, 31, 95, len(fresh.vectors) - 1):
        question = fresh.vectors.floats(row)
        assert np.array_equal(written.vectors.cosines([row, 3], question), fresh.vectors.cosines([row, 3], question))
        assert written.nearest(question)[0] == fresh.nearest(question)[0]


def test_a_saved_index_keeps_its_vectors_projection(monkeypatch):
    rng = np.random.default_rng(5)
    index = Index.build([embedded(f"d{n}", 100, rng) for n in range(3)])
    assert index.projection is not None
    fields = pickle.loads(pickle.dumps({f.name: getattr(index, f.name) for f in dataclasses.fields(Index)}))
    monkeypatch.setattr("qa_service.vector_search.Projection.of", lambda vectors: pytest.fail("fitted again"))

    loaded = Index(**fields)

    assert np.array_equal(loaded.projection.base.rows, index.projection.base.rows)
    question = index.vectors.floats(70)
    assert loaded.nearest(question) == index.nearest(question)
