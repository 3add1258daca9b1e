"""Write broken and hostile variants of a small fixture graph to test/fixtures/hostile/.

Each variant breaks one part of the contract between a model directory and the engine, so the
unit tests can check that loading (or generating with) it fails with a message that names the
file, what was expected and what was found:

  missing-output.onnx   the graph output key.0 is gone
  wrong-head-size.onnx  key.0 keeps only 8 of its 16 head dims
  nan-logits.onnx       logits turn NaN from position 6 on (a probe at position 0 still passes)
  extra-input.onnx      a required input the engine cannot fill (logit_bias)
  int32-ids.onnx        input_ids is int32 instead of int64
  missing-data.onnx     weights in an external data file that is not there

The base is test/fixtures/models/stream-1layer (one layer, vocab 289, 4 heads of 16 dims).
Run with Debian's python3-onnx:

  /usr/bin/python3 tools/export/make_hostile_fixtures.py [--out test/fixtures/hostile]
"""

import argparse
import copy
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BASE = os.path.join(ROOT, "test", "fixtures", "models", "stream-1layer", "onnx", "model.onnx")


def output(model, name):
    return next(o for o in model.graph.output if o.name == name)


def rename_value(graph, name, new_name):
    """Points every producer and consumer of `name` at `new_name`, in subgraphs (If branches) too."""
    for node in graph.node:
        node.output[:] = [new_name if o == name else o for o in node.output]
        node.input[:] = [new_name if i == name else i for i in node.input]
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                rename_value(attribute.g, name, new_name)
            for sub in attribute.graphs:
                rename_value(sub, name, new_name)


def rename_output(model, name, new_name):
    """Renames the value behind graph output `name`; returns the graph output, now unproduced."""
    rename_value(model.graph, name, new_name)
    return output(model, name)


def missing_output(base):
    model = copy.deepcopy(base)
    model.graph.output.remove(output(model, "key.0"))
    return model


def wrong_head_size(base):
    model = copy.deepcopy(base)
    rename_output(model, "key.0", "key.0.full")
    consts = [
        helper.make_node("Constant", [], ["hostile.starts"], value=helper.make_tensor("s", TensorProto.INT64, [1], [0])),
        helper.make_node("Constant", [], ["hostile.ends"], value=helper.make_tensor("e", TensorProto.INT64, [1], [8])),
        helper.make_node("Constant", [], ["hostile.axes"], value=helper.make_tensor("a", TensorProto.INT64, [1], [3])),
    ]
    sl = helper.make_node("Slice", ["key.0.full", "hostile.starts", "hostile.ends", "hostile.axes"], ["key.0"])
    model.graph.node.extend(consts + [sl])
    # Declared shapes of an export are often symbolic: only the probe step can see the size.
    out = output(model, "key.0")
    out.CopyFrom(helper.make_tensor_value_info("key.0", TensorProto.FLOAT, ["batch", "seq", "heads", "head_dim"]))
    return model


def nan_logits(base):
    """logits + 0 * sqrt(5 - position): finite for positions 0..5, NaN after."""
    model = copy.deepcopy(base)
    rename_output(model, "logits", "logits.clean")
    nodes = [
        helper.make_node("Cast", ["position_ids"], ["hostile.pos"], to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["hostile.five"], value=helper.make_tensor("f", TensorProto.FLOAT, [], [5.0])),
        helper.make_node("Constant", [], ["hostile.zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Constant", [], ["hostile.axis"], value=helper.make_tensor("x", TensorProto.INT64, [1], [2])),
        helper.make_node("Sub", ["hostile.five", "hostile.pos"], ["hostile.left"]),
        helper.make_node("Sqrt", ["hostile.left"], ["hostile.root"]),
        helper.make_node("Mul", ["hostile.root", "hostile.zero"], ["hostile.poison"]),
        helper.make_node("Unsqueeze", ["hostile.poison", "hostile.axis"], ["hostile.poison3"]),
        # Logits may keep only the last rows (num_logits_to_keep): keep the same rows of the poison.
        helper.make_node("Shape", ["logits.clean"], ["hostile.shape"]),
        helper.make_node("Constant", [], ["hostile.one"], value=helper.make_tensor("o", TensorProto.INT64, [1], [1])),
        helper.make_node("Constant", [], ["hostile.two"], value=helper.make_tensor("t", TensorProto.INT64, [1], [2])),
        helper.make_node("Slice", ["hostile.shape", "hostile.one", "hostile.two"], ["hostile.rows"]),
        helper.make_node("Neg", ["hostile.rows"], ["hostile.negrows"]),
        helper.make_node("Constant", [], ["hostile.big"], value=helper.make_tensor("b", TensorProto.INT64, [1], [1 << 30])),
        helper.make_node("Slice", ["hostile.poison3", "hostile.negrows", "hostile.big", "hostile.one"], ["hostile.tail"]),
        helper.make_node("Add", ["logits.clean", "hostile.tail"], ["logits"]),
    ]
    model.graph.node.extend(nodes)
    return model


def extra_input(base):
    model = copy.deepcopy(base)
    rename_output(model, "logits", "logits.clean")
    model.graph.input.append(helper.make_tensor_value_info("logit_bias", TensorProto.FLOAT, [289]))
    model.graph.node.append(helper.make_node("Add", ["logits.clean", "logit_bias"], ["logits"]))
    return model


def int32_ids(base):
    model = copy.deepcopy(base)
    rename_value(model.graph, "input_ids", "input_ids.int64")
    ids = next(i for i in model.graph.input if i.name == "input_ids")
    ids.type.tensor_type.elem_type = TensorProto.INT32
    model.graph.node.insert(0, helper.make_node("Cast", ["input_ids"], ["input_ids.int64"], to=TensorProto.INT64))
    return model


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "hostile"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    base = onnx.load(BASE)
    for name, make in [
        ("missing-output", missing_output),
        ("wrong-head-size", wrong_head_size),
        ("nan-logits", nan_logits),
        ("extra-input", extra_input),
        ("int32-ids", int32_ids),
    ]:
        save(make(base), os.path.join(args.out, f"{name}.onnx"))
    # External data: the weights move to missing-data.onnx.data, which is then removed, as when
    # a download or copy left it behind.
    path = os.path.join(args.out, "missing-data.onnx")
    onnx.save_model(copy.deepcopy(base), path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="missing-data.onnx.data", size_threshold=1024)
    os.remove(os.path.join(args.out, "missing-data.onnx.data"))
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes) without its external data")


if __name__ == "__main__":
    main()
