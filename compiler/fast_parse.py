"""The fast path from text to IR: Lark's own LALR tables and contextual-lexer regexes, driven by
one flat loop that calls the IR builder's rule methods as rules are reduced: no parse tree, no
token stream of generators, no wrappers per rule.

Lark analyses the grammar and builds the tables and the per-state regexes (:func:`parse.parser`);
this module only runs them, reproducing what Lark's parser, contextual lexer, tree builder
(``keep_all_tokens``, ``_rule`` inlining, ``?rule`` single-child expansion) and our
:class:`~flowbot.compiler.parse.BotIndenter` do, and calls the same rule methods with the same
positions and children as :meth:`~flowbot.compiler.transform_base.BuilderBase.transform` does on
Lark's tree. It accepts exactly what Lark accepts (same tables, same regexes), so it only has to
succeed or give up: on anything else (a syntax or indentation error, nesting deeper than
:data:`~flowbot.compiler.transform_base.MAX_NESTING`, a bug) it returns None and the caller
takes the tree path, which reports every diagnostic as before. (Lark's parse alone, tokens and
tree, took 1.5 of the 5 seconds that building a 10,000-node bot took before this module.)
"""

from __future__ import annotations

import functools
import re
from typing import Any
from typing import NamedTuple

from lark import Lark
from lark import Token
from lark.lexer import BasicLexer
from lark.lexer import UnlessCallback
from lark.parsers.lalr_analysis import Reduce
from lark.parsers.lalr_analysis import Shift

from flowbot.compiler.parse import BotIndenter
from flowbot.compiler.parse import parser
from flowbot.compiler.transform_base import MAX_NESTING
from flowbot.compiler.transform_base import VALUE_TERMINALS
from flowbot.compiler.transform_base import BuilderBase
from flowbot.compiler.transform_base import Place


class _GiveUp(Exception):
    """The input is not for the fast path (a syntax or indentation error): the tree path reports it."""


class _Rule(NamedTuple):
    origin: str
    size: int
    include: tuple[tuple[int, bool], ...]  # kept positions of the expansion, and whether spliced
    splices: bool  # some kept position is a `_rule` whose children go into this rule's
    inline: bool  # a `_rule` itself: its children are spliced into the parent's
    expand1: bool  # a `?rule` without alias: a single child stands for the rule
    method: str  # the builder's method (the alias, else the rule's name)
    unit: bool  # a `?rule` of one symbol: the child stays on the stack as it is, in a new state
    appends: bool  # `_items: _items item`: the item joins the list below it on the stack, in place


class _Lexer(NamedTuple):
    """What Lark's contextual lexer uses in one parser state."""

    match: Any  # the compiled alternation's ``match``
    ignore: frozenset[str]
    newline: frozenset[str]
    keywords: dict[str, dict[str, str]]  # text -> terminal, for a terminal whose text may be a keyword


class FastParser:
    """Built once from the Lark parser; :meth:`build` runs one file through a builder."""

    def __init__(self, lark: Lark) -> None:
        frontend = lark.parser
        table = frontend.parser._parse_table
        contextual = frontend.lexer.lexer
        self.start_state: int = table.start_states["start"]
        self.end_state: int = table.end_states["start"]
        rules: dict[int, _Rule] = {}
        self.table: dict[int, dict[str, int | _Rule]] = {}
        for state, actions in table.states.items():
            row: dict[str, int | _Rule] = {}
            for symbol, (action, arg) in actions.items():
                # Lark's names are often Tokens: plain strings hash and compare faster
                if action is Shift:
                    row[str(symbol)] = arg
                else:
                    assert action is Reduce
                    row[str(symbol)] = rules.setdefault(id(arg), _rule(arg))
            self.table[state] = row
        self.methods = sorted({rule.method for rule in rules.values() if not rule.inline})
        lexers: dict[int, _Lexer] = {}
        self.lexers = {state: _lexer(lexer, lexers) for state, lexer in contextual.lexers.items()}
        indenter = lark.options.postlex
        assert isinstance(indenter, BotIndenter)
        self.open = frozenset(indenter.OPEN_PAREN_types)
        self.close = frozenset(indenter.CLOSE_PAREN_types)
        self.tab_len: int = indenter.tab_len
        self.skip_blanks = _blank_skipper(lark, self.lexers.values())

    def build(self, text: str, builder: BuilderBase) -> Any:
        """The IR of ``text`` built by ``builder``'s rule methods, or None (then use the tree path)."""
        try:
            result, _, height = _run(self, builder, text)
        except Exception:  # noqa: BLE001 - anything unusual is the tree path's to report
            return None
        return result if height <= MAX_NESTING else None


_BLANKS = "[\t ]+"
_BLANK_PROBES = (" ", "\t", " x", "\t1", ' "', " #", " -", " \n", "  {", " ->")


def _blank_skipper(lark: Lark, lexers: Any) -> Any:
    """The ``match`` of the grammar's ignored blanks (``%ignore /[\\t ]+/``), when every state's lexer
    ignores them and no other terminal can start with a blank (in the grammar, and probed here):
    then blanks can be skipped by this small regex instead of a full iteration with the state's
    alternation (a fifth of all matches). None otherwise: every match goes through the lexer."""
    names = {t.name for t in lark.terminals if t.pattern.type == "re" and t.pattern.value == _BLANKS}
    if len(names) != 1 or not all(lexer.ignore == names for lexer in lexers):
        return None
    for lexer in lexers:
        for probe in _BLANK_PROBES:
            found = lexer.match(probe, 0)
            if found is None or found.lastgroup not in names:
                return None
    return re.compile(_BLANKS).match


def _rule(rule: Any) -> _Rule:
    options = rule.options
    include = tuple(
        (index, not symbol.is_term and symbol.name.startswith("_"))
        for index, symbol in enumerate(rule.expansion)
        if options.keep_all_tokens or not (symbol.is_term and symbol.filter_out)
    )
    inline = rule.origin.name.startswith("_")
    if inline and options.expand1:
        raise ValueError(f"inlined rule with `?`: {rule}")  # Lark would splice a non-tree: not ours
    return _Rule(
        origin=str(rule.origin.name),
        size=len(rule.expansion),
        include=include,
        splices=any(spliced for _, spliced in include),
        inline=inline,
        expand1=bool(options.expand1) and not rule.alias,
        method=str(rule.alias or rule.origin.name),
        unit=bool(options.expand1) and not rule.alias and len(rule.expansion) == 1 and include == ((0, False),),
        appends=inline and include == ((0, True), (1, False)),
    )


def _lexer(lexer: BasicLexer, built: dict[int, _Lexer]) -> _Lexer:
    if id(lexer) not in built:
        scanner = lexer.scanner
        [pattern] = scanner._mres  # one alternation (Lark splits past 100 terminals; we have fewer)
        keywords: dict[str, dict[str, str]] = {}
        for name, callback in lexer.callback.items():
            if not isinstance(callback, UnlessCallback):
                raise ValueError(f"unexpected lexer callback on {name}")
            keywords[name] = _KeywordCache(callback)
        built[id(lexer)] = _Lexer(pattern.match, lexer.ignore_types, lexer.newline_types, keywords)
    return built[id(lexer)]


class _KeywordCache(dict[str, str]):
    """What Lark's ``UnlessCallback`` makes of a token's text (``say`` -> ``SAY``, ``x`` -> ``NAME``),
    remembered: a bot repeats its words."""

    def __init__(self, callback: UnlessCallback) -> None:
        super().__init__()
        self.callback = callback

    def __missing__(self, text: str) -> str | None:
        found = self[text] = self.callback.scanner.fullmatch(text)
        return found


def _run(t: FastParser, builder: BuilderBase, text: str) -> tuple[Any, Place | None, int]:
    """Parse one file, calling ``builder``'s rule methods; returns the ``start`` rule's node.

    The hot loop of the compiler: one function with local names and closures on purpose.
    Stack values: a node (a tuple: what its method returned, its place, its height in Lark's tree),
    a value token (``Token``), a keyword's position (``slice(line, column, end_column)``: cheap to
    make), None (line structure), or a list (the items of a ``_rule``, spliced into its parent).
    """
    table, lexers, tab_len = t.table, t.lexers, t.tab_len
    # `?rule`s that always have one child (``?condition: or_cond``) have no method
    methods = {name: getattr(builder, name) for name in t.methods if hasattr(builder, name)}
    states = [t.start_state]
    values: list[Any] = []
    push_state, push_value = states.append, values.append
    new_tuple, new_str = tuple.__new__, str.__new__

    def node(method: str, items: list[Any]) -> tuple[Any, Place | None, int]:
        if len(items) == 1 and items[0].__class__ is Token:  # a third of all nodes (names, strings)
            token = items[0]
            here = new_tuple(Place, (token.line, token.column, token.end_line, token.end_column))
            return methods[method](here, items), here, 1
        children: list[Any] = []
        add = children.append
        first: Any = None
        last: Any = None
        height = 0
        for item in items:
            kind = item.__class__
            if kind is tuple:  # a node: (result, place, height)
                add(item[0])
                if item[2] > height:
                    height = item[2]
                if item[1] is not None:
                    if first is None:
                        first = item
                    last = item
            elif kind is Token:
                add(item)
                if first is None:
                    first = item
                last = item
            elif kind is slice:  # a keyword: slice(line, column, end_column)
                if first is None:
                    first = item
                last = item
        here = None
        if first is not None:
            # Where the first child starts and the last ends, as the tree path computes them
            # (``_start``, ``_end``), inline: two calls per node were a tenth of the loop. The
            # fast path's positions are never 0 or None (a Place it made, a keyword's slice, a
            # Token it made), so the tree path's ``or`` fallbacks do not apply.
            kind = first.__class__
            if kind is tuple:
                line, column = first[1][0], first[1][1]
            elif kind is slice:
                line, column = first.start, first.stop
            else:
                line, column = first.line, first.column
            kind = last.__class__
            if kind is tuple:
                here = new_tuple(Place, (line, column, last[1][2], last[1][3]))
            elif kind is slice:
                here = new_tuple(Place, (line, column, last.start, last.step))
            else:
                here = new_tuple(Place, (line, column, last.end_line, last.end_column))
        return methods[method](here, children), here, height + 1

    def reduce(rule: _Rule) -> None:
        if rule[7]:  # unit: the child stays, in the goto state
            del states[-1]
            push_state(table[states[-1]][rule[0]])
            return
        origin, size, include, splices, inline, expand1, method, _, _ = rule
        if size:
            popped = values[-size:]
            del values[-size:]
            del states[-size:]
        else:
            popped = []
        if splices:
            kept: list[Any] = []
            for index, spliced in include:
                if not spliced:
                    kept.append(popped[index])
                elif kept:
                    kept.extend(popped[index])
                else:  # reuse the list: left recursion (`items: items item`) stays linear, as in Lark
                    kept = popped[index]
        else:
            kept = popped
        if inline:
            value: Any = kept
        elif expand1 and len(kept) == 1:
            value = kept[0]
        else:
            value = node(method, kept)
        push_state(table[states[-1]][origin])
        push_value(value)

    def feed(kind: str, value: Any) -> None:
        """Shift one token, after the reductions it calls for (Lark's ``feed_token``). The two
        commonest reductions are done here, without a call: a unit rule (the child stays) and a
        list growing by one item (a `_rule` of repeated items: a third of all reductions)."""
        while True:
            action = table[states[-1]].get(kind)
            if action.__class__ is int:
                push_state(action)
                push_value(value)
                return
            if action is None:
                raise _GiveUp
            if action[7]:  # unit: as in reduce()
                del states[-1]
            elif action[8]:  # appends: what reduce() does, without copying the list
                item = values.pop()
                values[-1].append(item)
                del states[-2:]
            else:
                reduce(action)
                continue
            push_state(table[states[-1]][action[0]])

    def newline(value: str) -> None:
        """What :meth:`BotIndenter.handle_NL` does with a line end outside brackets."""
        feed("_NL", None)
        indent_str = value.rsplit("\n", 1)[-1]
        indent = indent_str.count(" ") + indent_str.count("\t") * tab_len
        if indent > levels[-1]:
            levels.append(indent)
            feed("_INDENT", None)
            return
        while indent < levels[-1]:
            levels.pop()
            feed("_DEDENT", None)
        if indent != levels[-1]:
            raise _GiveUp

    value_terminals, open_types, close_types = VALUE_TERMINALS, t.open, t.close
    skip_blanks, blanks = t.skip_blanks, frozenset(" \t") if t.skip_blanks is not None else frozenset()
    pos, line, line_start, size = 0, 1, 0, len(text)
    levels, paren = [0], 0
    while pos < size:
        if text[pos] in blanks:  # what the lexer would ignore, skipped without it (see _blank_skipper)
            pos = skip_blanks(text, pos).end()
            continue
        matcher, ignore, newlines_in, keywords = lexers[states[-1]]
        match = matcher(text, pos)
        if match is None:
            raise _GiveUp
        kind = match.lastgroup
        end = match.end()
        if kind in ignore:
            pos = end  # spaces: no line end in them (Lark counts lines only in newline terminals)
            if kind in newlines_in:
                raise _GiveUp
            continue
        value = text[pos:end]
        item: Any
        start, start_line, column = pos, line, pos - line_start + 1
        if kind in newlines_in:
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = pos + value.rindex("\n") + 1
        pos = end
        if kind in keywords:
            kind = keywords[kind][value] or kind
        if kind == "_NL":
            if paren == 0:
                newline(value)
            continue
        if kind in value_terminals:
            # Token(...) without its two Python frames (``__new__``, ``_future_new``): the same slots
            item = new_str(Token, value)
            item.type, item.start_pos, item.value, item.line, item.column = kind, start, value, start_line, column
            item.end_line, item.end_column, item.end_pos = line, pos - line_start + 1, pos
        elif line == start_line:
            item = slice(start_line, column, pos - line_start + 1)
        else:
            raise _GiveUp  # a keyword over several lines: none in the grammar
        action = table[states[-1]].get(kind)
        if action.__class__ is int:  # the common case: shift at once
            push_state(action)
            push_value(item)
        else:
            feed(kind, item)
        if kind in open_types:
            paren += 1
        elif kind in close_types:
            paren = max(paren - 1, 0)
    while len(levels) > 1 and paren == 0:
        levels.pop()
        feed("_DEDENT", None)
    end_state = t.end_state
    while True:
        action = table[states[-1]].get("$END")
        if action is None or action.__class__ is int:
            raise _GiveUp
        reduce(action)
        if states[-1] == end_state:
            result, place, height = values[-1]
            return result, place, height


def _start(item: Any) -> tuple[int, int]:
    """Where a child starts: ``(line, column)``, as the tree path computes it."""
    kind = item.__class__
    if kind is tuple:
        return item[1].line, item[1].column or 1
    if kind is slice:
        return item.start, item.stop or 1
    return item.line, item.column or 1


def _end(item: Any) -> tuple[int, int]:
    """Where a child ends: ``(end_line, end_column)``, as the tree path computes it."""
    kind = item.__class__
    if kind is tuple:
        place = item[1]
        return place.end_line or place.line, place.end_column or 1
    if kind is slice:
        return item.start, item.step or 1
    return item.end_line or item.line, item.end_column or 1


@functools.cache
def fast_parser() -> FastParser | None:
    """The fast path, built once per process (None if this Lark version's internals differ)."""
    try:
        return FastParser(parser())
    except Exception:  # noqa: BLE001 - without it, every file takes the tree path
        return None


def build_fast(text: str, builder: BuilderBase) -> Any:
    """The IR of a (prepared) file's text, or None: use the tree path (parse, then transform)."""
    fast = fast_parser()
    return fast.build(text, builder) if fast is not None else None
