"""Property tests: whatever a bot folder holds, the compiler answers with diagnostics, never with
a traceback or an internal error; and what it accepts, it compiles to a folder the runtime loads."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from flowbot.compiler import build
from flowbot.compiler import check
from flowbot.runtime.bot import load_bot
from tests.conftest import ROOT

SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "bots").rglob("*.flow"))]
WORDS = [
    "bot", "flow", "node", "intent", "entity", "qna", "say", "listen", "set", "unset", "run", "call", "ask",
    "fill", "when", "else", "->", "return", "again", "to", "end", "option", "on_success", "on_failure",
    "temp.x", "session.y", "{{ temp.x }}", '"text"', '"""long"""', "{", "}", "[", "]", "(", ")", ",", ":",
    "\n", "\n  ", "\n    ", "\t", "#", "-", "==", "and", "or", "not", "intent greet", "slot city", "\\",
    '"\\q"', "{%", "%}", "é", "\u2028", "\r\n",
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_text(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        for name, text in files.items():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        diags = check(src)
        assert all(isinstance(d.message, str) for d in diags)
        assert not [d for d in diags if d.is_internal], [d.message for d in diags if d.is_internal]
        if not any(d.is_error for d in diags):
            result = build(src, Path(tmp) / "out")
            assert result.ok, [d.message for d in result.diagnostics if d.is_error]
            load_bot(Path(tmp) / "out")


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_arbitrary_text(text: str) -> None:
    _check_text({"main.flow": text})


@SETTINGS
@given(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join))
def test_keyword_soup(text: str) -> None:
    _check_text({"main.flow": 'bot b "B"\n' + text})


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        insert = draw(st.one_of(st.just(""), st.sampled_from(WORDS), st.text(max_size=8)))
        text = text[:start] + insert + text[end:]
    return text


@SETTINGS
@given(_mutated())
def test_mutated_example_bots(text: str) -> None:
    _check_text({"main.flow": 'bot b "B"\n' + text if "bot " not in text else text})


@SETTINGS
@given(st.lists(_mutated(), min_size=1, max_size=3))
def test_mutated_multi_file_bots(texts: list[str]) -> None:
    _check_text({f"part{i}.flow": t for i, t in enumerate(texts)})
