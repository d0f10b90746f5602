"""The API reference, written from the public ``__all__`` lists at build time.

At ``config-inited`` this writes ``docs/api/index.rst`` (one autosummary table
per public module) and one page per public name, ``docs/api/<module>.<name>.rst``:
a class page shows the class docstring (numpydoc: Parameters, Attributes,
See Also, Examples), a table of its public methods and properties and their
documentation; a function page its docstring. A name added to
``sktrain.__all__`` or ``sktrain.diagnostics.__all__`` gets its page without
editing anything here; a page whose name left ``__all__`` is deleted.
``docs/api/`` is generated, so it is not in git.
"""

import importlib
import inspect
from pathlib import Path

MODULES = ("sktrain", "sktrain.diagnostics")
SKIP = {"__version__"}

INDEX_HEAD = """\
API reference
=============

Every public name of ``sktrain`` and ``sktrain.diagnostics``. These pages are
generated from the two modules' ``__all__`` lists when the site is built.
"""

MODULE_SECTION = """
{title}
{underline}

.. automodule:: {module}
   :no-members:
   :no-index:

.. currentmodule:: {module}
"""

TABLE = """
.. rubric:: {caption}

.. autosummary::
   :nosignatures:

{rows}
"""

CLASS_PAGE = """\
{full}
{underline}

.. currentmodule:: {module}

.. autoclass:: {name}
{members}
"""

FUNCTION_PAGE = """\
{full}
{underline}

.. currentmodule:: {module}

.. autofunction:: {name}
"""


def public_names(modname):
    """The documented names of ``modname``: its ``__all__`` minus dunders."""
    module = importlib.import_module(modname)
    return [name for name in module.__all__ if name not in SKIP], module


def class_members(cls):
    """Public methods and properties of ``cls`` (inherited ones too), by kind.

    A property without a docstring is left out: the class's Attributes
    section describes it.
    """
    methods, properties = [], []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(cls, name)
        if isinstance(static, property):
            if static.__doc__:
                properties.append(name)
        elif callable(getattr(cls, name, None)) and not inspect.isclass(static):
            methods.append(name)
    return methods, properties


def _indent(lines, width=3):
    pad = " " * width
    return "\n".join(pad + line if line else "" for line in lines)


def class_page(module, name, cls):
    methods, properties = class_members(cls)
    body = []
    if methods or properties:
        body.append(f":members: {', '.join(methods + properties)}")
        body.append("")
    for caption, names in (("Methods", methods), ("Properties", properties)):
        if names:
            body += [f".. rubric:: {caption}", "", ".. autosummary::"]
            body += ["   :nosignatures:", ""]
            body += [f"   ~{name}.{member}" for member in names]
            body.append("")
    full = f"{module}.{name}"
    return CLASS_PAGE.format(
        full=full,
        underline="=" * len(full),
        module=module,
        name=name,
        members=_indent(body),
    )


def function_page(module, name):
    full = f"{module}.{name}"
    return FUNCTION_PAGE.format(
        full=full, underline="=" * len(full), module=module, name=name
    )


def pages():
    """{relative path: text} of every API page, the index included."""
    out = {}
    index = [INDEX_HEAD]
    toctree = []
    for modname in MODULES:
        names, module = public_names(modname)
        title = f"``{modname}``"
        index.append(
            MODULE_SECTION.format(
                title=title, underline="-" * len(title), module=modname
            )
        )
        classes = [n for n in names if inspect.isclass(getattr(module, n))]
        functions = [n for n in names if n not in classes]
        for caption, group in (("Classes", classes), ("Functions", functions)):
            if group:
                rows = _indent(group)
                index.append(TABLE.format(caption=caption, rows=rows))
        for name in names:
            obj = getattr(module, name)
            page = (
                class_page(modname, name, obj)
                if inspect.isclass(obj)
                else function_page(modname, name)
            )
            out[f"{modname}.{name}.rst"] = page
            toctree.append(f"{modname}.{name}")
    index.append("\n.. toctree::\n   :hidden:\n\n" + _indent(toctree) + "\n")
    out["index.rst"] = "".join(index)
    return out


def write_pages(app, config):
    folder = Path(app.srcdir) / "api"
    folder.mkdir(exist_ok=True)
    wanted = pages()
    for stale in set(p.name for p in folder.glob("*.rst")) - set(wanted):
        (folder / stale).unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text() != text:  # keep mtimes stable
            path.write_text(text)


def setup(app):
    app.connect("config-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
