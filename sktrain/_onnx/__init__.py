"""ONNX export: a fitted estimator's network and its decoding as an ONNX
model that onnxruntime serves without TensorFlow (``export_onnx``), and
skl2onnx converters for sktrain's estimators (``register_skl2onnx``).

Needs the ``onnx`` extra (``pip install "sktrain[onnx]"``). ``import sktrain``
imports these modules but not tf2onnx, onnx or skl2onnx: the public functions
import them when called, and nothing is registered with skl2onnx until
``register_skl2onnx()`` runs.
"""
