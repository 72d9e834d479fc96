"""A model's int8 token table kept int8 when ONNX Runtime runs it: its graph rewritten before the session opens.

The sentence model's export (`meaning.model_files`) stores each weight matrix as int8 steps and turns them into
floats inside the graph: a `Cast` to float, then a `Mul` by a scale (per row for the token embeddings). Every input
of those two nodes is a constant, so ONNX Runtime folds them when it opens a session, and the 30,522 × 384
token-embedding table becomes 45 MB of float32 in every process, of which a question reads a few rows.

Looking a token's row up before turning it into floats gives the same floats, so `rows_looked_up_first` rewrites
`Gather(Mul(Cast(steps), scale), ids)` as `Mul(Cast(Gather(steps, ids)), Gather(scale, ids))`: every output is the
same, bit for bit (`tests/test_onnx_graph.py`), and the table stays int8. The products with the other weight
matrices are left as they are: made on integers (as the cross-encoder's export does), they would take the rest of
the folded floats away and run about three times as fast, but the vectors move (README, "The sentence model's
memory": the products on integers, tried and dropped).
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper


def rows_looked_up_first(model: bytes) -> bytes:
    """The model with every lookup (`Gather` along the rows) of a matrix made from int8 steps times a scale made on
    the steps and the scales, the floats made from the rows looked up only; the rest of the graph as it was."""
    proto = onnx.load_from_string(model)
    graph = proto.graph
    constants = {i.name: i for i in graph.initializer}
    made_by = {output: node for node in graph.node for output in node.output}

    def dequantised(name: str) -> tuple[str, str] | None:
        """The int8 steps and the scale a float matrix is made of in the graph, or None when it is not."""
        mul = made_by.get(name)
        if mul is None or mul.op_type != "Mul" or mul.input[1] not in constants:
            return None
        cast = made_by.get(mul.input[0])
        if cast is None or cast.op_type != "Cast" or cast.input[0] not in constants:
            return None
        if constants[cast.input[0]].data_type != TensorProto.INT8:
            return None
        return cast.input[0], mul.input[1]

    nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        matrix = dequantised(node.input[0]) if node.op_type == "Gather" and _axis(node) == 0 else None
        if matrix is None:
            nodes.append(node)
            continue
        (steps, scale), ids, out = matrix, node.input[1], node.output[0]
        nodes += [helper.make_node("Gather", [steps, ids], [f"{out}/steps"], name=f"{out}/steps"),
                  helper.make_node("Cast", [f"{out}/steps"], [f"{out}/floats"], to=TensorProto.FLOAT,
                                   name=f"{out}/floats"),
                  helper.make_node("Gather", [scale, ids], [f"{out}/scale"], name=f"{out}/scale"),
                  helper.make_node("Mul", [f"{out}/floats", f"{out}/scale"], [out], name=out)]
    # A float matrix that nothing reads any more is not made at all: drop its Mul, then its Cast.
    for _ in range(2):
        used = {name for node in nodes for name in node.input} | {o.name for o in graph.output}
        nodes = [node for node in nodes if any(output in used for output in node.output)]
    del graph.node[:]
    graph.node.extend(nodes)
    return proto.SerializeToString()


def _axis(node: onnx.NodeProto) -> int:
    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == "axis"), 0)
