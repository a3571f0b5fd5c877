"""Run every benchmark module's ``main()`` (or only those named on the command line)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")
    )
    wanted = argv or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)} (available: {', '.join(names)})")
    for name in wanted:
        module = importlib.import_module(f"benchmarks.{name}")
        if hasattr(module, "main"):
            print(f"== {name}", flush=True)
            module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
