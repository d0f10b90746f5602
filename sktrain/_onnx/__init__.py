"""ONNX export: a fitted estimator's network and its decoding as an ONNX
model that onnxruntime serves without TensorFlow (``export_onnx``), and
skl2onnx converters for sktrain's estimators (``register_skl2onnx``).

Needs the ``onnx`` extra (``pip install "sktrain[onnx]"``); nothing here is
imported by ``import sktrain`` beyond ``export.py``'s functions, which import
tf2onnx, onnx and skl2onnx when called.
"""
