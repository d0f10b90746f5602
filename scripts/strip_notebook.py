"""Strip notebooks before committing them: no outputs, no execution counts,
no execution timing or widget state.

    python scripts/strip_notebook.py examples/notebooks/*.ipynb
    python scripts/strip_notebook.py --check examples/notebooks/*.ipynb

``--check`` changes nothing and exits with 1 if a notebook is not stripped
(the test suite runs it).
"""

import sys

import nbformat


def strip(nb):
    """``nb`` (a NotebookNode) without outputs and execution state, in place."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def main(argv):
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        before = nbformat.writes(nb)
        after = nbformat.writes(strip(nb))
        if before != after:
            dirty.append(path)
            if not check:
                nbformat.write(nb, path)
    verb = "not stripped" if check else "stripped"
    for path in dirty:
        print(f"{verb}: {path}")
    return 1 if check and dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
