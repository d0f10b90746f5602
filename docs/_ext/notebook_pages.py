"""The notebooks of ``examples/notebooks/`` as pages of the site.

Sphinx reads documents only inside its source folder, so at ``config-inited``
this copies each ``examples/notebooks/*.ipynb`` to ``docs/notebooks/`` and
writes ``docs/notebooks/index.md``, a toctree over them (``docs/notebooks/``
is generated, so it is not in git). myst-nb then executes each notebook
(they are stored without outputs; see ``nb_execution_*`` in conf.py) and
renders its cells and outputs. A notebook added to ``examples/notebooks/``
appears without editing anything here.

TensorFlow's C++ runtime writes start-up lines (``I0000 ...``, ``WARNING:
All log messages before absl::InitializeLog() ...``) to the kernel's stderr,
which Jupyter shows as a cell's output; ``TF_CPP_MIN_LOG_LEVEL`` does not
silence all of them. At ``doctree-read`` those lines are dropped from the
notebooks' stderr outputs; anything else on stderr (a Python warning) stays.
"""

import shutil
from pathlib import Path

from docutils import nodes

TF_NOISE = (
    "I0000 ",
    "W0000 ",
    "E0000 ",
    "WARNING: All log messages before absl::InitializeLog()",
    "To enable the following instructions:",
)

INDEX = """\
# Notebooks

The notebooks in `examples/notebooks/`, executed when this site was built.
{body}
"""


def write_pages(app, config):
    source = Path(app.confdir).parent / "examples" / "notebooks"
    folder = Path(app.srcdir) / "notebooks"
    folder.mkdir(exist_ok=True)
    notebooks = sorted(source.glob("*.ipynb"))
    for stale in {p.name for p in folder.glob("*.ipynb")} - {p.name for p in notebooks}:
        (folder / stale).unlink()
    for nb in notebooks:
        target = folder / nb.name
        if not target.exists() or target.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target)
    if notebooks:
        entries = "\n".join(nb.stem for nb in notebooks)
        body = f"\n```{{toctree}}\n:maxdepth: 1\n\n{entries}\n```"
    else:
        body = "\nThere are none in this checkout."
    index = folder / "index.md"
    text = INDEX.format(body=body)
    if not index.exists() or index.read_text() != text:
        index.write_text(text)


def drop_tensorflow_noise(app, doctree):
    """Remove TensorFlow's C++ log lines from the notebooks' stderr outputs."""
    for block in list(doctree.findall(nodes.literal_block)):
        if "stderr" not in block["classes"]:
            continue
        lines = block.astext().splitlines(keepends=True)
        kept = "".join(ln for ln in lines if not ln.startswith(TF_NOISE))
        if not kept.strip():
            block.parent.remove(block)
        elif len(kept) < len(block.astext()):
            block.children = [nodes.Text(kept)]
            block.rawsource = kept
    for output in list(doctree.findall(nodes.container)):
        if "cell_output" in output["classes"] and not output.children:
            output.parent.remove(output)


def setup(app):
    app.connect("config-inited", write_pages)
    app.connect("doctree-read", drop_tensorflow_noise)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
