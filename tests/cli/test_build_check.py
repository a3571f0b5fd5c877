"""``bot build`` and ``bot check``: output formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowbot.cli import cli
from flowbot.compiler import pipeline
from tests.compiler.util import bot_with

GOOD = 'flow main\n  node entry\n    say "Hello"\n    -> end\n'
BAD = 'flow main\n  node entry\n    say "Hello"\n    -> nowhere\n  node lost\n    -> end\n'


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_succeeds_and_says_so(tmp_path: Path) -> None:
    code, out, err = _run("build", str(bot_with(tmp_path, GOOD)), "-o", str(tmp_path / "out"))
    assert code == 0 and out == ""
    assert err == f"built {tmp_path / 'src'} -> {tmp_path / 'out'} (no problems)\n"
    assert (tmp_path / "out" / "flows" / "main.flow.json").is_file()


def test_build_with_errors_prints_them_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    src = bot_with(tmp_path, BAD)
    code, out, err = _run("build", str(src), "-o", str(tmp_path / "out"))
    assert code == 1 and out == ""
    assert "error[E101]: unknown node `nowhere`" in err
    assert f"  --> {src}/main.flow:6:8" in err
    assert "warning[W001]: node `lost` is unreachable" in err
    assert err.endswith(f"error: {src} was not built (1 error, 1 warning); nothing was written\n")
    assert not (tmp_path / "out").exists()


def test_check_short_format(tmp_path: Path) -> None:
    src = bot_with(tmp_path, BAD)
    code, _, err = _run("check", str(src), "--format", "short")
    assert code == 1
    assert err.splitlines() == [
        f"{src}/main.flow:6:8: error: unknown node `nowhere` [E101]",
        f"{src}/main.flow:7:8: warning: node `lost` is unreachable [W001]",
        f"{src}: 1 error, 1 warning",
    ]


def test_check_json_goes_to_stdout(tmp_path: Path) -> None:
    code, out, err = _run("check", str(bot_with(tmp_path, BAD)), "--format", "json")
    assert code == 1 and err == ""
    assert [(d["code"], d["line"], d["column"]) for d in json.loads(out)] == [("E101", 6, 8), ("W001", 7, 8)]


def test_check_clean_bot_exits_0(tmp_path: Path) -> None:
    src = bot_with(tmp_path, GOOD)
    code, out, err = _run("check", str(src))
    assert (code, out, err) == (0, "", f"{src}: no problems\n")
    code, out, _ = _run("check", str(src), "--format", "json")
    assert (code, out) == (0, "[]\n")


def test_warnings_alone_do_not_fail(tmp_path: Path) -> None:
    code, _, err = _run("check", str(bot_with(tmp_path, GOOD + "  node lost\n    -> end\n")))
    assert code == 0 and "warning[W001]" in err


def test_build_refuses_a_compiled_bot(tmp_path: Path) -> None:
    assert _run("build", str(bot_with(tmp_path, GOOD)), "-o", str(tmp_path / "out"))[0] == 0
    code, _, err = _run("build", str(tmp_path / "out"), "-o", str(tmp_path / "again"))
    assert code == 1 and "is already a bot folder" in err


def test_usage_errors(tmp_path: Path) -> None:
    assert _run("build", str(tmp_path / "missing"), "-o", str(tmp_path / "out"))[0] == 2
    assert _run("build", str(bot_with(tmp_path, GOOD)))[0] == 2  # -o is required
    assert _run("check", str(bot_with(tmp_path, GOOD)), "--format", "xml")[0] == 2


def test_internal_errors_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "check_names", lambda *a: 1 / 0)
    code, _, err = _run("check", str(bot_with(tmp_path, GOOD)))
    assert code == 3 and "error[E900]: internal error: ZeroDivisionError" in err
