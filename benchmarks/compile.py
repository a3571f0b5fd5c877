"""Compile benchmark: generated bots of 100, 1,000 and 10,000 nodes.

Prints, for each size, the CPU time of ``check`` (parse + checks), of ``build`` (check + emit +
write) and its peak memory (tracemalloc, in a separate run so that tracing does not slow the
timed one), with two ratios measured in the same run: against Lark alone parsing the same
sources (the floor for a Lark-based compiler), and against the 100-node bot per node (1.0 means
perfectly linear growth).

Run: ``python -m benchmarks.compile`` (or ``make bench`` for every benchmark).
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from collections.abc import Callable

SIZES = (100, 1_000, 10_000)
NODES_PER_FLOW = 100
FLOWS_PER_FILE = 10

HEADER = """bot bench "Benchmark Bot"
  language en

intent yes
  - yes
  - sure
  - of course

intent no
  - no
  - nope
  - not really

entity color list
  red: crimson
  blue: navy
"""


def _node(flow: int, index: int, last: bool) -> list[str]:
    """One node; the shapes cycle so that every common construct is exercised."""
    name = f"n{index}"
    following = f"n{index + 1}" if not last else ""
    leave = f"-> {following}" if following else (f"-> flow f{flow + 1}" if flow >= 0 else "-> end")
    kind = index % 5
    if kind == 0:
        return [f"  node {name}", f'    say "Step {index} of flow {flow}, {{{{ user.name }}}}" typing', "    listen",
                f"    when intent yes -> {following or 'n0'}", f"    else -> {following or 'n0'}"]
    if kind == 1:
        return [f"  node {name}", f"    set session.step = {index}", f'    say "Noted step {index}", "Step {index} done"',
                f"    {leave}"]
    if kind == 2:
        return [f"  node {name}", f'    say "Is {index} your number?" markdown', "    listen",
                f'    when temp.answer == "{index}" and not intent no -> {following or "n0"}', f"    else -> {following or 'n0'}"]
    if kind == 3:
        return [f"  node {name}", f'    call GET "https://api.example.com/items/{index}?u={{{{ user.id }}}}"',
                f"      -> temp.item{index}", f"      on_success -> {following or 'n0'}", f"      on_failure -> {following or 'n0'}"]
    return [f"  node {name}", f'    say "Almost there: {index}"', "    listen", f"    {leave}"]


def generate(nodes: int, folder: Path) -> None:
    """Write a bot of ``nodes`` nodes to ``folder``: flows of 100 nodes, 10 flows per file."""
    flows = max(1, nodes // NODES_PER_FLOW)
    files: dict[int, list[str]] = {}
    for flow in range(flows):
        name = "main" if flow == 0 else f"f{flow}"
        lines = [f"flow {name}"]
        count = min(NODES_PER_FLOW, nodes - flow * NODES_PER_FLOW)
        is_last_flow = flow == flows - 1
        for index in range(count):
            last = index == count - 1
            lines.extend(_node(-1 if (last and is_last_flow) else flow, index, last))
        files.setdefault(flow // FLOWS_PER_FILE, []).extend([*lines, ""])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bot.flow").write_text(HEADER, encoding="utf-8")
    for number, lines in files.items():
        (folder / f"flows{number:03d}.flow").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _timed(function: Callable[..., object], *args: object) -> tuple[float, object]:
    """CPU seconds of one call (CPU time, so that other processes on the machine count less)."""
    gc.collect()
    start = time.process_time()
    result = function(*args)
    return time.process_time() - start, result


def _parse_only(folder: Path) -> None:
    """The baseline: Lark alone parsing the sources (under the same conditions as the compiler)."""
    from flowbot.compiler.parse import parse_text
    from flowbot.compiler.parse import prepare

    enabled = gc.isenabled()
    gc.disable()
    try:
        for path in sorted(folder.glob("*.flow")):
            parse_text(prepare(path.read_text(encoding="utf-8")), path.name)
    finally:
        if enabled:
            gc.enable()


def _calibration() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast this machine runs Python right now."""
    start = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    assert total > 0
    return time.process_time() - start


def _peak_memory(folder: Path, out: Path) -> float:
    from flowbot.compiler import build

    tracemalloc.start()
    build(folder, out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    from flowbot.compiler import build
    from flowbot.compiler import check
    from flowbot.compiler.parse import parser

    parser()  # build the LALR tables once, outside the timings
    calibration = _calibration()
    print("compile benchmark (python -m benchmarks.compile)")
    print(f"machine: a 10M-step Python loop takes {calibration:.2f} s of CPU here")
    print(f"{'nodes':>7} {'check s':>9} {'build s':>9} {'ms/node':>8} {'vs parse':>9} {'linear':>7} {'peak MB':>8}")
    base_per_node: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            src, out = Path(tmp) / f"src{size}", Path(tmp) / f"out{size}"
            generate(size, src)
            parse_s, _ = _timed(_parse_only, src)
            check_s, diags = _timed(check, src)
            build_s, result = _timed(build, src, out)
            assert getattr(result, "ok", False), f"the generated bot does not compile: {diags}"
            per_node = build_s / size
            base_per_node = base_per_node or per_node
            peak = _peak_memory(src, Path(tmp) / f"mem{size}")
            print(
                f"{size:>7} {check_s:>9.3f} {build_s:>9.3f} {per_node * 1000:>8.3f} {build_s / parse_s:>9.2f}"
                f" {per_node / base_per_node:>7.2f} {peak:>8.1f}"
            )
        print(f"10,000-node build = {build_s / calibration:.1f} x the 10M-step loop (the target: under 2 s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
