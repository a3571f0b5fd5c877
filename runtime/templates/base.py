"""What every template engine shares: the renderer protocol, its error and a bounded cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from typing import Generic
from typing import Protocol
from typing import TypeVar

from flowbot.errors import FlowbotError

T = TypeVar("T")


class TemplateError(FlowbotError):
    """A template that cannot be rendered: bad syntax, a sandbox violation or a runtime error.

    ``line`` and ``column`` (1-based) locate the problem in the template when they are known.
    """

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        where = ""
        if line is not None:
            where = f" (line {line}" + (f", column {column})" if column is not None else ")")
        super().__init__(message + where)
        self.line = line
        self.column = column


class TemplateRenderer(Protocol):
    """One template engine. Each call renders in exactly one pass: the output is never rendered
    again, so text that a user typed (``{{temp.secret}}``) comes back as typed."""

    def render(self, template: str, variables: Mapping[str, Any]) -> str: ...

    def render_value(self, template: str, variables: Mapping[str, Any]) -> Any: ...


def render_recursive(value: Any, variables: Mapping[str, Any], renderer: TemplateRenderer) -> Any:
    """Renders every string inside lists and dicts (Botpress's ``renderRecursive``); other values
    are returned unchanged. Each string is rendered once."""
    if isinstance(value, str):
        return renderer.render(value, variables)
    if isinstance(value, list):
        return [render_recursive(item, variables, renderer) for item in value]
    if isinstance(value, dict):
        return {key: render_recursive(item, variables, renderer) for key, item in value.items()}
    return value


class BoundedCache(Generic[T]):
    """A least-recently-used cache of compiled templates, keyed by the template text."""

    def __init__(self, max_size: int) -> None:
        self._items: OrderedDict[str, T] = OrderedDict()
        self._max_size = max_size

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: str, item: T) -> T:
        self._items[key] = item
        self._items.move_to_end(key)
        if len(self._items) > self._max_size:
            self._items.popitem(last=False)
        return item

    def __len__(self) -> int:
        return len(self._items)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
