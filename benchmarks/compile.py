"""Compile benchmark: generated bots of 100, 1,000 and 10,000 nodes.

Prints, for each size, the CPU time of Lark alone parsing the sources (the baseline), of
``check`` (read, parse, build the IR, every check) and of ``build`` (check, emit, write the bot
folder, train its NLU), the best of ``--repeat`` runs (the machine is shared: the best run is the
one least disturbed), and the peak memory of ``build`` (tracemalloc, in a separate run so that
tracing does not slow the timed ones). Ratios measured in the same run: ``vs parse`` (build time
over Lark's parse time) and ``linear`` (time per node over the 100-node bot's; 1.0 is perfectly
linear). For the largest bot it also prints where the time goes, and the CPU time of a fixed
10-million-step Python loop, to compare machines.

Run: ``python -m benchmarks.compile [--repeat N] [--sizes 100,1000,10000]`` (or ``make bench``
for every benchmark).
"""

from __future__ import annotations

import argparse
import gc
import shutil
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


def _best(repeat: int, function: Callable[..., object], *args: object) -> tuple[float, object]:
    """The best (least disturbed) of ``repeat`` timed calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        seconds, result = _timed(function, *args)
        best = min(best, seconds)
    return best, result


def _parse_only(folder: Path) -> None:
    """The baseline: Lark alone parsing the sources into its tree (with the GC paused, as the
    compiler runs)."""
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


def _phases(folder: Path, out: Path) -> dict[str, float]:
    """CPU seconds of each stage of one build (the pipeline's own steps, run one by one)."""
    from flowbot.compiler import pipeline
    from flowbot.compiler.check_graph import check_graph
    from flowbot.compiler.check_names import check_names
    from flowbot.compiler.check_values import check_values
    from flowbot.compiler.symbols import build_symbols
    from flowbot.compiler.writer import write_folder

    clock = time.process_time
    gc.collect()
    gc.disable()
    try:
        start = clock()
        sources = pipeline.read_sources(folder)
        program, _ = pipeline._parse_files(sources)
        assert program is not None
        parsed = clock()
        symbols, _ = build_symbols(program)
        check_names(program, symbols), check_graph(program, symbols), check_values(program, symbols)
        checked = clock()
        analysis = pipeline.Analysis(program=program, symbols=symbols, sources=sources)
        bot = pipeline.compile_folder(analysis)
        emitted = clock()
        write_folder(bot, out, finish=lambda staging: pipeline._train_nlu(staging, bot))
        written = clock()
        del analysis, bot, program, symbols, sources
        freed = clock()
    finally:
        gc.enable()
    return {
        "read, parse, IR": parsed - start,
        "checks": checked - parsed,
        "emit": emitted - checked,
        "write + NLU": written - emitted,
        "freeing": freed - written,
    }


def _options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size; the best is kept (default 3)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="bot sizes in nodes (default 100,1000,10000)")
    return parser.parse_args(argv or [])


def main(argv: list[str] | None = None) -> None:
    from flowbot.compiler import build
    from flowbot.compiler import check
    from flowbot.compiler.fast_parse import fast_parser
    from flowbot.compiler.parse import parser

    options = _options(argv)
    sizes = [int(size) for size in options.sizes.split(",")]
    print("compile benchmark (python -m benchmarks.compile)")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        parser(), fast_parser()  # the LALR tables, built once per process
        generate(10, Path(tmp) / "warm")
        build(Path(tmp) / "warm", Path(tmp) / "warm-out")  # imports the NLU libraries once per process
        first = time.process_time() - start
        print(f"first build in a process: {first:.2f} s of CPU once (Lark's tables, imports), not counted below")
        print(f"best of {options.repeat} runs, CPU seconds")
        columns = ("nodes", 7), ("parse s", 9), ("check s", 9), ("build s", 9), ("ms/node", 8), ("vs parse", 9), ("linear", 7)
        print(" ".join(f"{name:>{width}}" for name, width in (*columns, ("peak MB", 8))))
        base_per_node: float | None = None
        build_s = 0.0
        for size in sizes:
            src, out = Path(tmp) / f"src{size}", Path(tmp) / f"out{size}"
            generate(size, src)
            parse_s, _ = _best(options.repeat, _parse_only, src)
            check_s, diags = _best(options.repeat, check, src)
            build_s = float("inf")
            for _ in range(options.repeat):
                shutil.rmtree(out, ignore_errors=True)  # a fresh folder each time: no old build to remove
                seconds, result = _timed(build, src, out)
                assert getattr(result, "ok", False), f"the generated bot does not compile: {diags}"
                build_s = min(build_s, seconds)
            per_node = build_s / size
            base_per_node = base_per_node or per_node
            peak = _peak_memory(src, Path(tmp) / f"mem{size}")
            print(
                f"{size:>7} {parse_s:>9.3f} {check_s:>9.3f} {build_s:>9.3f} {per_node * 1000:>8.3f}"
                f" {build_s / parse_s:>9.2f} {per_node / base_per_node:>7.2f} {peak:>8.1f}"
            )
        largest = sizes[-1]
        phases: dict[str, float] = {}
        for attempt in range(options.repeat):
            shutil.rmtree(Path(tmp) / "phases", ignore_errors=True)
            for name, seconds in _phases(Path(tmp) / f"src{largest}", Path(tmp) / "phases").items():
                phases[name] = min(phases.get(name, float("inf")), seconds)
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items())
        print(f"{largest:,}-node build, stage by stage: {stages}")
        calibration = min(_calibration() for _ in range(options.repeat))
        print(f"machine: a 10M-step Python loop takes {calibration:.2f} s of CPU here (best of {options.repeat})")
        print(f"{largest:,}-node build = {build_s / calibration:.1f} x the 10M-step loop (the target: under 2 s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
