"""Syntax errors in words: Lark's exceptions turned into diagnostics a person can act on.

The parser state tells what was expected; this module names those tokens the way the
documentation does ("a string", "the end of the line", "a step (`say`, `listen`...)"), and
recognises the common mistakes (a missing `->`, a missing target or condition, a block with no
indented body, a keyword in the wrong place) from the tokens around the error and by trying the
repair on a copy of the parser. Never a raw token dump.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Iterable

from lark import Lark
from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.exceptions import UnexpectedInput
from lark.exceptions import UnexpectedToken

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.messages import diag

_NAMED = {
    "NAME": "a name",
    "NUMBER": "a number",
    "DURATION": "a duration such as `5s`",
    "STRING": "a string in double quotes",
    "LONG_STRING": "a string in double quotes",
    "TEMPLATE": "a `{{ template }}`",
    "FREE_TEXT": "text",
    "COMPARE": "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
}
_STEP_WORDS = ["say", "listen", "set", "unset", "run", "context", "call", "ask", "fill"]
_TRANSITION_WORDS = ["when", "else", "->"]
_DECLARATION_WORDS = ["bot", "flow", "intent", "entity", "qna"]
_BLOCK_WORDS = {"node", "flow", "intent", "entity", "qna", "ask", "fill", "carousel", "bot", "call", "say", "card"}


def _words(terminals: Iterable[str], lark: Lark) -> dict[str, str]:
    """Terminal name -> the keyword or punctuation it stands for (for string terminals)."""
    by_name = {t.name: t for t in lark.terminals}
    words = {}
    for name in terminals:
        term = by_name.get(name)
        if term is not None and type(term.pattern).__name__ == "PatternStr":
            words[name] = term.pattern.value
    return words


def describe_expected(expected: Iterable[str], lark: Lark) -> str:
    """A human list of what the parser expected."""
    names = set(expected) - {"__IGNORE_0", "COMMENT"}
    words = _words(names, lark)
    keywords = set(words.values())
    parts: list[str] = []
    if set(_STEP_WORDS) <= keywords:
        parts.append("a step (" + ", ".join(f"`{w}`" for w in _STEP_WORDS[:7]) + "...)")
        keywords -= set(_STEP_WORDS)
        if set(_TRANSITION_WORDS) <= keywords:
            parts.append("a transition (`when`, `else`, `->`)")
            keywords -= set(_TRANSITION_WORDS)
    if set(_DECLARATION_WORDS) <= keywords:
        parts.append("a declaration (" + ", ".join(f"`{w}`" for w in _DECLARATION_WORDS) + ")")
        keywords -= set(_DECLARATION_WORDS)
    parts.extend(f"`{w}`" for w in sorted(keywords))
    seen = set()
    for name in sorted(names - set(words), key=lambda n: list(_NAMED).index(n) if n in _NAMED else 99):
        text = _NAMED.get(name, name.lower())
        if text not in seen:
            seen.add(text)
            parts.append(text)
    if len(parts) > 8:
        parts = parts[:7] + ["..."]
    if not parts:
        return "something else"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def describe_token(token: Token) -> str:
    if token.type in ("_NL", "$END", "_INDENT", "_DEDENT"):
        return {"_NL": "end of the line", "$END": "end of the file", "_INDENT": "indentation"}.get(
            token.type, "end of the block"
        )
    text = str(token)
    if token.type in ("STRING", "LONG_STRING"):
        short = text if len(text) <= 30 else text[:27] + '..."'
        return f"string {short}"
    if token.type == "NAME":
        return f"name `{text}`"
    if token.type == "NUMBER":
        return f"number `{text}`"
    if token.type == "FREE_TEXT":
        return "text"
    return f"`{text}`"


def token_span(token: Token, file: str) -> Span:
    if token.type in ("_INDENT", "_DEDENT") and token.end_line:
        # Point at the start of the indented line rather than at the newline before it.
        return Span(
            file=file, line=token.end_line, column=token.end_column or 1, end_line=token.end_line,
            end_column=(token.end_column or 1) + 1,
        )
    line = token.line or 1
    column = token.column or 1
    if token.type in ("_NL", "$END"):
        return Span(file=file, line=line, column=column, end_line=line, end_column=column + 1)
    return Span(
        file=file,
        line=line,
        column=column,
        end_line=token.end_line or line,
        end_column=token.end_column or column + max(len(token), 1),
    )


def indentation_error(token: Token, indent: int, levels: list[int], file: str) -> Diagnostic:
    line = token.end_line or token.line or 1
    span = Span(file=file, line=line, column=1, end_line=line, end_column=max(indent, 1) + 1)
    shown = ", ".join(str(level) for level in levels)
    return diag("E004", span, indent=f"{indent} column{'s' if indent != 1 else ''}", levels=f"blocks at {shown}")


def explain(exc: UnexpectedInput, text: str, file: str, lark: Lark) -> Diagnostic:
    """The diagnostic for a Lark syntax error."""
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, text, file, lark)
    if not isinstance(exc, UnexpectedToken):  # UnexpectedEOF: LALR does not raise it, but be safe
        line = exc.line if isinstance(exc.line, int) and exc.line > 0 else 1
        column = exc.column if isinstance(exc.column, int) and exc.column > 0 else 1
        span = Span(file=file, line=line, column=column, end_line=line, end_column=column + 1)
        return diag("E003", span, expected=describe_expected(getattr(exc, "expected", ()) or (), lark))
    token = exc.token
    expected = _accepted(exc)
    span = token_span(token, file)
    stack = _value_stack(exc)
    previous = next((v for v in reversed(stack) if isinstance(v, Token) and v.type != "_NL"), None)
    specific = _specific(exc, token, expected, previous, stack, span, lark)
    if specific is not None:
        return specific
    if token.type == "$END":
        return diag("E003", span, expected=describe_expected(expected, lark))
    if token.type == "_INDENT":
        return diag(
            "E002",
            span,
            found="indentation",
            expected=describe_expected(expected, lark),
            hint="only a block header (`flow`, `node`, `ask`, `fill`...) is followed by indented lines",
        )
    return diag("E002", span, found=describe_token(token), expected=describe_expected(expected, lark))


def _accepted(exc: UnexpectedToken) -> set[str]:
    """What the parser accepts at the error (the lexer's own list includes the end of the line
    even where the parser cannot take it)."""
    try:
        accepts = exc.interactive_parser.accepts() if exc.interactive_parser is not None else None
    except UnexpectedInput:
        accepts = None
    return set(accepts) if accepts else set(exc.expected or ())


def _value_stack(exc: UnexpectedToken) -> list[Any]:
    state = exc.state if exc.state is not None else getattr(exc.interactive_parser, "parser_state", None)
    return list(getattr(state, "value_stack", []) or [])


def _unexpected_character(exc: UnexpectedCharacters, text: str, file: str, lark: Lark) -> Diagnostic:
    line, column = exc.line, exc.column
    span = Span(file=file, line=line, column=column, end_line=line, end_column=column + 1)
    if exc.char == '"':
        rest = text.split("\n")[line - 1][column:]
        return diag("E005", span.model_copy(update={"end_column": column + 1 + len(rest)}))
    char = exc.char if exc.char.isprintable() else repr(exc.char)[1:-1]
    return diag("E001", span, char=char, expected=describe_expected(exc.allowed or (), lark))


def _accepts_after(exc: UnexpectedToken, inserted: str, value: str, then: Token) -> bool:
    """Would the parser accept ``then`` after inserting a token of type ``inserted``?"""
    parser = exc.interactive_parser
    if parser is None:
        return False
    try:
        trial = parser.copy()
        trial.feed_token(Token(inserted, value))
        return then.type in trial.accepts()
    except UnexpectedInput:
        return False


def _specific(
    exc: UnexpectedToken,
    token: Token,
    expected: set[str],
    previous: Token | None,
    stack: list[Any],
    span: Span,
    lark: Lark,
) -> Diagnostic | None:
    """Recognise the usual mistakes; None when the generic message fits best."""
    words = _words(expected, lark)
    arrow = next((name for name, word in words.items() if word == "->"), None)
    prev_word = str(previous) if previous is not None else ""
    if token.type == "FREE_TEXT" and "FREE_TEXT" not in expected:
        # The lexer fell back to free text: the line has a character no token of this place starts with.
        first = span.model_copy(update={"end_line": span.line, "end_column": span.column + 1})
        if str(token).startswith('"'):
            return diag("E005", span.model_copy(update={"end_line": span.line}))
        return diag("E001", first, char=str(token)[0], expected=describe_expected(expected, lark))
    if previous is not None and previous.type == "WHEN":
        return diag("E012", span)
    if prev_word == "->" and token.type in ("_NL", "$END", "STRING", "NUMBER", "COMMA"):
        return diag("E011", span)
    if arrow and token.type not in ("_NL", "$END", "_DEDENT", "_INDENT") and _accepts_after(exc, arrow, "->", token):
        return diag("E010", span)
    if expected == {"_INDENT"} or (expected and expected <= {"_INDENT", "COMMA"}):
        header = next((v for v in reversed(stack) if isinstance(v, Token) and str(v) in _BLOCK_WORDS), None)
        where = token_span(header, span.file) if header is not None else span
        return diag("E013", where, keyword=str(header) if header is not None else "this line")
    if token.type == "MINUS" and "FREE_TEXT" in expected:
        return diag("E015", span)
    if {"MINUS", "SLOT"} <= expected and token.type not in ("_DEDENT", "$END"):
        return diag("E016", span)
    misplaced = _misplaced_keyword(token, set(words.values()), span)
    if misplaced is None and stack and isinstance(stack[-1], Token) and stack[-1].type == "_INDENT":
        return diag(
            "E002",
            span,
            found=describe_token(token),
            expected=describe_expected(expected, lark),
            hint="this line is indented more than the line before it: the lines of a block line up",
        )
    return misplaced


def _misplaced_keyword(token: Token, expected_words: set[str], span: Span) -> Diagnostic | None:
    word = str(token)
    if token.type == "NODE" and "node" not in expected_words:
        if set(_STEP_WORDS) <= expected_words:
            where, hint = "a node cannot contain another node", "write the nodes of a flow one after another, at the same indentation"
        else:
            where, hint = "a node belongs to a flow", "indent the node under a `flow <name>` line"
        return diag("E014", span, keyword="node", where=where, hint=hint)
    if token.type.isupper() and word in _STEP_WORDS and "node" in expected_words:
        return diag(
            "E014",
            span,
            keyword=word,
            where="steps go inside a node",
            hint="put it under a `node <name>` line of the flow",
        )
    if word in _STEP_WORDS and set(_DECLARATION_WORDS) <= expected_words:
        return diag(
            "E014",
            span,
            keyword=word,
            where="steps go inside a node of a flow",
            hint="write `flow <name>`, then an indented `node <name>`, then the steps indented under it",
        )
    return None
