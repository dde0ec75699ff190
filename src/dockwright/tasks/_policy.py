"""The policy gate on the console, shared by `check`, `build` and `release`: the
compose files' findings and each image's verdicts as tables, a spinner while an image
is measured, JSON on request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from dockwright.config import Project
from dockwright.flows import check as flow
from dockwright.flows.events import Say
from dockwright.policy import Verdict
from dockwright.policy.compose import Finding
from dockwright.tasks._common import console, out


def verdict_table(service: str, image: str, verdicts: list[Verdict]) -> Table:
    table = Table(title=f"{service}: {image}", title_justify="left")
    for col in ("rule", "status", "measured", "expected"):
        table.add_column(col, overflow="fold")
    for v in verdicts:
        colour = {"PASS": "green", "FAIL": "red", "WAIVED": "yellow", "WARN": "yellow"}[v.status]
        measured = v.measured + (f" (waived: {v.waived})" if v.waived else "")
        table.add_row(v.rule, f"[{colour}]{v.status}[/]", measured, v.expected)
    return table


def findings_table(findings: list[Finding]) -> Table:
    table = Table(title="compose files", title_justify="left")
    for col in ("rule", "status", "where", "service", "finding", "what to do"):
        table.add_column(col, overflow="fold")
    for f in findings:
        status = f"[yellow]WAIVED[/] ({f.waived})" if f.waived else "[red]FAIL[/]"
        table.add_row(f.rule, status, f.where, f.service, f.message, f.fix)
    return table


def run_checks(
    project: Project,
    names: list[str],
    *,
    target: str,
    as_json: bool = False,
    env_file: Path | None = None,
) -> dict[str, list[Verdict]]:
    """Check the compose files and each service's built image, shown as they come;
    PolicyError when a rule fails (after the JSON, with --json)."""
    status: list[Any] = []

    def show(event: flow.CheckEvent) -> None:
        if isinstance(event, Say):
            console.print(event.message, markup=False)
        elif isinstance(event, flow.ComposeChecked) and event.findings and not as_json:
            console.print(findings_table(event.findings))
        elif isinstance(event, flow.Checking):
            status.append(console.status(f"checking {event.service} ({event.image})"))
            status[-1].start()
        elif isinstance(event, flow.Checked):
            if status:
                status.pop().stop()
            if not as_json:
                console.print(verdict_table(event.service, event.image, event.verdicts))

    try:
        outcome = flow.check_policy(project, names, target=target, on_event=show, env_file=env_file)
    finally:
        for spinner in status:
            spinner.stop()
    if as_json:
        out.print(outcome.as_json(), markup=False)
    outcome.raise_if_failing()
    return outcome.results
