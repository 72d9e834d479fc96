"""The in-process benchmark's sampled vectors (bench/inprocess.py): the semantic stage timed on a corpus too large
to embed."""

import numpy as np

from bench.inprocess import with_sampled_vectors
from qa_service.answering import answer, answering_model
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.meaning import WIDTH

TEXT = "\n\n".join(f"Harbour {n} opened in {1800 + n} with {n} berths and a lighthouse." for n in range(300))


def test_every_sentence_gets_a_unit_vector_as_if_the_model_had_embedded_it(encoder):
    index = Index.build([analyse(parse_document("harbours", TEXT))])
    assert answering_model(index, encoder) == "words"

    with_sampled_vectors(index, encoder, sample=20)

    assert (len(index.vectors), index.vectors.width) == (index.sentence_count, WIDTH)
    assert len(np.unique(index.vectors.steps, axis=0)) == index.sentence_count
    sampled = encoder.encode([index.documents[0].document.text[s.start:s.end] for s in index.documents[0].sentences])
    nearest_sampled = (index.vectors.floats() @ sampled.T).max(axis=1)
    assert np.all(nearest_sampled > 0.8)
    assert np.allclose(np.linalg.norm(index.vectors.floats(), axis=1), 1.0, atol=5e-3)  # int8 steps
    assert index.projection is not None
    assert answering_model(index, encoder) == "meaning"
    assert answer(index, "When did harbour 7 open?", encoder=encoder).query.terms
