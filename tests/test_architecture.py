"""The layout the engine-v2 issue asks for, checked: no import cycle (imports
inside functions included), no module over ~400 lines, every module listed in
docs/architecture.md, and ``import sktrain`` without TensorFlow."""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sktrain"
MAX_LINES = 400


def _modules():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _resolve(module, node, is_package):
    if node.level == 0:
        return node.module
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module, path, known):
    """sktrain modules ``module`` imports anywhere in its code."""
    targets = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node, is_package)
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name != "sktrain":
                targets.add(name)
            elif name == "sktrain" and module != "sktrain":
                targets.add("sktrain")
    return targets


def _graph():
    known = _modules()
    return {m: _imports(m, p, known) for m, p in known.items()}


def _find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "active"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "active":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_counting_imports_inside_functions():
    graph = _graph()
    assert "sktrain._engine.trainer" in graph["sktrain._mlp.base"]  # the walk works
    assert _find_cycle(graph) is None, " -> ".join(_find_cycle(graph))


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("name, path", sorted(_modules().items()))
def test_module_is_short(name, path):
    n_lines = len(path.read_text().splitlines())
    assert n_lines <= MAX_LINES, f"{name} has {n_lines} lines"


def test_architecture_page_names_every_module():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = [
        str(path.relative_to(PACKAGE))
        for path in _modules().values()
        if f"`{path.relative_to(PACKAGE).as_posix()}`" not in page
    ]
    assert not missing, f"docs/architecture.md does not list {missing}"


def test_engine_does_not_know_the_families():
    graph = _graph()
    for module, targets in graph.items():
        if module.startswith(("sktrain._engine", "sktrain._factory", "sktrain._io")):
            family = [
                t
                for t in targets
                if t.startswith(("sktrain._mlp", "sktrain._wrappers"))
            ]
            assert not family, f"{module} imports {family}"


def test_import_sktrain_does_not_import_tensorflow():
    code = (
        "import sys, sktrain, sktrain.diagnostics; "
        "print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


def test_utils_is_the_bottom_layer():
    graph = _graph()
    for module, targets in graph.items():
        if module.startswith("sktrain._utils"):
            outside = [t for t in targets if not t.startswith("sktrain._utils")]
            assert not outside, f"{module} imports {outside}"


def test_nothing_below_the_families_imports_the_tools_above_them():
    """``_diagnostics``, ``_distill`` and ``_onnx`` use the public estimators;
    the engine, the factory, persistence and the families never import them."""
    graph = _graph()
    tools = ("sktrain._diagnostics", "sktrain._distill", "sktrain.diagnostics")
    tools += ("sktrain._onnx",)
    for module, targets in graph.items():
        if not module.startswith(tools) and module != "sktrain":
            above = [t for t in targets if t.startswith(tools)]
            assert not above, f"{module} imports {above}"
