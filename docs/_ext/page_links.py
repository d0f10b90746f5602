"""Links that leave ``docs/``, made right for the site.

The Markdown pages are read on GitHub too, where ``[the example](../examples/
quickstart.py)`` opens the script. On the site that file is not a page, so at
``source-read`` a Markdown link whose target lies outside ``docs/`` is
rewritten (the file on disk keeps its GitHub link):

- ``examples/<name>.py`` -> the gallery page ``auto_examples/<name>``;
- ``examples/notebooks/<name>.ipynb`` -> the notebook page ``notebooks/<name>``;
- any other file of the repository -> its path as inline code
  (``benchmarks/bench.py``), since the site has no copy of it.

Notebooks are copied from ``examples/notebooks/`` into ``docs/notebooks/``;
their relative links are resolved from where they are kept.
"""

import posixpath
import re
from pathlib import Path

LINK = re.compile(  # [label](target#anchor), not an image's ![alt](src)
    r"(?<!!)\[(?P<label>[^\]\n]+)\]"
    r"\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)"
)


def _site_target(repo_path):
    """A doc path (from the source root) or None for a plain file."""
    parts = repo_path.split("/")
    if parts[0] == "docs" and parts[-1].endswith((".md", ".rst")):
        return "/".join(parts[1:])
    if parts[:1] == ["examples"] and len(parts) == 2 and parts[1].endswith(".py"):
        return f"auto_examples/{parts[1][:-3]}.rst"
    if parts[:2] == ["examples", "notebooks"] and parts[-1].endswith(".ipynb"):
        return f"notebooks/{parts[-1]}"
    return None


def rewrite(text, kept_in, docname):
    """Rewrite the Markdown links of ``text``, a page kept in ``kept_in``
    (a folder relative to the repository root) and built as ``docname``."""
    doc_folder = posixpath.dirname(docname)

    def replace(match):
        target = match["target"]
        if "://" in target or target.startswith(("mailto:", "/", "#")):
            return match[0]
        repo_path = posixpath.normpath(posixpath.join(kept_in, target))
        if kept_in == "docs" and repo_path.startswith("docs/"):
            return match[0]  # a page next to this one: MyST resolves it
        site = _site_target(repo_path)
        if site is None:
            return f"{match['label']} (`{repo_path}`)"
        relative = posixpath.relpath(site, doc_folder or ".")
        return f"[{match['label']}]({relative}{match['anchor'] or ''})"

    return LINK.sub(replace, text)


def on_source_read(app, docname, source):
    path = Path(app.env.doc2path(docname))
    if path.suffix not in (".md", ".ipynb"):
        return
    if docname.startswith("notebooks/"):
        kept_in = "examples/notebooks"
    elif docname.startswith(("auto_examples/", "api/")):
        return
    else:
        kept_in = posixpath.join("docs", posixpath.dirname(docname)).rstrip("/")
    source[0] = rewrite(source[0], kept_in, docname)


def setup(app):
    app.connect("source-read", on_source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
