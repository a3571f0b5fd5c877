"""The message registry: every diagnostic code with its severity, message, label and hint.

Codes: ``E0xx`` syntax, ``E1xx`` names and values, ``E2xx`` flow graph, ``W0xx`` warnings,
``E900`` internal error (a bug in flowbot, never the bot's fault). Checks call :func:`diag`
with a code and the fields to format; no message text is written anywhere else, so that the
catalogue in docs/language.md and the tests that pin messages have one source.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic import BaseModel
from pydantic import ConfigDict

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Note
from flowbot.compiler.diagnostics import Severity
from flowbot.compiler.diagnostics import Span


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity
    message: str
    label: str | None = None
    hint: str | None = None


def _e(message: str, label: str | None = None, hint: str | None = None) -> Message:
    return Message(severity=Severity.ERROR, message=message, label=label, hint=hint)


def _w(message: str, label: str | None = None, hint: str | None = None) -> Message:
    return Message(severity=Severity.WARNING, message=message, label=label, hint=hint)


MESSAGES: dict[str, Message] = {
    # ---- syntax
    "E001": _e("unexpected character `{char}`", "expected {expected}"),
    "E002": _e("unexpected {found}", "expected {expected}"),
    "E003": _e("unexpected end of file", "expected {expected}"),
    "E004": _e(
        "inconsistent indentation",
        "this line is indented by {indent}, which matches no enclosing block ({levels})",
        "indent every line of a block by the same amount (2 spaces per level is usual)",
    ),
    "E005": _e(
        "unclosed string",
        "this string has no closing `\"` on its line",
        'a string ends on the line where it starts; use """...""" for text over several lines',
    ),
    "E006": _e(
        "invalid escape `{escape}` in a string",
        "unknown escape",
        'the escapes are \\" \\\\ \\n \\t \\r \\/ \\b \\f and \\uXXXX',
    ),
    "E007": _e("cannot read `{file}`: {reason}"),
    "E010": _e("missing `->` before the target", "expected `->` here", "write `when <condition> -> <target>`"),
    "E011": _e(
        "missing target after `->`",
        "expected a target",
        "a target is a node name, `flow <name>`, `flow <name>.<node>`, `return` or `end`",
    ),
    "E012": _e(
        "missing condition after `when`",
        "expected a condition",
        "e.g. `when intent greet -> hello` or `when session.count > 3 -> done`; use `else -> <target>` "
        "for the default branch",
    ),
    "E013": _e(
        "`{keyword}` needs an indented block",
        "nothing is indented under this line",
        "indent the contents of `{keyword}` under it",
    ),
    "E014": _e(
        "`{keyword}` is not allowed here",
        "{where}",
    ),
    "E015": _e(
        "an entity value has no leading `-`",
        "unexpected `-`",
        "write each value on its own line as `value: synonym, synonym`",
    ),
    "E016": _e(
        "an utterance starts with `-`",
        "expected `- <utterance>`, `slot` or `context`",
        "write each example sentence on its own line as `- what's the weather in [Paris](city)`",
    ),
    # ---- names and values
    "E101": _e("unknown node `{name}`", "no node with this name in flow `{flow}`"),
    "E102": _e("unknown flow `{name}`", "no flow with this name"),
    "E103": _e("duplicate {kind} `{name}`", "{kind} `{name}` is already defined{where}"),
    "E104": _e(
        "unknown memory scope `{name}`",
        "not a memory scope",
        "memory paths start with {scopes}",
    ),
    "E105": _e("unknown intent `{name}`", "no intent with this name", None),
    "E106": _e(
        "unknown entity `{name}`",
        "not a declared entity nor a system entity",
        "declare it with `entity {name} list` or use a system entity ({system})",
    ),
    "E107": _e("unknown slot `{name}`", "no intent declares this slot"),
    "E108": _e(
        "unknown action `{name}`",
        "no file `actions/{name}.py` and no built-in action with this name",
        "write `actions/{name}.py` defining `async def run(...)` next to the .flow files",
    ),
    "E109": _e("invalid template: {detail}", "Jinja2 syntax error", "templates use Jinja2 syntax: `{{{{ temp.x }}}}`"),
    "E110": _e("invalid URL `{url}`", "{reason}", "a call URL is `http://...` or `https://...` (templates allowed)"),
    "E111": _e("invalid HTTP method `{method}`", "not an HTTP method", "use GET, POST, PUT, PATCH or DELETE"),
    "E112": _e(
        "the bot has no `bot` declaration",
        None,
        'add `bot <id> "<Name>"` at the top of one of the .flow files',
    ),
    "E113": _e("no `.flow` files in `{folder}`", None, "a bot is a folder of `*.flow` files"),
    "E114": _e(
        "ambiguous slot `{name}`",
        "declared by the intents {intents}",
        "say which intent's slot to fill: `fill <intent>.{name}`",
    ),
    "E115": _e("invalid {what} `{value}`", "{expected}"),
    "E116": _e("invalid regular expression: {detail}", "this pattern does not compile"),
    "E117": _e("invalid Python {kind} `{file}`: {detail}"),
    "E118": _e(
        "`{name}` is a reserved word",
        "cannot name a {kind}",
        "reserved words: {reserved}; pick another name",
    ),
    "E119": _e("`event` memory is read-only", "cannot write to `event`", "write to `temp`, `session`, `user` or `bot`"),
    "E120": _e(
        "the response goes to a memory variable `<scope>.<name>`",
        "expected one name after the scope",
        "e.g. `-> temp.response` or `-> session.weather`",
    ),
    # ---- flow graph
    "E201": _e("missing start node in flow `{flow}`", "{label}"),
    "E202": _e(
        "the bot has no `main` flow",
        None,
        "a conversation starts at the start node of `flow main`",
    ),
    "E203": _e(
        "node `{node}` has no way out",
        "no transition leaves this node",
        "add a transition, e.g. `-> end` to end the conversation",
    ),
    "E204": _e(
        "these nodes loop without waiting for the user: {cycle}",
        "this loop has no `listen`",
        "the runtime stops a turn that visits a node 3 times; add `listen` (or a question) in the "
        "loop, or leave it with a transition",
    ),
    "E205": _e(
        "`{step}` after the node's transitions",
        "steps must come before transitions",
        "transitions are checked after every step of the node has run; move this step above them",
    ),
    "E206": _e(
        "a node waits at most once",
        "second `listen` in node `{node}`",
        "split the node in two: move the steps from this `listen` on to a new node",
    ),
    "E207": _e(
        "`{step}` must be the only step of its node",
        "node `{node}` has other steps or transitions",
    ),
    "E208": _e("{message}", "{label}"),
    "E209": _e(
        "this transition never runs",
        "an unconditional transition comes before it",
        "`else` and `->` always match: put them last",
    ),
    "E210": _e("`{step}` has no `{outcome}` target", "missing `{outcome} -> <target>`"),
    "E211": _e("`fill` has no question", "missing `ask \"<question>\"`", "a slot is asked for: add `ask \"...\"` to the block"),
    "E212": _e(
        "QnA `{name}` has {problem}",
        "incomplete QnA",
        "a QnA has questions (`q: ...`) and an answer (`a: ...`), a redirect (`-> flow <name>`), or both",
    ),
    "E121": _e("cannot write the bot to `{path}`: {reason}"),
    "E122": _e(
        "too deeply nested",
        "more than {limit} levels of nesting",
        "split the condition or the value into simpler parts",
    ),
    # ---- warnings
    "W001": _w(
        "node `{node}` is unreachable",
        "no transition leads here",
        "remove it or add a transition to it",
    ),
    "W002": _w(
        "intent `{name}` has {count} utterance{plural}",
        "fewer than 3 examples",
        "give at least 3 example sentences: intent training needs 3",
    ),
    "W003": _w(
        "flow `{name}` is never entered",
        "no transition or QnA leads to this flow",
        "enter it with `-> flow {name}` or remove it",
    ),
    "W004": _w(
        "no default transition in node `{node}`",
        "when no condition matches, the conversation ends",
        "add `else -> <target>`, or `else -> end` to make the end explicit",
    ),
    "W005": _w(
        "unknown hook folder `{name}`",
        "these hooks never run",
        "hook folders are {hooks}",
    ),
    "W006": _w(
        "context `{name}` is not used by any intent or QnA",
        "unknown NLU context",
        "declare it with `context {name}` in an intent or a QnA",
    ),
    # ---- internal
    "E900": _e("internal error: {detail}", None, "this is a bug in flowbot, not in your bot; please report it"),
}


def diag(
    code: str,
    span: Span | None,
    *,
    hint: str | None = None,
    label: str | None = None,
    notes: Iterable[Note] = (),
    **fields: object,
) -> Diagnostic:
    """A diagnostic of registry entry ``code``, its texts formatted with ``fields``.

    ``hint`` and ``label`` override the registered ones (did-you-mean suggestions, a label that
    says more where the check knows more).
    """
    spec = MESSAGES[code]
    if hint is None and spec.hint:
        hint = spec.hint.format(**fields)
    return Diagnostic(
        code=code,
        severity=spec.severity,
        message=spec.message.format(**fields),
        span=span,
        label=label if label is not None else (spec.label.format(**fields) if spec.label else None),
        hint=hint,
        notes=list(notes),
    )


def did_you_mean(name: str, candidates: Iterable[str], *more: Iterable[str]) -> str | None:
    """``did you mean `x`?`` for the closest candidate, or None. Candidates in ``more`` are
    considered only when none of the first ones is close (the bot's own names first)."""
    for group in (candidates, *more):
        pool = sorted(set(group))
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            return f"did you mean `{lowered[name.lower()]}`?"
        match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        if match:
            return f"did you mean `{match[0]}`?"
    return None


def backticks(names: Iterable[str], last: str = "or") -> str:
    """`a`, `b` or `c` (``last="and"``: `a`, `b` and `c`)."""
    items = [f"`{n}`" for n in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]
