"""The flowbot compiler: bot source (a folder of ``*.flow`` files) → a Botpress v12 bot folder.

Pipeline (one module per stage): :mod:`parse` (Lark) → :mod:`transform` (IR, :mod:`ir`; on
valid input :mod:`fast_parse` runs Lark's tables and builds the IR without a parse tree) →
checks (:mod:`check_names`, :mod:`check_graph`, :mod:`check_values`) → emit (:mod:`emit_flows`,
:mod:`skills`, :mod:`content`, :mod:`layout`, :mod:`emit_bot`) → :mod:`writer`.

Public API (contract §6)::

    build(source_dir, out_dir) -> BuildResult      # .ok, .diagnostics; writes nothing on errors
    check(source_dir) -> list[Diagnostic]
    is_source_bot(dir) -> bool
    render_diagnostics(diags, fmt="pretty" | "short" | "json") -> str
"""

from __future__ import annotations

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Severity
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.diagnostics import render_diagnostics
from flowbot.compiler.diagnostics import summary
from flowbot.compiler.pipeline import BuildResult
from flowbot.compiler.pipeline import analyze
from flowbot.compiler.pipeline import build
from flowbot.compiler.pipeline import check
from flowbot.compiler.sources import is_source_bot

__all__ = [
    "BuildResult",
    "Diagnostic",
    "Severity",
    "Span",
    "analyze",
    "build",
    "check",
    "is_source_bot",
    "render_diagnostics",
    "summary",
]
