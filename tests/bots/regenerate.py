"""Rewrite the golden outputs of the example bots (``tests/bots/golden/<bot>/``).

Run ``python -m tests.bots.regenerate`` after changing the compiler's output on purpose, then
review the diff: the golden files are what the compiler promises to write.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flowbot.compiler import build
from tests.conftest import ROOT

BOTS = ROOT / "bots"
GOLDEN = Path(__file__).parent / "golden"
SKIPPED = ("nlu",)  # the NLU model is the NLU trainer's output, tested with it


def example_bots() -> list[str]:
    return sorted(p.name for p in BOTS.iterdir() if p.is_dir() and any(p.glob("*.flow")))


def compiled_files(folder: Path) -> dict[str, bytes]:
    """Every file of a compiled bot by relative path (the NLU model left out)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] not in SKIPPED
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in example_bots():
            out = Path(tmp) / name
            result = build(BOTS / name, out)
            if not result.ok:
                raise SystemExit(f"{name} does not compile: {[d.message for d in result.diagnostics]}")
            target = GOLDEN / name
            shutil.rmtree(target, ignore_errors=True)
            for rel, data in compiled_files(out).items():
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                (target / rel).write_bytes(data)
            print(name)


if __name__ == "__main__":
    main()
