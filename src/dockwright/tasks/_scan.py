"""Scan reports on the console and in files, shared by `scan` and `release`."""

from __future__ import annotations

import os
from pathlib import Path

from dockwright import scan as lib
from dockwright.config import Project
from dockwright.flows import scan as flow
from dockwright.scan.model import ScanResult
from dockwright.tasks._common import console, out

# GitHub's upload-sarif step picks the report up from here.
SARIF_DEFAULT = "build/scan.sarif"


def render(fmt: str, results: list[ScanResult], verdict: lib.GateVerdict) -> str:
    if fmt == "json":
        return lib.render_json(results, verdict)
    if fmt == "markdown":
        return lib.render_markdown(results, verdict)
    if fmt == "sarif":
        return lib.render_sarif(results)
    return lib.render_table(results, verdict)


def emit(text: str, fmt: str, output: str, project: Project) -> None:
    """Tables to stderr, other formats to stdout; SARIF (and --output) to a file."""
    path = Path(output) if output else (project.root / SARIF_DEFAULT if fmt == "sarif" else None)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        console.print(f"wrote the {fmt} report to {path}", markup=False, highlight=False)
    elif fmt == "table":
        console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True, end="")
    else:
        out.print(text, markup=False, highlight=False, emoji=False, end="")


def publish(
    results: list[ScanResult], verdict: lib.GateVerdict, fmt: str, output: str, project: Project
) -> None:
    """The report in its format and place, GitHub's step summary, and the gate's decision."""
    text = render(fmt, results, verdict)
    if fmt == "table" and not verdict.passed:  # the error line says it: not twice
        text = text.removesuffix(verdict.summary() + "\n")
    emit(text, fmt, output, project)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(lib.render_markdown(results, verdict))
    if verdict.passed and fmt != "table":  # a table ends with the gate's decision
        console.print(verdict.summary(), markup=False, highlight=False)


def gate(
    plan: flow.ScanPlan, project: Project, *, format_: str = "table", output: str = ""
) -> tuple[list[ScanResult], lib.GateVerdict]:
    """The scan gate with a spinner per scan; when a scan cannot run, the table of those
    that did (no partial machine report: an upload missing images would close alerts)."""

    def partial(results: list[ScanResult]) -> None:
        if format_ == "table" and any(r.ran for r in results):
            emit(lib.render_table(results), format_, output, project)

    return flow.gate(
        plan, scanning=lambda target: console.status(f"scanning {target}"), on_partial=partial
    )
