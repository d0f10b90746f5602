"""Edits of the ONNX graph tf2onnx wrote: output names, the check that every
op has an ONNX definition, sktrain's metadata, and the optional float64 ->
float32 conversion of the whole graph."""

import json

import numpy as np

_FLOAT, _DOUBLE = 1, 11  # onnx.TensorProto.FLOAT / DOUBLE


def rename_outputs(model, names):
    """Name the graph's outputs ``names`` (in order), rewiring the nodes."""
    graph = model.graph
    if len(graph.output) != len(names):
        raise RuntimeError(f"tf2onnx wrote {len(graph.output)} outputs, not {names}.")
    renames = {out.name: new for out, new in zip(graph.output, names)}
    for node in graph.node:
        node.output[:] = [renames.get(n, n) for n in node.output]
        node.input[:] = [renames.get(n, n) for n in node.input]
    for out in graph.output:
        out.name = renames[out.name]


def name_batch_dims(model, name="N"):
    """Call the first (batch) dimension of every input and output ``name``
    (tf2onnx writes 'unk__<n>')."""
    for info in [*model.graph.input, *model.graph.output]:
        dims = info.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = name


def check_supported(model, estimator_name):
    """Raise a ValueError naming the ops tf2onnx left as TensorFlow ops
    (it logs them and writes an invalid graph)."""
    from onnx import defs

    unknown = {}
    for node in model.graph.node:
        if not defs.has(node.op_type, node.domain):
            unknown.setdefault(node.op_type, []).append(node.name)
    if unknown:
        where = "; ".join(f"{op} (at {', '.join(n)})" for op, n in unknown.items())
        raise ValueError(
            f"{estimator_name}'s network uses TensorFlow ops that have no ONNX "
            f"conversion: {where}. A node's name is model/layer/op (Keras may "
            "suffix the names with _1): replace that layer by one built from "
            "ops ONNX supports, or serve "
            "this model with TensorFlow (sktrain.load / pickle)."
        )


def add_metadata(model, estimator, kind, outputs):
    """sktrain's name, the estimator's class, the outputs' meaning and, for
    a classifier, ``classes_`` (JSON) in ``metadata_props``."""
    from .._version import __version__

    model.producer_name = "sktrain"
    model.producer_version = __version__
    props = {
        "estimator": type(estimator).__name__,
        "kind": kind,
        "outputs": ",".join(outputs),
    }
    if kind == "classifier":
        props["classes"] = json.dumps(np.asarray(estimator.classes_).tolist())
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def to_float32(model):
    """Every float64 tensor of the graph as float32: initializers, constants,
    casts, inputs, outputs and value infos (a float64 network computing in
    float32; ints, strings and bools untouched)."""
    from onnx import numpy_helper

    graph = model.graph
    for i, init in enumerate(graph.initializer):
        if init.data_type == _DOUBLE:
            graph.initializer[i].CopyFrom(_as_float(init, numpy_helper))
    for node in graph.node:
        for attr in node.attribute:
            if attr.name == "value" and attr.t.data_type == _DOUBLE:
                attr.t.CopyFrom(_as_float(attr.t, numpy_helper))
            elif attr.name in ("to", "dtype") and attr.i == _DOUBLE:
                attr.i = _FLOAT
    for info in [*graph.input, *graph.output, *graph.value_info]:
        tensor = info.type.tensor_type
        if tensor.elem_type == _DOUBLE:
            tensor.elem_type = _FLOAT


def _as_float(tensor, numpy_helper):
    array = numpy_helper.to_array(tensor).astype(np.float32)
    return numpy_helper.from_array(array, tensor.name)


def at_opset(model, opset):
    """``model`` converted to a newer default-domain ``opset`` by onnx's
    version converter (tf2onnx writes up to 18)."""
    from onnx import version_converter

    return version_converter.convert_version(model, opset)
