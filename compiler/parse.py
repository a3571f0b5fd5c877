"""Parsing ``.flow`` files: Lark LALR with the contextual lexer, positions, and an indentation
post-lexer. Syntax errors become diagnostics (see :mod:`syntax_errors`), and a file with errors is
re-parsed piece by piece (top-level declarations, then the nodes of a flow) so that one mistake
does not hide the next: at most one syntax error is reported per piece.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from lark import Lark
from lark import Token
from lark import Tree
from lark.exceptions import UnexpectedInput
from lark.indenter import Indenter

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.grammar import grammar_text


class IndentationProblem(Exception):
    """A dedent to a column that matches no enclosing block (raised by :class:`BotIndenter`)."""

    def __init__(self, token: Token, indent: int, levels: list[int]) -> None:
        super().__init__(f"dedent to {indent}")
        self.token = token
        self.indent = indent
        self.levels = levels


class BotIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]
    CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def handle_NL(self, token: Token) -> Iterator[Token]:
        if self.paren_level > 0:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[-1]
        indent = indent_str.count(" ") + indent_str.count("\t") * self.tab_len
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        levels = list(self.indent_level)
        while indent < self.indent_level[-1]:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != self.indent_level[-1]:
            raise IndentationProblem(token, indent, levels)

    def _process(self, stream: Iterator[Token]) -> Iterator[Token]:
        # Lark's version asserts on a stray closing bracket; the parser reports it instead.
        token = None
        for token in stream:
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
            else:
                yield token
            if token.type in self.OPEN_PAREN_types:
                self.paren_level += 1
            elif token.type in self.CLOSE_PAREN_types:
                self.paren_level = max(self.paren_level - 1, 0)
        # Inside an unclosed bracket the parser must see the end of the file, not ends of blocks.
        while len(self.indent_level) > 1 and self.paren_level == 0:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token) if token else Token(self.DEDENT_type, "")


@functools.cache
def parser() -> Lark:
    """The parser, built once per process on first use (building the LALR tables takes ~0.2 s)."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=BotIndenter(),
        # Positions are computed by the transformer from the tokens, which the parser keeps
        # (propagate_positions did the same but took half of the parse time).
        keep_all_tokens=True,
        maybe_placeholders=False,
    )


def prepare(text: str) -> str:
    """Normalise line ends and make sure the text ends with a newline (the grammar needs it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.removeprefix("\ufeff")
    return text if text.endswith("\n") else text + "\n"


def parse_text(text: str, file: str) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    """Parse one file's (prepared) text: the tree, or None and the syntax errors."""
    try:
        return parser().parse(text), []
    except (UnexpectedInput, IndentationProblem) as exc:
        first = _diagnose(exc, text, file)
    errors = []
    for piece in top_level_pieces(text):
        errors.extend(_piece_errors(piece, file))
    if not errors:
        errors = [first]
    return None, errors


def _diagnose(exc: Exception, text: str, file: str) -> Diagnostic:
    from flowbot.compiler.syntax_errors import explain
    from flowbot.compiler.syntax_errors import indentation_error

    if isinstance(exc, IndentationProblem):
        return indentation_error(exc.token, exc.indent, exc.levels, file)
    assert isinstance(exc, UnexpectedInput)
    return explain(exc, text, file, parser())


def _piece_errors(piece: str, file: str) -> list[Diagnostic]:
    try:
        parser().parse(piece)
        return []
    except (UnexpectedInput, IndentationProblem) as exc:
        first = _diagnose(exc, piece, file)
    if not re.match(r"\n*flow\b", piece):
        return [first]
    errors = [e for sub in _flow_pieces(piece) for e in _piece_errors_flat(sub, file)]
    return errors or [first]


def _piece_errors_flat(piece: str, file: str) -> list[Diagnostic]:
    try:
        parser().parse(piece)
        return []
    except (UnexpectedInput, IndentationProblem) as exc:
        return [_diagnose(exc, piece, file)]


_TOP_LEVEL = re.compile(r"^[^\s#]", re.MULTILINE)


def top_level_pieces(text: str) -> list[str]:
    """The top-level declarations of a file (lines starting in column 1, comments aside), each
    padded with blank lines so that positions hold: errors in one do not hide errors in the next.
    The conversation-test parser splits its files the same way."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _TOP_LEVEL.match(line)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    pieces = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        pieces.append("\n" * start + "\n".join(lines[start:end]) + "\n")
    return pieces


def _flow_pieces(piece: str) -> list[str]:
    """A flow split into its header (flow-level lines) and one piece per node, each with the
    ``flow`` line, so that an error in one node does not hide errors in the others."""
    lines = piece.split("\n")
    header_index = next(i for i, line in enumerate(lines) if line.startswith("flow"))
    node_starts = [
        i for i, line in enumerate(lines) if i > header_index and re.match(r"[ \t]+node\b", line)
    ]
    if len(node_starts) < 2:
        return [piece]
    indent = re.match(r"[ \t]+", lines[node_starts[0]])
    if indent is None or any(not lines[i].startswith(indent.group(0) + "node") for i in node_starts):
        return [piece]
    bounds = [header_index + 1, *node_starts, len(lines)]
    pieces = []
    for index in range(len(bounds) - 1):
        start, end = bounds[index], bounds[index + 1]
        body = lines[start:end]
        if not any(line.strip() and not line.strip().startswith("#") for line in body):
            continue
        pieces.append("\n" * header_index + lines[header_index] + "\n" * (start - header_index) + "\n".join(body) + "\n")
    return pieces
