"""Run every benchmark module's ``main()`` (``python -m benchmarks [name ...]`` runs only those)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks


def main(selected: list[str]) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_"))
    unknown = sorted(set(selected) - set(names))
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)} (available: {', '.join(names)})")
    for name in names:
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        run = getattr(module, "main", None)
        if callable(run):
            print(f"== benchmarks.{name}", flush=True)
            run()


if __name__ == "__main__":
    main(sys.argv[1:])
