"""Python code from a bot folder: ``actions/**/*.py`` and ``hooks/<hook>/*.py`` (contract §3).

Each file defines ``async def run(...)``. It is imported once, from its path, under a module name
unique to the bot and file (two bots may both have ``actions/lookup.py``). A call passes only the
parameters ``run`` declares, by name, and is bounded by a time limit so that user code cannot hang
a turn; what it raises is the caller's to handle (actions go to the error flow, hooks are logged).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import inspect
import logging
import sys
from collections.abc import Callable
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from flowbot.errors import FlowbotError

ACTION_PARAMETERS = frozenset({"event", "user", "session", "temp", "bot", "args"})
HOOK_PARAMETERS = frozenset({"event", "user", "session", "temp", "bot", "payload"})

logger = logging.getLogger(__name__)

# The hooks a bot may define, by folder name; Botpress's ``*_middleware`` folder names are accepted too.
HOOK_FOLDERS = {
    "before_incoming": "before_incoming",
    "before_incoming_middleware": "before_incoming",
    "after_incoming": "after_incoming",
    "after_incoming_middleware": "after_incoming",
    "before_outgoing": "before_outgoing",
    "before_outgoing_middleware": "before_outgoing",
    "after_event_processed": "after_event_processed",
    "before_session_timeout": "before_session_timeout",
    "before_conversation_end": "before_conversation_end",
}


class UserCodeError(FlowbotError):
    """A Python action or hook file that cannot be used; ``problems`` names each file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid Python code in the bot folder:\n" + "\n".join(f"  {p}" for p in problems))


class UserFunction:
    """One loaded ``run`` function and the parameters it declares."""

    def __init__(
        self, name: str, path: Path, fn: Callable[..., Coroutine[Any, Any, Any]], allowed: frozenset[str]
    ) -> None:
        self.name = name
        self.path = path
        self.fn = fn
        params = inspect.signature(fn).parameters.values()
        self.takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        self.wanted = [p.name for p in params if p.name in allowed]

    async def call(self, available: dict[str, Any], timeout: float) -> None:
        kwargs = dict(available) if self.takes_all else {name: available[name] for name in self.wanted}
        # wait_for cancels the coroutine at the deadline: a hanging action cannot hold the turn
        await asyncio.wait_for(self.fn(**kwargs), timeout=timeout)


def _check_signature(fn: Any, path: Path, allowed: frozenset[str]) -> str | None:
    if not inspect.iscoroutinefunction(fn):
        return (
            f"{path}: `run` must be defined with `async def run(...)` "
            "(a plain function would block every conversation)"
        )
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if param.name not in allowed and param.default is inspect.Parameter.empty:
            names = ", ".join(sorted(allowed))
            problem = f"`run` takes a parameter `{param.name}` that flowbot cannot pass"
            return f"{path}: {problem} (choose among: {names})"
    return None


def load_function(
    path: Path, module_name: str, name: str, allowed: frozenset[str], problems: list[str]
) -> UserFunction | None:
    """Import ``path`` as ``module_name`` and return its ``run``; problems are appended, not raised."""
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            problems.append(f"{path}: cannot be imported")
            return None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except Exception as exc:  # user code: anything may happen at import time
        sys.modules.pop(module_name, None)
        problems.append(f"{path}: import failed: {type(exc).__name__}: {exc}")
        return None
    fn = getattr(module, "run", None)
    if fn is None:
        problems.append(f"{path}: defines no `async def run(...)`")
        return None
    problem = _check_signature(fn, path, allowed)
    if problem:
        problems.append(problem)
        return None
    return UserFunction(name, path, fn, allowed)


def _module_prefix(bot_id: str, root: Path) -> str:
    digest = hashlib.sha1(f"{bot_id}\0{root.resolve()}".encode()).hexdigest()[:12]
    return f"flowbot_usercode_{digest}"


def _module_name(prefix: str, relative: Path) -> str:
    safe = "".join(ch if ch.isalnum() else "_" for ch in relative.with_suffix("").as_posix())
    return f"{prefix}__{safe}"


def load_actions(bot_id: str, root: Path) -> dict[str, UserFunction]:
    """``actions/**/*.py`` by action name (the path under ``actions/`` without ``.py``)."""
    folder = root / "actions"
    problems: list[str] = []
    actions: dict[str, UserFunction] = {}
    prefix = _module_prefix(bot_id, root)
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
        relative = path.relative_to(folder)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        name = relative.with_suffix("").as_posix()
        fn = load_function(
            path, _module_name(prefix + "__actions", relative), name, ACTION_PARAMETERS, problems
        )
        if fn is not None:
            actions[name] = fn
    _warn_javascript(bot_id, "action", sorted(folder.rglob("*.js")) if folder.is_dir() else [])
    if problems:
        raise UserCodeError(problems)
    return actions


def _warn_javascript(bot_id: str, kind: str, paths: list[Path]) -> None:
    """A Botpress bot brings JavaScript actions and hooks: they cannot run here, and the author must
    hear it at load time rather than find a flow that silently takes the error flow."""
    if paths:
        logger.warning(
            "bot %s: %d JavaScript %s file(s) not run (flowbot runs Python: rewrite them as "
            "`async def run(...)` in a .py file): %s",
            bot_id,
            len(paths),
            kind,
            ", ".join(str(path) for path in paths),
        )


def load_hooks(bot_id: str, root: Path) -> dict[str, list[UserFunction]]:
    """``hooks/<hook>/*.py`` by hook, each list sorted by file name; files starting with ``.`` are off."""
    folder = root / "hooks"
    problems: list[str] = []
    hooks: dict[str, list[UserFunction]] = {}
    prefix = _module_prefix(bot_id, root)
    for sub in sorted(folder.iterdir()) if folder.is_dir() else []:
        hook = HOOK_FOLDERS.get(sub.name)
        if not sub.is_dir():
            continue
        if hook is None and not any(sub.glob("*.py")):
            # Botpress's other hooks (after_bot_mount, on_bot_error...) exist in its bots as .js only
            _warn_javascript(bot_id, "hook", sorted(sub.glob("*.js")))
            continue
        if hook is None:
            known = ", ".join(sorted(set(HOOK_FOLDERS.values())))
            problems.append(f"{sub}: unknown hook folder (expected one of: {known})")
            continue
        _warn_javascript(bot_id, "hook", sorted(sub.glob("*.js")))
        for path in sorted(sub.glob("*.py"), key=lambda p: p.name):
            if path.name.startswith((".", "_")):
                continue
            relative = path.relative_to(folder)
            fn = load_function(
                path, _module_name(prefix + "__hooks", relative), path.stem, HOOK_PARAMETERS, problems
            )
            if fn is not None:
                hooks.setdefault(hook, []).append(fn)
    if problems:
        raise UserCodeError(problems)
    return hooks
