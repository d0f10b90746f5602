"""skl2onnx converters for sktrain's estimators (``register_skl2onnx``).

Each converter embeds the graph ``export_onnx`` writes (``onnx_model`` at the
container's opset) into skl2onnx's container: every node and initializer
renamed under a prefix unique to the operator, the step's input cast to the
network's input dtype, the outputs cast to what skl2onnx declared (its
convention: float outputs in the pipeline input's float type, labels int64
or string). Classifiers take skl2onnx's ``zipmap`` option like sklearn's
(default: a ZipMap of the probabilities; ``options={id(clf): {"zipmap":
False}}`` gives the probabilities array).
"""

import numpy as np

from .._distill.estimators import DistilledClassifier, DistilledRegressor
from .._mlp.classifier import MLPClassifier
from .._mlp.regressor import MLPRegressor
from .._wrappers.estimators import KerasClassifier, KerasRegressor
from .._wrappers.transformer import KerasTransformer
from .export import onnx_model

CLASSIFIERS = (MLPClassifier, KerasClassifier, DistilledClassifier)
OTHERS = (MLPRegressor, KerasRegressor, KerasTransformer, DistilledRegressor)
# skl2onnx's ZipMap choices; ``nocl`` (labels as indices) is not offered
_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False]}


def register_skl2onnx(*classes):
    """Register skl2onnx converters for sktrain's estimators.

    After this call, ``skl2onnx.to_onnx`` converts a Pipeline (or any
    skl2onnx-convertible composition) whose steps include a fitted
    ``MLPClassifier``, ``MLPRegressor``, ``KerasClassifier``,
    ``KerasRegressor``, ``KerasTransformer``, ``DistilledClassifier`` or
    ``DistilledRegressor``: the estimator's step is the graph that
    :func:`sktrain.export_onnx` writes, embedded. A classifier's outputs are
    skl2onnx's ``label`` (int64, or strings for string labels) and
    ``probabilities`` (a ZipMap unless the ``zipmap`` option is False), in
    the pipeline input's float type; a regressor's or transformer's is
    ``variable``. Nothing is registered at ``import sktrain``.

    Parameters
    ----------
    *classes : type
        Subclasses of these estimators to register too (skl2onnx looks
        converters up by exact class).

    Returns
    -------
    registered : list of type
        The classes registered.

    See Also
    --------
    sktrain.export_onnx : Export one estimator.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktrain import MLPClassifier, register_skl2onnx
    >>> X = np.random.RandomState(0).normal(5, 3, size=(60, 3))
    >>> y = (X[:, 0] > 5).astype(int)
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier(
    ...     hidden_layer_sizes=(8,), max_iter=5, random_state=0)).fit(X, y)
    >>> _ = register_skl2onnx()
    >>> onx = to_onnx(pipe, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> label, proba = session.run(None, {"X": X})
    >>> bool(np.allclose(proba, pipe.predict_proba(X), atol=1e-10))
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(
            'register_skl2onnx needs skl2onnx: pip install "sktrain[onnx]"'
        ) from exc
    registered = []
    for cls in (*CLASSIFIERS, *OTHERS, *classes):
        classifier = issubclass(cls, CLASSIFIERS)
        if not issubclass(cls, CLASSIFIERS + OTHERS):
            raise TypeError(
                f"{cls.__name__} is not a subclass of an sktrain estimator."
            )
        update_registered_converter(
            cls,
            f"Sktrain{cls.__name__}",
            _classifier_shapes if classifier else _variable_shapes,
            _convert,
            options=_CLASSIFIER_OPTIONS if classifier else None,
        )
        registered.append(cls)
    return registered


def _classifier_shapes(operator):
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    est = operator.raw_operator
    classes = np.asarray(est.classes_)
    n = operator.inputs[0].get_first_dimension()
    if getattr(est, "_target", None) is not None and est._target.kind == "multilabel":
        raise NotImplementedError(
            "skl2onnx's classifier outputs have one label per row; export a "
            "multilabel classifier with sktrain.export_onnx."
        )
    label = StringTensorType if classes.dtype.kind in "OUS" else Int64TensorType
    operator.outputs[0].type = label(shape=[n])
    operator.outputs[1].type = _float_type(operator)(shape=[n, len(classes)])


def _variable_shapes(operator):
    est = operator.raw_operator
    est = getattr(est, "student_", est)
    n = operator.inputs[0].get_first_dimension()
    if hasattr(est, "transform"):
        shape = [n, int(est._n_features_out)]
    else:
        one_d = est._target.predicts_1d
        shape = [n] if one_d else [n, est._target.n_outputs]
    operator.outputs[0].type = _float_type(operator)(shape=shape)


def _float_type(operator):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    return DoubleTensorType if double else FloatTensorType


def _convert(scope, operator, container):
    est = operator.raw_operator
    model = onnx_model(est, opset=container.target_opset_onnx)
    graph = model.graph
    if len(graph.input) != 1:
        raise NotImplementedError(
            "skl2onnx steps take one input; this network takes several."
        )
    prefix = scope.get_unique_variable_name(f"{type(est).__name__}_")
    names = {}
    x = operator.inputs[0].full_name
    names[graph.input[0].name] = _cast(scope, container, x, graph.input[0], prefix)
    outs = {o.name: f"{prefix}{o.name}" for o in graph.output}
    names.update(outs)
    _embed(container, graph, names, prefix)
    # label, probabilities / predictions / features: as skl2onnx declared them
    for var, out in zip(operator.outputs, graph.output):
        container.add_node(
            "Cast",
            [outs[out.name]],
            [var.full_name],
            name=f"{prefix}cast_{out.name}",
            to=var.type.to_onnx_type().tensor_type.elem_type,
        )


def _cast(scope, container, name, graph_input, prefix):
    """The step's input as the network's input dtype (a Cast node)."""
    cast = f"{prefix}input"
    container.add_node(
        "Cast",
        [name],
        [cast],
        name=f"{prefix}cast_input",
        to=graph_input.type.tensor_type.elem_type,
    )
    return cast


def _embed(container, graph, names, prefix):
    """Add ``graph``'s initializers and nodes, every tensor renamed."""
    from onnx import helper, numpy_helper

    def rename(n):
        return names.get(n) or (f"{prefix}{n}" if n else n)

    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        container.add_initializer(
            rename(init.name),
            init.data_type,
            list(array.shape),
            array.flatten().tolist(),
        )
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if any(hasattr(v, "node") for v in attrs.values()):
            raise NotImplementedError(
                f"{node.op_type} with a subgraph cannot be embedded."
            )
        container.add_node(
            node.op_type,
            [rename(n) for n in node.input],
            [rename(n) for n in node.output],
            op_domain=node.domain,
            name=rename(node.name),
            **attrs,
        )
