"""The sentence model's graph, rewritten so that its int8 token table stays int8: the same outputs, bit for bit."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

from qa_service.meaning import SentenceEncoder, model_files
from qa_service.onnx_graph import rows_looked_up_first
from qa_service.onnx_session import OnnxSession, batch_feeds


def _run(model: bytes, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    return OnnxSession(model, threads=1).open().run(None, feeds)


def _table_model(also_multiplied: bool = False) -> bytes:
    """Rows looked up in a table of int8 steps times a scale per row, as the sentence model's token embeddings are;
    with `also_multiplied`, the float table is read by something else too (as tied weights are)."""
    steps = np.array([[1, -2, 3], [127, 0, -127], [5, 6, 7], [-1, -1, 2]], np.int8)
    scale = np.array([[0.5], [0.01], [2.0], [0.25]], np.float32)
    nodes = [helper.make_node("Cast", ["steps"], ["floats"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["floats", "scale"], ["table"]),
             helper.make_node("Gather", ["table", "ids"], ["rows"])]
    outputs = ["rows"]
    if also_multiplied:
        nodes += [helper.make_node("Transpose", ["table"], ["transposed"]),
                  helper.make_node("MatMul", ["rows", "transposed"], ["products"])]
        outputs.append("products")
    graph = helper.make_graph(
        nodes, "table", [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        [numpy_helper.from_array(steps, "steps"), numpy_helper.from_array(scale, "scale")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize("also_multiplied", [False, True])
def test_rows_looked_up_in_steps_are_the_rows_of_the_float_table_bit_for_bit(also_multiplied):
    original = _table_model(also_multiplied)
    ids = {"ids": np.array([3, 0, 1, 1], np.int64)}
    for before, after in zip(_run(original, ids), _run(rows_looked_up_first(original), ids), strict=True):
        assert np.array_equal(after, before)


def test_the_float_table_is_made_only_when_something_else_reads_it():
    def makes_float_table(model: bytes) -> bool:
        return any(node.output[0] == "floats" for node in onnx.load_from_string(model).graph.node)

    assert not makes_float_table(rows_looked_up_first(_table_model()))
    assert makes_float_table(rows_looked_up_first(_table_model(also_multiplied=True)))


def test_the_sentence_model_gives_the_same_token_vectors_bit_for_bit():
    files = model_files()
    tokenizer = Tokenizer.from_str(files.tokenizer)
    texts = ["Does the tablet make you drowsy?", "Prune the roses before the first buds open in spring.", "Hi"]
    feeds = batch_feeds(tokenizer.encode_batch(texts))
    [as_exported] = _run(files.onnx, feeds)
    [rewritten] = _run(rows_looked_up_first(files.onnx), feeds)
    assert np.array_equal(rewritten, as_exported)
    assert SentenceEncoder(files, threads=1).identity == files.identity  # embeddings saved before stay valid


def test_the_sentence_model_looks_its_tokens_up_in_the_int8_table():
    graph = onnx.load_from_string(rows_looked_up_first(model_files().onnx)).graph
    stored = {i.name: i.data_type for i in graph.initializer}
    lookups = [node.input[0] for node in graph.node if node.op_type == "Gather" and node.input[1] == "input_ids"]
    # The int8 steps and their scales, both as stored; no table of floats made in the graph.
    assert sorted(stored.get(table) for table in lookups) == sorted([TensorProto.INT8, TensorProto.FLOAT])
