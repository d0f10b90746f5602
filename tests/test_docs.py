"""Docs are part of the product: every public name has a numpydoc docstring
whose examples run, and every script in examples/ runs.

The scripts run once, in the documentation site's build (the ``docs_site``
fixture of ``tests/conftest.py``: sphinx-gallery executes each and shows what
it printed); the example tests below check that printed output."""

import doctest
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sktrain
from sktrain import diagnostics

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

REPO_ROOT = Path(__file__).resolve().parents[1]
PUBLIC = [getattr(sktrain, name) for name in sktrain.__all__ if name[0] != "_"] + [
    getattr(diagnostics, name) for name in diagnostics.__all__
]
CLASSES = [obj for obj in PUBLIC if inspect.isclass(obj)]


def test_package_exports():
    assert sktrain.__all__ == [
        "DistilledClassifier",
        "DistilledRegressor",
        "KerasClassifier",
        "KerasRegressor",
        "KerasTransformer",
        "MLPClassifier",
        "MLPRegressor",
        "clear_cache",
        "export_onnx",
        "load",
        "plot_history",
        "register_skl2onnx",
        "__version__",
    ]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_numpydoc_sections_and_public_methods(cls):
    doc = inspect.getdoc(cls)
    for section in ("Parameters", "Attributes", "See Also", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, section
    params = inspect.signature(cls).parameters
    for name, p in params.items():
        if p.kind is p.VAR_KEYWORD:
            assert f"**{name}" in doc
        else:
            assert any(
                f"{sep}{name}{end}" in doc
                for sep in ("\n", ", ")
                for end in (" :", ",")
            ), name
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if not name.startswith("_"):
            member_doc = inspect.getdoc(member) or ""
            assert "Returns\n-------" in member_doc, f"{cls.__name__}.{name}"


def test_public_functions_have_numpydoc_sections():
    for func in (obj for obj in PUBLIC if not inspect.isclass(obj)):
        doc = inspect.getdoc(func)
        takes = bool(inspect.signature(func).parameters)
        for section in ("Parameters",) * takes + ("Returns", "Examples"):
            assert f"\n{section}\n{'-' * len(section)}\n" in doc, section


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_docstring_examples_run(cls):
    module = sys.modules[cls.__module__]
    tests = doctest.DocTestFinder().find(cls, cls.__name__, module=module, globs={})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=False)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def _number_after(text, label):
    return float(text.split(label)[1].split()[0])


def test_every_example_is_tested():
    scripts = sorted(p.name for p in (REPO_ROOT / "examples").glob("*.py"))
    assert scripts == [
        "diagnose.py",
        "distillation.py",
        "keras_models.py",
        "lr_find.py",
        "overfit_check.py",
        "quickstart.py",
        "training_toolkit.py",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["quickstart.py", "keras_models.py"])
def test_example_runs(docs_site, name):
    out = docs_site.example_output(name)
    assert _number_after(out, "held-out accuracy:") > 0.9


@pytest.mark.slow
def test_training_toolkit_example_prints_its_history(docs_site):
    out = docs_site.example_output("training_toolkit.py")
    epochs = int(_number_after(out, "epochs trained:"))
    rows = [ln.split() for ln in out.splitlines() if ln[:5].strip().isdigit()]
    assert len(rows) == epochs > 3
    lrs = [float(r[1]) for r in rows]
    assert lrs[0] < lrs[2] < lrs[3]  # the warmup rises to the base rate
    assert lrs[-1] < lrs[3]  # and the cosine falls from it
    assert _number_after(out, "best validation roc_auc:") > 0.95
    assert "checkpoint reloads the fitted estimator: True" in out


@pytest.mark.slow
def test_diagnose_example_finds_overfitting_and_its_fix(docs_site):
    out = docs_site.example_output("diagnose.py")
    assert "[warning] overfitting (from epoch" in out
    assert "no problems found" in out
    assert "overfitting before: True" in out and "overfitting after: False" in out
    assert 5 <= _number_after(out, "overfitting began at epoch:") <= 20  # measured 12
    before = _number_after(out, "held-out accuracy before:")  # measured 0.771
    after = _number_after(out, "held-out accuracy after:")  # measured 0.796
    assert 0.7 < before < after


@pytest.mark.slow
def test_overfit_check_example_prints_a_pass_and_a_failure(docs_site):
    out = docs_site.example_output("overfit_check.py")
    assert "correct setup passed: True" in out
    assert _number_after(out, "final loss:") < 0.01
    assert _number_after(out, "training accuracy:") == 1.0
    assert "The threshold was reached at epoch" in out
    assert "broken setup passed: False" in out
    assert "causes: lr_too_low\n" in out
    assert "raise mlpclassifier__learning_rate_init" in out


@pytest.mark.slow
def test_lr_find_example_prints_its_suggestions_and_the_fit(docs_site):
    out = docs_site.example_output("lr_find.py")
    valley = _number_after(out, "valley:")
    assert 1e-4 < valley < 1e-1
    assert 1e-4 < _number_after(out, "steepest:") < 1.0
    assert f"learning_rate_init={valley:.3g}" in out
    assert _number_after(out, "held-out accuracy:") > 0.95


@pytest.mark.slow
def test_distillation_example_prints_its_accuracies(docs_site):
    """Measured: teacher 0.907, labels alone 0.870, distilled 0.893,
    + unlabeled 0.889, + mixup 0.900, agreement 0.967."""
    out = docs_site.example_output("distillation.py")
    teacher = _number_after(out, "teacher (random forest):")
    hard = _number_after(out, "labels alone:")
    assert teacher > 0.88 and hard < teacher - 0.02
    for label in ("distilled student:", "unlabeled rows:", "mixup rows:"):
        assert _number_after(out, label) > hard + 0.01
    assert _number_after(out, "agreement with the teacher:") > 0.9


GUIDE_PAGES = [
    "quickstart.md",
    "schedules.md",
    "validation.md",
    "checkpoints.md",
    "monitoring.md",
    "optimizers.md",
    "mixed_precision.md",
    "losses.md",
    "fine_tuning.md",
    "troubleshooting.md",
    "distillation.md",
    "scaling.md",
]


def _run_page(page, tmp_path):
    """Every ```python block of ``page``, in order, in one fresh interpreter
    (cwd ``tmp_path``): the finished process."""
    import re

    text = (REPO_ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, f"{page} has no python code block"
    script = tmp_path / "page.py"
    script.write_text("\n\n".join(blocks))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def guide_page_runs(request, tmp_path_factory):
    """The selected guide pages' runs, started in the background (two at a
    time) on first use: page -> future of the finished process.

    Not while the site builds: the notebook it executes once stalled for the
    whole cell timeout under that load (see test_notebooks.py)."""
    from concurrent.futures import ThreadPoolExecutor

    pages = [
        item.callspec.params["page"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_guide_page_snippets_run"
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {
            page: pool.submit(_run_page, page, tmp_path_factory.mktemp("page"))
            for page in pages
        }


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDE_PAGES)
def test_guide_page_snippets_run(page, guide_page_runs):
    """Every ```python block of a guide page runs (the page's blocks in
    order, in one fresh interpreter; started by ``guide_page_runs``)."""
    proc = guide_page_runs[page].result()
    assert proc.returncode == 0, proc.stderr[-4000:]
