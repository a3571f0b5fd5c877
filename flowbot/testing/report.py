"""Printing a test run: a summary per file, then each failure as a diff, and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from flowbot.compiler.diagnostics import render_diagnostics
from flowbot.testing.runner import CaseResult
from flowbot.testing.suite import FileResult
from flowbot.testing.suite import Report

Style = Callable[[str, str], str]


def _plain(text: str, color: str) -> str:
    return text


def counts(passed: int, failed: int, broken: int = 0) -> str:
    parts = [f"{passed} passed", f"{failed} failed"]
    if broken:
        parts.append(f"{broken} file{'s' if broken != 1 else ''} with errors")
    return ", ".join(parts)


def _file_line(result: FileResult, style: Style) -> str:
    if any(d.is_error for d in result.diagnostics):
        return f"{result.path}: " + style("not run (errors in the file)", "red")
    passed = sum(1 for c in result.cases if c.passed)
    failed = len(result.cases) - passed
    if not result.cases:
        return f"{result.path}: no tests"
    summary = f"{passed} passed" + (f", {failed} failed" if failed else "")
    return f"{result.path}: " + style(summary, "red" if failed else "green")


def render_failure(case: CaseResult, style: Style = _plain) -> str:
    """One failed test: where, which turn, every expectation that did not hold."""
    failure = case.failure
    assert failure is not None
    out = [
        style("FAIL", "red") + f" {case.where}: {case.name}",
        f"  turn {failure.turn}: {failure.input}  ({failure.where})",
    ]
    for problem in failure.problems:
        out.append(f"  {problem.message}")
        for detail in problem.details:
            marker = detail[:1]
            colour = {"-": "red", "+": "green"}.get(marker)
            out.append("    " + (style(detail, colour) if colour else detail))
    diffed = any(
        problem.details and problem.details[0][:2] in ("- ", "+ ", "  ") for problem in failure.problems
    )
    if failure.said and not diffed:
        out.append("  the bot said:")
        out.extend(f"    {line}" for line in failure.said)
    return "\n".join(out)


def render_report(report: Report, *, verbose: bool = False, style: Style = _plain) -> str:
    """The text ``bot test`` prints (``style(text, color)`` adds colours, or not)."""
    out: list[str] = []
    if report.setup is not None:
        out.append(style("error", "red") + f": {report.setup}")
        if report.setup_diagnostics:
            out.append(render_diagnostics(report.setup_diagnostics, "pretty"))
        return "\n".join(out)
    for result in report.files:
        out.append(_file_line(result, style))
        if verbose:
            for case in result.cases:
                status = style("PASS", "green") if case.passed else style("FAIL", "red")
                out.append(f"  {status} {case.where}: {case.name} ({case.duration * 1000:.0f} ms)")
    if not report.files:
        out.append(f"{report.bot}: no test files (write them as tests/*.convo in the bot folder)")
    for result in report.broken_files:
        out.append("")
        out.append(render_diagnostics(result.diagnostics, "pretty"))
    for case in report.cases:
        if not case.passed:
            out.append("")
            out.append(render_failure(case, style))
    out.append("")
    closing = counts(report.passed, report.failed, len(report.broken_files))
    out.append(style(closing, "green" if report.ok else "red") + f" in {report.duration:.2f} s")
    return "\n".join(out)


def junit_xml(report: Report) -> str:
    """JUnit XML: one ``testsuite`` per file, one ``testcase`` per test; a file that cannot be
    read and a bot that cannot be built are ``error`` s."""
    root = ET.Element(
        "testsuites",
        name=f"flowbot: {report.bot}",
        tests=str(len(report.cases)),
        failures=str(report.failed),
        time=f"{report.duration:.3f}",
    )
    if report.setup is not None:
        suite = ET.SubElement(root, "testsuite", name=report.bot, tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname=report.bot, name="build the bot")
        detail = render_diagnostics(report.setup_diagnostics, "short") if report.setup_diagnostics else ""
        ET.SubElement(case, "error", message=report.setup).text = detail
    for result in report.files:
        _suite(root, result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(root: ET.Element, result: FileResult) -> None:
    broken = any(d.is_error for d in result.diagnostics)
    failures = sum(1 for c in result.cases if not c.passed)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=result.path,
        tests=str(len(result.cases) or int(broken)),
        failures=str(failures),
        errors=str(int(broken)),
        time=f"{sum(c.duration for c in result.cases):.3f}",
    )
    parts = [part for part in Path(result.path).with_suffix("").parts if part not in ("/", ".", "..")]
    classname = ".".join(parts)
    if broken:
        case = ET.SubElement(
            suite, "testcase", classname=classname, name="read the test file", file=result.path
        )
        errors = [d for d in result.diagnostics if d.is_error]
        ET.SubElement(
            case, "error", message=f"{len(errors)} error(s) in {result.path}"
        ).text = render_diagnostics(errors, "short")
    for item in result.cases:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=classname,
            name=item.name,
            file=result.path,
            line=str(item.line),
            time=f"{item.duration:.3f}",
        )
        if item.failure is not None:
            message = item.failure.problems[0].message if item.failure.problems else "failed"
            ET.SubElement(case, "failure", message=message).text = render_failure(item)


def write_junit(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report), encoding="utf-8")
