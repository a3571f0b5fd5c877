"""Mustache exactly as Botpress v12 renders it (mustache.js 4.2), in a single pass.

Why not a library: the Python Mustache engines (chevron, pystache) render Python values the
Python way (``True``, ``1.0``, ``[1, 2]``, ``{}`` is falsy), escape only ``& < >`` and have no
hook for JavaScript stringification, so a Botpress bot would print different text. This module
follows mustache.js's parser and writer: the same tag scanner with standalone-line stripping and
``{{=<% %>=}}`` delimiters, the same context-stack lookup (dotted names, ``{{.}}``), JS truthiness
for sections and the 8-character escape map (botpress-v12.md §3.2).

Unlike Botpress, which renders up to 3 times while the output still contains ``{{...}}``, we
render once: a value that contains ``{{temp.secret}}`` is printed, never evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from typing import Final

from flowbot.runtime.jsvalue import UNDEFINED
from flowbot.runtime.jsvalue import to_string
from flowbot.runtime.jsvalue import truthy
from flowbot.runtime.jsvalue import utf16_length
from flowbot.runtime.templates.base import BoundedCache
from flowbot.runtime.templates.base import TemplateError
from flowbot.runtime.templates.base import position

# A parsed template: text, variables ("name" escaped, "&" raw) and sections ("#", "^").
# A name is kept with its dotted parts (None for a plain name) so lookups need not split it.
Text = tuple[str, str]
Variable = tuple[str, str, "tuple[str, ...] | None"]
Section = tuple[str, str, "tuple[str, ...] | None", list["Node"]]
Node = Text | Variable | Section

_ESCAPES: Final = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "/": "&#x2F;",
        "`": "&#x60;",
        "=": "&#x3D;",
    }
)
# Botpress renders a string only when `{{ ... }}` appears on one line (`containsTemplate`).
_CONTAINS_TEMPLATE: Final = re.compile(r"\{\{[^\n\r\u2028\u2029]*\}\}")
_TAG_TYPES: Final = "#^/>{&=!"
_WHITE: Final = re.compile(r"\s*")
_EQUALS: Final = re.compile(r"\s*=")
_CURLY: Final = re.compile(r"\s*\}")
_LINES: Final = re.compile(r"[^\n]*\n|[^\n]+")
_INDEX: Final = re.compile(r"0|[1-9][0-9]{0,9}")


def escape_html(text: str) -> str:
    """mustache.js's ``escape``: ``& < > " ' / ` =`` become HTML entities."""
    return text.translate(_ESCAPES)


class MustacheRenderer:
    """Renders Botpress templates; parsed templates are cached (bounded LRU per renderer)."""

    def __init__(self, cache_size: int = 2048) -> None:
        self._cache: BoundedCache[list[Node]] = BoundedCache(cache_size)

    def render(self, template: str, variables: Mapping[str, Any]) -> str:
        if not _CONTAINS_TEMPLATE.search(template):
            return template
        return _render_nodes(self.parse(template), [variables])

    def render_value(self, template: str, variables: Mapping[str, Any]) -> Any:
        """Mustache has no expressions: the value is the rendered string."""
        return self.render(template, variables)

    def parse(self, template: str) -> list[Node]:
        nodes = self._cache.get(template)
        if nodes is None:
            nodes = self._cache.put(template, _Parser(template).parse())
        return nodes


class _Parser:
    """mustache.js ``parseTemplate``: a scanner over tags, with standalone tag lines removed."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.pos = 0
        self.tokens: list[tuple[Any, ...] | None] = []
        self.spaces: list[int] = []  # indices of whitespace-only text tokens on the current line
        self.has_tag = False
        self.non_space = False
        self._set_tags("{{", "}}")

    def _set_tags(self, opening: str, closing: str) -> None:
        self.opening = re.compile(re.escape(opening) + r"\s*")
        self.closing = re.compile(r"\s*" + re.escape(closing))
        self.closing_curly = re.compile(r"\s*" + re.escape("}" + closing))

    def fail(self, message: str, offset: int) -> TemplateError:
        line, column = position(self.template, offset)
        return TemplateError(f"invalid Mustache template: {message}", line=line, column=column)

    def parse(self) -> list[Node]:
        sections: list[tuple[str, int]] = []
        while self.pos < len(self.template):
            match = self.opening.search(self.template, self.pos)
            self._text(self.template[self.pos : match.start() if match else len(self.template)])
            if match is None:
                break
            start, self.pos = match.start(), match.end()
            self.has_tag = True
            kind, value = self._tag(start)
            self.tokens.append((kind, value, start))
            if kind in "#^":
                sections.append((value, start))
            elif kind == "/":
                if not sections:
                    raise self.fail(f'unopened section "{value}"', start)
                opened, opened_at = sections.pop()
                if opened != value:
                    raise self.fail(f'unclosed section "{opened}" (closed by "{value}")', opened_at)
            elif kind in ("name", "&"):
                self.non_space = True
        self._strip_space()
        if sections:
            value, opened_at = sections[-1]
            raise self.fail(f'unclosed section "{value}"', opened_at)
        return _nest([token for token in self.tokens if token is not None])

    def _text(self, text: str) -> None:
        # mustache.js makes one token per character; a line is either whitespace only
        # (removable when the line holds only standalone tags) or kept whole.
        for match in _LINES.finditer(text):
            piece = match.group(0)
            if piece.isspace():
                self.spaces.append(len(self.tokens))
            else:
                self.non_space = True
            self.tokens.append(("text", piece))
            if piece.endswith("\n"):
                self._strip_space()

    def _strip_space(self) -> None:
        if self.has_tag and not self.non_space:
            for index in self.spaces:
                self.tokens[index] = None
        self.spaces = []
        self.has_tag = False
        self.non_space = False

    def _tag(self, start: int) -> tuple[str, str]:
        template = self.template
        kind = template[self.pos] if self.pos < len(template) and template[self.pos] in _TAG_TYPES else "name"
        if kind != "name":
            self.pos += 1
        self._skip(_WHITE)
        if kind == "=":
            value = self._scan_until(_EQUALS)
            self._skip(_EQUALS)
            self._scan_until(self.closing)
        elif kind == "{":
            value = self._scan_until(self.closing_curly)
            self._skip(_CURLY)
            self._scan_until(self.closing)
            kind = "&"
        else:
            value = self._scan_until(self.closing)
        closing = self.closing.match(template, self.pos)
        if closing is None:
            raise self.fail("unclosed tag (add the closing delimiter)", start)
        self.pos = closing.end()
        if kind == "=":
            self._change_tags(value, start)
        return kind, value

    def _skip(self, pattern: re.Pattern[str]) -> None:
        match = pattern.match(self.template, self.pos)
        if match:
            self.pos = match.end()

    def _scan_until(self, pattern: re.Pattern[str]) -> str:
        match = pattern.search(self.template, self.pos)
        end = match.start() if match else len(self.template)
        value, self.pos = self.template[self.pos : end], end
        return value

    def _change_tags(self, value: str, start: int) -> None:
        tags = re.split(r"\s+", value, maxsplit=1)
        if len(tags) != 2 or not all(tags):
            raise self.fail(f"invalid tags {value!r} (write {{{{=<% %>=}}}})", start)
        self._set_tags(tags[0], tags[1])


def _nest(tokens: list[tuple[Any, ...]]) -> list[Node]:
    """Joins adjacent text, drops comments, partials and delimiter changes, nests sections."""
    root: list[Node] = []
    stack: list[list[Node]] = [root]
    for token in tokens:
        kind, collector = token[0], stack[-1]
        if kind == "text":
            if collector and collector[-1][0] == "text":
                collector[-1] = ("text", collector[-1][1] + token[1])
            else:
                collector.append(("text", token[1]))
        elif kind in ("name", "&"):
            collector.append((kind, token[1], _parts(token[1])))
        elif kind in "#^":
            children: list[Node] = []
            collector.append((kind, token[1], _parts(token[1]), children))
            stack.append(children)
        elif kind == "/":
            stack.pop()
        # "!" comments, "=" delimiter changes and ">" partials render nothing (Botpress passes no partials).
    return root


def _parts(name: str) -> tuple[str, ...] | None:
    # mustache.js treats a name as a path only when a dot follows its first character.
    return tuple(name.split(".")) if name.find(".") > 0 else None


def _render_nodes(nodes: list[Node], stack: list[Any]) -> str:
    parts: list[str] = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            parts.append(node[1])
        elif kind == "name" or kind == "&":
            value = _lookup(stack, node[1], node[2])  # type: ignore[misc]
            if value is not None and value is not UNDEFINED:
                parts.append(escape_html(to_string(value)) if kind == "name" else to_string(value))
        elif kind == "#":
            parts.append(_render_section(node, stack))  # type: ignore[arg-type]
        else:
            value = _lookup(stack, node[1], node[2])  # type: ignore[misc]
            if not truthy(value) or (isinstance(value, (list, tuple)) and not value):
                parts.append(_render_nodes(node[3], stack))  # type: ignore[misc]
    return "".join(parts)


def _render_section(node: Section, stack: list[Any]) -> str:
    value = _lookup(stack, node[1], node[2])
    if not truthy(value):
        return ""
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            stack.append(item)
            parts.append(_render_nodes(node[3], stack))
            stack.pop()
        return "".join(parts)
    if isinstance(value, bool):
        return _render_nodes(node[3], stack)
    stack.append(value)
    try:
        return _render_nodes(node[3], stack)
    finally:
        stack.pop()


def _lookup(stack: list[Any], name: str, names: tuple[str, ...] | None) -> Any:
    """mustache.js ``Context.lookup``: the innermost view where the whole path resolves."""
    if name == ".":
        return stack[-1]
    for view in reversed(stack):
        if names is None:
            if _has_property(view, name):
                return _get(view, name)
            continue
        value, hit = view, False
        for index, part in enumerate(names):
            if value is None or value is UNDEFINED:
                break
            if index == len(names) - 1:
                hit = _has_property(value, part) or _primitive_has_own(value, part)
            value = _get(value, part)
        if hit:
            return value
    return UNDEFINED


def _has_property(value: Any, key: str) -> bool:
    if type(value) is dict or isinstance(value, Mapping):
        return key in value
    if isinstance(value, (list, tuple)):
        return key == "length" or (_INDEX.fullmatch(key) is not None and int(key) < len(value))
    return False


def _primitive_has_own(value: Any, key: str) -> bool:
    if isinstance(value, str):
        return key == "length" or (_INDEX.fullmatch(key) is not None and int(key) < utf16_length(value))
    return False


def _get(value: Any, key: str) -> Any:
    if type(value) is dict or isinstance(value, Mapping):
        return value.get(key, UNDEFINED)
    if isinstance(value, (list, tuple, str)):
        if key == "length":
            return utf16_length(value) if isinstance(value, str) else len(value)
        if _INDEX.fullmatch(key) and int(key) < len(value):
            return value[int(key)]
    return UNDEFINED
