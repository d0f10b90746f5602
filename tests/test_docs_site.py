"""The documentation site: the README's command builds it with warnings as
errors, and it has a page for every public name, every example (with what
it printed), the notebooks and every guide page.

One build per session (the ``docs_site`` fixture, ``tests/site_build.py``);
the example tests of ``tests/test_docs.py`` read the same build.
"""

import inspect
import json
import re
from pathlib import Path

import pytest
from site_build import REPO_ROOT, text_of

import sktrain
from sktrain import diagnostics

pytestmark = pytest.mark.slow

PUBLIC = [
    ("sktrain", name, getattr(sktrain, name))
    for name in sktrain.__all__
    if name != "__version__"
] + [
    ("sktrain.diagnostics", name, getattr(diagnostics, name))
    for name in diagnostics.__all__
]

# a line each example prints (its full output is checked in test_docs.py)
EXAMPLE_LINES = {
    "diagnose.py": "no problems found",
    "distillation.py": "agreement with the teacher:",
    "keras_models.py": "held-out accuracy:",
    "lr_find.py": "valley:",
    "overfit_check.py": "correct setup passed: True",
    "quickstart.py": "held-out accuracy:",
    "training_toolkit.py": "checkpoint reloads the fitted estimator: True",
}
NOTEBOOK = REPO_ROOT / "examples" / "notebooks" / "tabular.ipynb"
TF_NOISE = ("I0000 ", "W0000 ", "E0000 ", "absl::InitializeLog")


def test_readme_command_builds_the_site_without_warnings(docs_site):
    docs_site.check()  # -W: a warning would have failed the build
    assert "build succeeded" in docs_site.log
    pages = docs_site.pages()
    print(f"\nsite built in {docs_site.seconds:.0f} s, {len(pages)} HTML pages")
    assert (docs_site.html / "index.html").exists()


@pytest.mark.parametrize(
    "module, name, obj", PUBLIC, ids=[f"{m}.{n}" for m, n, _ in PUBLIC]
)
def test_every_public_name_has_its_api_page(docs_site, module, name, obj):
    full = f"{module}.{name}"
    page = docs_site.page(f"api/{full}.html")
    assert f'id="{full}"' in page  # the object's own description
    text = text_of(page)
    doc = inspect.getdoc(obj)
    for section in ("Parameters", "Attributes", "Returns", "Examples"):
        if f"\n{section}\n---" in doc:
            assert f"{section}:" in text or f"\n{section}\n" in text, section
    assert ">>> " in text  # the Examples' code
    if inspect.isclass(obj):
        for method in ("fit", "predict", "transform", "plot"):
            if hasattr(obj, method):
                assert f'id="{full}.{method}"' in page, method
    assert f'href="{full}.html"' in docs_site.page("api/index.html")


def test_api_links_reach_sklearn_numpy_and_keras_offline(docs_site):
    mlp = docs_site.page("api/sktrain.MLPClassifier.html")
    assert (
        'href="https://scikit-learn.org/stable/modules/generated/'
        'sklearn.neural_network.MLPClassifier.html#sklearn.neural_network.MLPClassifier"'
    ) in mlp  # See Also
    assert "https://numpy.org/doc/stable/reference/generated/numpy.ndarray.html" in mlp
    keras = docs_site.page("api/sktrain.KerasClassifier.html")
    assert 'href="https://keras.io/api/models/model/"' in keras


def test_every_example_has_its_gallery_page_with_its_output(docs_site):
    scripts = sorted(p.name for p in (REPO_ROOT / "examples").glob("*.py"))
    assert scripts == sorted(EXAMPLE_LINES)
    index = docs_site.page("auto_examples/index.html")
    for name in scripts:
        assert f'href="{Path(name).stem}.html"' in index, name
        output = docs_site.example_output(name)
        assert EXAMPLE_LINES[name] in output, (name, output)


def test_the_notebook_is_rendered_with_its_outputs(docs_site):
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code)  # stored without outputs
    page = docs_site.page(f"notebooks/{NOTEBOOK.stem}.html")
    assert page.count('class="cell_input') == len(code)
    assert page.count('class="cell_output') >= 1  # executed at build time
    assert not any(noise in text_of(page) for noise in TF_NOISE)
    assert f'href="{NOTEBOOK.stem}.html"' in docs_site.page("notebooks/index.html")


def test_every_guide_page_is_built_and_linked(docs_site):
    guide = docs_site.page("guide.html")
    developers = docs_site.page("developers.html")
    for md in sorted((REPO_ROOT / "docs").glob("*.md")):
        title = md.read_text().splitlines()[0].lstrip("# ").strip()
        page = docs_site.page(f"{md.stem}.html")
        assert title.replace("`", "") in text_of(page), md.name
        # links to other pages became links to their HTML; outside docs/, to
        # the gallery or to a plain path (docs/_ext/page_links.py)
        assert not re.findall(r'href="[^"]*\.md[#"]', page), md.name
        assert 'href="../' not in page, md.name
    for name in ("user_guide", "custom_models", "training", "troubleshooting"):
        assert f'href="{name}.html"' in guide, name
    assert 'href="architecture.html"' in developers
