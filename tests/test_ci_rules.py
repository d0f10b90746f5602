"""CI's rule: a test module skipped because an import failed fails the run
(``tests/conftest.py``), so a package missing from the test extras cannot
hide a failure; and the packages the tests import are installed."""

import importlib
import pathlib

import pytest

pytest_plugins = ["pytester"]

CONFTEST = pathlib.Path(__file__).with_name("conftest.py")


@pytest.mark.parametrize(
    "name",
    ["psutil", "joblib", "pandas", "keras", "ruff"]
    + ["nbclient", "nbformat", "ipykernel", "ipywidgets", "rich"]
    + ["sphinx", "sphinx_gallery", "myst_nb"]
    + ["onnx", "onnxruntime", "tf2onnx", "skl2onnx"]
    + ["dask", "distributed"],
)
def test_test_extras_are_installed(name):
    importlib.import_module(name)


def _run(pytester, monkeypatch, ci):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(
        # what pytest.importorskip reports for a missing package, simulated
        # (a real import of a missing name would be a skip in this file's eyes)
        test_needs_missing="import pytest\n"
        "pytest.skip(\"could not import 'simulated_missing': No module named "
        "'simulated_missing'\", allow_module_level=True)\n"
        "def test_a():\n    pass\n",
        test_fine="def test_b():\n    pass\n",
    )
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_a_module_skipped_for_a_missing_import_fails_ci(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, ci=True)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*skipped for a missing import*"])


def test_outside_ci_the_skip_is_only_reported(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, ci=False)
    assert result.ret == 0
