"""Every example of docs/language.md compiles, and together they show every construct of the
language (every rule of the grammar appears in at least one example)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowbot.compiler import build
from flowbot.compiler.parse import parser
from flowbot.compiler.parse import prepare
from flowbot.runtime.bot import load_bot
from tests.conftest import ROOT

DOC = ROOT / "docs" / "language.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)
FILE_MARK = re.compile(r"^# file: (\S+)\n", re.MULTILINE)


def _examples() -> list[dict[str, str]]:
    """Each ```flow block is an example; ```python blocks after it add files to it.
    ``# file: <path>`` lines split a block into files (``main.flow`` when there is none)."""
    examples: list[dict[str, str]] = []
    for language, body in FENCE.findall(DOC.read_text(encoding="utf-8")):
        if language not in ("flow", "python"):
            continue
        parts = FILE_MARK.split(body)
        files = {"main.flow": parts[0]} if parts[0].strip() else {}
        files.update(dict(zip(parts[1::2], parts[2::2])))
        if language == "flow":
            examples.append(files)
        else:
            assert examples, "a python example must follow the flow example it belongs to"
            examples[-1].update(files)
    return examples


EXAMPLES = _examples()


def test_the_documentation_has_examples() -> None:
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("files", EXAMPLES, ids=[next(iter(e.values())).split("\n")[0][:40] for e in EXAMPLES])
def test_example_compiles_without_diagnostics(files: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, encoding="utf-8")
    result = build(src, tmp_path / "out")
    assert result.diagnostics == [], [f"{d.code} {d.message} at {d.span}" for d in result.diagnostics]
    load_bot(tmp_path / "out")


def test_examples_show_every_construct() -> None:
    shown: set[str] = set()
    for files in EXAMPLES:
        for rel, text in files.items():
            if rel.endswith(".flow"):
                shown |= {str(t.data) for t in parser().parse(prepare(text)).iter_subtrees()}
    constructs = set()
    for rule in parser().rules:
        inlined = rule.origin.name.startswith("_") or (
            rule.alias is None and rule.options.expand1 and len(rule.expansion) == 1
        )
        if not inlined:
            constructs.add(str(rule.alias or rule.origin.name))
    assert constructs - shown == set()
