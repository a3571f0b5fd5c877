"""The fast path (Lark's tables run by one loop, no tree) builds exactly the IR and the builder
diagnostics of the tree path, accepts exactly what Lark accepts, and steps aside otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from benchmarks.compile import generate
from flowbot.compiler.fast_parse import build_fast
from flowbot.compiler.fast_parse import fast_parser
from flowbot.compiler.parse import parse_text
from flowbot.compiler.parse import prepare
from flowbot.compiler.transform import IrBuilder
from flowbot.compiler.transform_base import MAX_NESTING
from tests.compiler.test_never_crashes import SEEDS
from tests.compiler.test_never_crashes import WORDS
from tests.conftest import ROOT
from tests.docs.test_language_examples import EXAMPLES


def _tree_path(text: str) -> tuple[str, list[Any]] | None:
    """(repr of the IR, builder diagnostics) the tree path gives, None on a syntax error."""
    tree, errors = parse_text(text, "main.flow")
    if tree is None:
        assert errors
        return None
    builder = IrBuilder("main.flow")
    built = builder.transform(tree)
    return repr(built), builder.diagnostics


def _fast_path(text: str) -> tuple[str, list[Any]] | None:
    builder = IrBuilder("main.flow")
    built = build_fast(text, builder)
    return None if built is None else (repr(built), builder.diagnostics)


def _sources() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "bots").rglob("*.flow"))]
    texts += [text for example in EXAMPLES for name, text in example.items() if name.endswith(".flow")]
    return [prepare(text) for text in texts]


def test_the_fast_path_is_there() -> None:
    assert fast_parser() is not None


def test_same_ir_for_every_example(tmp_path: Path) -> None:
    generate(300, tmp_path)
    generated = [prepare(p.read_text(encoding="utf-8")) for p in sorted(tmp_path.glob("*.flow"))]
    for text in _sources() + generated:
        fast = _fast_path(text)
        assert fast is not None, text[:200]  # no silent fallback on valid input
        assert fast == _tree_path(text)


def test_same_builder_diagnostics() -> None:
    text = prepare(
        'bot b "B"\n  language en, en\nflow main\n  node entry\n    say "bad \\q escape"\n'
        "    ask \"Pick\"\n      option a \"A\" -> entry\n      retries 99\n      retries 2\n"
        "      on_failure -> entry\n"
    )
    fast = _fast_path(text)
    assert fast is not None and fast[1]
    assert fast == _tree_path(text)


def test_syntax_errors_take_the_tree_path() -> None:
    bad = ("flow main\n  node entry\n    say\n", "flow main\n  node entry\n      say \"x\"\n    -> end\n", "flow ]\n")
    for text in bad:
        assert _fast_path(prepare(text)) is None
        assert _tree_path(prepare(text)) is None


def test_deep_nesting_takes_the_tree_path() -> None:
    depth = MAX_NESTING + 5
    deep = "flow main\n  node entry\n    set temp.x = " + "[" * depth + "1" + "]" * depth + "\n    -> end\n"
    assert _fast_path(prepare(deep)) is None
    shallow = deep.replace("[" * depth, "[" * 20).replace("]" * depth, "]" * 20)
    assert _fast_path(prepare(shallow)) == _tree_path(prepare(shallow)) is not None


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 30)))
        insert = draw(st.one_of(st.just(""), st.sampled_from(WORDS), st.text(max_size=6)))
        text = text[:start] + insert + text[end:]
    return prepare(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fast_path_agrees_with_the_tree_path(text: str) -> None:
    """Whatever the text: the fast path gives the tree path's result, or steps aside exactly when
    Lark rejects the text (or the tree is too deep)."""
    fast, tree = _fast_path(text), _tree_path(text)
    if fast is not None:
        assert fast == tree
    elif tree is not None:
        assert any(d.code == "E122" for d in tree[1]) or "E122" in repr(tree)


def test_blanks_are_skipped_without_the_lexer_and_nothing_changes() -> None:
    """Blanks are skipped by a small regex of their own (no terminal of the grammar starts with
    one); wherever they are (tabs, trailing, before comments, at the end) the IR is the tree path's."""
    assert fast_parser().skip_blanks is not None  # type: ignore[union-attr]
    text = prepare(
        'bot b \t "B"  \nflow main\t\n  node entry   # a comment\n    say\t"x" ,  "y"\t typing \n'
        "    set temp.a = [ 1 ,\t2 ]  \n    when   intent yes\tand not temp.a -> entry\n    else -> end \t"
    )
    fast = _fast_path(text)
    assert fast is not None and fast == _tree_path(text)


def test_blanks_go_through_the_lexer_when_a_terminal_may_start_with_one() -> None:
    from lark import Lark

    from flowbot.compiler.fast_parse import _blank_skipper
    from flowbot.compiler.fast_parse import _lexer

    def skipper(grammar: str) -> object:
        lark = Lark(grammar, parser="lalr", lexer="contextual")
        built: dict[int, Any] = {}
        contextual = lark.parser.lexer  # no postlex here: not wrapped, as ours is
        lexers = [_lexer(lexer, built) for lexer in contextual.lexers.values()]
        return _blank_skipper(lark, lexers)

    assert skipper('start: WORD+\nWORD: /[a-z]+/\n%ignore /[\\t ]+/\n') is not None
    assert skipper('start: WORD+\nWORD.2: / ?[a-z]+/\n%ignore /[\\t ]+/\n') is None  # " x" is a WORD
    assert skipper('start: WORD+\nWORD: /[a-z]+/\n%ignore / +/\n') is None  # other blanks: not ours
