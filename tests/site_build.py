"""The documentation site, built by the README's command, and what it shows.

``tests/conftest.py``'s session fixture ``docs_site`` builds it once per test
session (the gallery runs every example while it builds), so
``tests/test_docs_site.py`` and the example tests of ``tests/test_docs.py``
read one build.
"""

import html
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README_OUTDIR = "docs/_build/html"
SCRIPT_OUT = re.compile(
    r'<div class="sphx-glr-script-out[^"]*"><div class="highlight"><pre>(.*?)</pre>',
    re.S,
)


def readme_docs_command():
    """The README's documentation command without its ``pip install`` part."""
    block = (REPO_ROOT / "README.md").read_text().split("```bash\n", 1)[1]
    block = block.split("```", 1)[0]
    line = next(ln for ln in block.splitlines() if "sphinx" in ln)
    install, build = line.split(" && ")
    assert install.startswith("pip install"), line
    return shlex.split(build)


def text_of(fragment):
    """The text of an HTML fragment: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


class DocsSite:
    """A finished build: its exit code, log, duration and HTML tree."""

    def __init__(self, html_dir, proc, seconds):
        self.html = html_dir
        self.returncode = proc.returncode
        self.log = proc.stdout + proc.stderr
        self.seconds = seconds

    def check(self):
        assert self.returncode == 0, self.log[-6000:]

    def page(self, relative):
        self.check()
        path = self.html / relative
        assert path.exists(), f"no page {relative}"
        return path.read_text()

    def pages(self):
        return sorted(self.html.rglob("*.html"))

    def example_output(self, name):
        """What ``examples/<name>`` printed when the gallery ran it."""
        page = self.page(f"auto_examples/{Path(name).stem}.html")
        return "".join(text_of(block) for block in SCRIPT_OUT.findall(page))


def build_site(folder):
    """Run the README's command with the output in ``folder/html``."""
    command = readme_docs_command()
    assert command[:3] == ["python", "-m", "sphinx"], command
    assert command[-1] == README_OUTDIR, command
    html_dir = Path(folder) / "html"
    command = [sys.executable, *command[1:-1], str(html_dir)]
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800
    )
    return DocsSite(html_dir, proc, time.perf_counter() - start)
