"""The compiler's pipeline: read → parse → build IR → check → emit → write.

:func:`check` and :func:`build` never raise for anything a bot folder can contain: problems come
back as diagnostics (sorted, every one at once), and a bug in flowbot comes back as one
``E900`` internal-error diagnostic, kept apart from the bot's own problems.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import traceback
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from flowbot.compiler import ir
from flowbot.compiler.check_graph import check_graph
from flowbot.compiler.check_names import check_names
from flowbot.compiler.check_values import check_values
from flowbot.compiler.diagnostics import INTERNAL_ERROR
from flowbot.compiler.diagnostics import Diagnostic
from flowbot.compiler.diagnostics import locate
from flowbot.compiler.diagnostics import sort_diagnostics
from flowbot.compiler.emit_bot import BotFolder
from flowbot.compiler.emit_bot import emit_bot
from flowbot.compiler.fast_parse import build_fast
from flowbot.compiler.messages import diag
from flowbot.compiler.parse import parse_text
from flowbot.compiler.parse import prepare
from flowbot.compiler.sources import Sources
from flowbot.compiler.sources import read_sources
from flowbot.compiler.symbols import Symbols
from flowbot.compiler.symbols import build_symbols
from flowbot.compiler.transform import IrBuilder
from flowbot.compiler.writer import OutputError
from flowbot.compiler.writer import write_folder
from flowbot.runtime.bot import BotDefinition
from flowbot.runtime.flow import BotConfig
from flowbot.runtime.flow import EntityDefinition
from flowbot.runtime.flow import IntentDefinition
from flowbot.runtime.flow import QnaEntry


class Analysis(BaseModel):
    """A checked bot: its IR and symbols (None when it does not parse) and its diagnostics."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    program: ir.Program | None = None
    symbols: Symbols | None = None
    sources: Sources = Field(default_factory=Sources)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


class BuildResult(BaseModel):
    """What :func:`build` did: ``ok`` when the bot was written to ``out_dir``."""

    ok: bool
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    out_dir: Path | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def internal_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_internal]


def _parse_files(sources: Sources) -> tuple[ir.Program | None, list[Diagnostic]]:
    out: list[Diagnostic] = []
    files = []
    for source in sources.files:
        text = prepare(source.text)
        builder = IrBuilder(source.path)
        built = build_fast(text, builder)
        if built is None:  # a syntax error (or deep nesting): the tree path reports it
            tree, errors = parse_text(text, source.path)
            out.extend(errors)
            if tree is None:
                continue
            builder = IrBuilder(source.path)
            built = builder.transform(tree)
        out.extend(builder.diagnostics)
        if built is not None:
            files.append(built)
    if any(d.is_error for d in out) or not sources.files:
        return None, out
    program = ir.Program(
        files=[f.file for f in files],
        bots=[b for f in files for b in f.bots],
        flows=[x for f in files for x in f.flows],
        intents=[x for f in files for x in f.intents],
        entities=[x for f in files for x in f.entities],
        qnas=[x for f in files for x in f.qnas],
        actions=sources.actions,
        hooks=sources.hooks,
    )
    return program, out


def _analyze(root: Path) -> Analysis:
    sources = read_sources(root)
    program, out = _parse_files(sources)
    out = [*sources.diagnostics, *out]
    if program is None:
        return Analysis(sources=sources, diagnostics=out)
    symbols, duplicates = build_symbols(program)
    out.extend(duplicates)
    if program.bot is None:
        out.append(diag("E112", None))
    out.extend(check_names(program, symbols))
    out.extend(check_graph(program, symbols))
    out.extend(check_values(program, symbols))
    return Analysis(program=program, symbols=symbols, sources=sources, diagnostics=out)


def _internal(exc: BaseException) -> Diagnostic:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    origin = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    return diag(INTERNAL_ERROR, None, detail=f"{type(exc).__name__}: {exc}{origin}")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while compiling (and writing).

    Compiling allocates hundreds of thousands of small acyclic objects (tokens, trees, models);
    the collector's full passes over them made compile time grow quadratically (a 10,000-node
    bot spent 3/4 of its time in the collector). Nothing the compiler builds is cyclic, so
    reference counting frees it all; the collector is re-enabled afterwards (and during NLU
    training, which is not ours).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _settle()
            gc.enable()


def _settle() -> None:
    """Move every tracked object to the oldest generation (``gc.freeze`` then ``gc.unfreeze``: two
    list splices). With the collector paused, all that compiling made (the IR, for as long as
    the caller keeps it) is still in the youngest generation, whose allocation count is far over
    the threshold: the first allocation after re-enabling would traverse it all (0.2 s after
    checking a 10,000-node bot). Skipped when objects are frozen already: unfreezing would
    release someone else's."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def analyze(source_dir: Path | str) -> Analysis:
    """Read and check a source bot; diagnostics are located (display paths, source lines) and sorted."""
    with _gc_paused():
        return _located_analysis(Path(source_dir))


def _located_analysis(root: Path) -> Analysis:
    try:
        analysis = _analyze(root)
    except Exception as exc:  # noqa: BLE001 - a bug must become a diagnostic, never a traceback
        return Analysis(diagnostics=locate([_internal(exc)], str(root), {}))
    located = locate(analysis.diagnostics, str(root), analysis.sources.texts)
    return analysis.model_copy(update={"diagnostics": sort_diagnostics(located)})


def check(source_dir: Path | str) -> list[Diagnostic]:
    """Every diagnostic of the source bot in ``source_dir``, sorted (contract §6)."""
    return analyze(source_dir).diagnostics


def compile_folder(analysis: Analysis) -> BotFolder:
    """The files of a checked bot (``analysis.ok`` must be true)."""
    assert analysis.program is not None and analysis.symbols is not None
    return emit_bot(analysis.program, analysis.symbols)


def build(source_dir: Path | str, out_dir: Path | str, *, train_nlu: bool = True) -> BuildResult:
    """Check the bot in ``source_dir`` and, when it has no errors, write it to ``out_dir`` as a
    Botpress v12 bot folder (replacing a previous build). Writes nothing when there are errors.
    ``train_nlu=False`` leaves out ``nlu/`` (tools that keep trained models in a cache of their own)."""
    root, out = Path(source_dir), Path(out_dir)
    with _gc_paused():
        analysis = _located_analysis(root)
        if not analysis.ok:
            return BuildResult(ok=False, diagnostics=analysis.diagnostics)
        try:
            folder = compile_folder(analysis)
            finish = (lambda staging: _train_nlu(staging, folder, previous=out)) if train_nlu else None
            write_folder(folder, out, finish=finish)
        except OutputError as exc:
            failure = diag("E121", None, path=str(out), reason=str(exc)).model_copy(update={"path": str(out)})
            return BuildResult(ok=False, diagnostics=[*analysis.diagnostics, failure])
        except Exception as exc:  # noqa: BLE001 - see _located_analysis()
            failure = _internal(exc).model_copy(update={"path": str(root)})
            return BuildResult(ok=False, diagnostics=[*analysis.diagnostics, failure])
    return BuildResult(ok=True, diagnostics=analysis.diagnostics, out_dir=out)


NLU_MODULE = "flowbot.runtime.nlu"


def _train_nlu(bot_dir: Path, folder: BotFolder, previous: Path | None = None) -> None:
    """Train the bot's NLU model into ``<bot_dir>/nlu/`` (contract §5), when the NLU module is
    installed; without it the runtime trains on first load instead. When the previous build in
    ``previous`` has a model trained on the same NLU data, it is copied instead: training is
    deterministic, so it would give the same bytes, and it is most of a small bot's build."""
    if importlib.util.find_spec(NLU_MODULE) is None:
        return
    nlu = importlib.import_module(NLU_MODULE)
    bot = _nlu_bot(folder, bot_dir)
    if previous is not None and nlu.copy_if_current(bot, previous / "nlu", bot_dir / "nlu"):
        return
    # Training is not ours: let it collect as it expects, but only its own objects. Frozen, the
    # compiler's (hundreds of thousands for a big bot) are not traversed by every collection.
    # Unfreezing releases every frozen object, so a process that froze its own (``bot serve``
    # recompiling on --reload) keeps them frozen and only pays for the compiler's objects.
    paused = not gc.isenabled()
    ours = gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    gc.enable()
    try:
        model = nlu.train_nlu(bot)
        model.save(bot_dir / "nlu")
    finally:
        if paused:
            gc.disable()
        if ours:
            gc.unfreeze()


def _nlu_bot(folder: BotFolder, bot_dir: Path) -> BotDefinition:
    """What NLU training reads (config, intents, entities, QnA), from the files just emitted, as
    ``load_bot`` would read them back; the flows, which training does not read, are left out
    (reading them back cost more than compiling them)."""
    config = BotConfig.model_validate(folder.files["bot.config.json"])

    def items(folder_name: str, model: type[Any]) -> list[Any]:
        # load_bot reads ``<folder>/*.json`` sorted by path: within one folder, by name
        prefix = f"{folder_name}/"
        names = sorted(rel for rel in folder.files if rel.startswith(prefix) and "/" not in rel[len(prefix):])
        return [model.model_validate(folder.files[rel]) for rel in names if rel.endswith(".json")]

    return BotDefinition(
        bot_id=config.id or bot_dir.name,
        root=bot_dir,
        config=config,
        intents=items("intents", IntentDefinition),
        entities=items("entities", EntityDefinition),
        qna=items("qna", QnaEntry),
    )
