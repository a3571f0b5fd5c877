"""Run every benchmark module of this package that defines ``main()`` (or only those named)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def run(names: list[str]) -> None:
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or (names and info.name not in names):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        main = getattr(module, "main", None)
        if callable(main):
            print(f"== benchmarks.{info.name}", flush=True)
            main([])


if __name__ == "__main__":
    run(sys.argv[1:])
