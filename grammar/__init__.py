"""The flowbot bot language: the Lark grammar of ``*.flow`` files, shipped as package data.

The grammar is data; :mod:`flowbot.compiler.parse` builds the parser from it.
"""

from __future__ import annotations

from importlib.resources import files

GRAMMAR_FILE = "flowbot.lark"


def grammar_text() -> str:
    """The text of the grammar (``flowbot.lark``)."""
    return files(__name__).joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")
