"""Reading a source bot folder: its ``*.flow`` files and its Python actions and hooks.

A source bot is a folder of ``*.flow`` files (any depth, hidden folders skipped), with
``actions/<name>.py`` (action ``<name>``; subfolders give ``folder/name``) and
``hooks/<hook>/<file>.py``. A compiled bot (or a Botpress bot) has ``bot.config.json`` and
``flows/`` instead.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import Span
from flowbot.compiler.ir import CodeFile
from flowbot.compiler.messages import diag

FLOW_SUFFIX = ".flow"


class SourceFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str  # relative to the bot folder, posix
    text: str


class Sources(BaseModel):
    model_config = ConfigDict(frozen=True)

    files: list[SourceFile] = Field(default_factory=list)
    actions: list[CodeFile] = Field(default_factory=list)
    hooks: list[CodeFile] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    @property
    def texts(self) -> dict[str, str]:
        return {f.path: f.text for f in (*self.files, *self.actions, *self.hooks)}


def _visible(path: Path, root: Path) -> bool:
    return not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts)


def is_source_bot(folder: Path | str) -> bool:
    """A folder of ``*.flow`` files (as opposed to a compiled or Botpress bot folder)."""
    root = Path(folder)
    if not root.is_dir():
        return False
    if (root / "bot.config.json").is_file() and (root / "flows").is_dir():
        return False
    return any(_visible(p, root) for p in root.rglob(f"*{FLOW_SUFFIX}") if p.is_file())


def _read(path: Path, root: Path, out: list[Diagnostic]) -> str | None:
    rel = path.relative_to(root).as_posix()
    where = Span(file=rel, line=1, column=1, end_line=1, end_column=2)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        out.append(diag("E007", where, file=rel, reason="not UTF-8 text"))
    except OSError as exc:
        out.append(diag("E007", where, file=rel, reason=exc.strerror or str(exc)))
    return None


def read_sources(root: Path) -> Sources:
    """Read every source file of the bot folder ``root`` (sorted, so builds are deterministic)."""
    try:
        return _read_sources(root)
    except OSError as exc:  # an unreadable folder (permissions, a broken link...)
        reason = exc.strerror or str(exc)
        return Sources(diagnostics=[diag("E007", None, file=str(exc.filename or root), reason=reason)])


def _read_sources(root: Path) -> Sources:
    out: list[Diagnostic] = []
    files = []
    for path in sorted(root.rglob(f"*{FLOW_SUFFIX}")):
        if path.is_file() and _visible(path, root):
            text = _read(path, root, out)
            if text is not None:
                files.append(SourceFile(path=path.relative_to(root).as_posix(), text=text))
    if not files and not out:
        out.append(diag("E113", None, folder=str(root)))
    actions = []
    for path in sorted((root / "actions").rglob("*.py")) if (root / "actions").is_dir() else []:
        if path.is_file() and _visible(path, root):
            text = _read(path, root, out)
            name = path.relative_to(root / "actions").with_suffix("").as_posix()
            if text is not None:
                actions.append(CodeFile(path=path.relative_to(root).as_posix(), name=name, text=text))
    hooks = []
    for path in sorted((root / "hooks").glob("*/**/*.py")) if (root / "hooks").is_dir() else []:
        if path.is_file() and _visible(path, root):
            text = _read(path, root, out)
            hook = path.relative_to(root / "hooks").parts[0]
            if text is not None:
                hooks.append(CodeFile(path=path.relative_to(root).as_posix(), name=hook, text=text))
    return Sources(files=files, actions=actions, hooks=hooks, diagnostics=out)
