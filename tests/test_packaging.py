"""The package layout: every source folder is installed under the flowbot namespace."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT

MAPPING = {"flowbot": "flowbot", "flowbot.grammar": "grammar", "flowbot.compiler": "compiler", "flowbot.runtime": "runtime"}


def _source_packages() -> set[str]:
    found = set()
    for prefix, folder in MAPPING.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((prefix, *rel)))
    return found


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert _source_packages() - listed == set()


def test_no_generic_top_level_module_is_installed(tmp_path: Path) -> None:
    # Run from an empty folder so that the checkout itself is not on sys.path.
    code = (
        "import importlib.util, flowbot.compiler, flowbot.runtime, flowbot.grammar;"
        "print([n for n in ('compiler', 'runtime', 'grammar') if importlib.util.find_spec(n)])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
