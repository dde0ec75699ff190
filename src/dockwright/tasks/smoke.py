"""`invoke smoke` / `dockwright smoke`: the end-to-end smoke on real containers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from invoke.context import Context
from invoke.tasks import task
from rich.markup import escape

from dockwright.errors import ConfigError, SmokeError
from dockwright.tasks._common import console, guarded, out

if TYPE_CHECKING:
    from dockwright.smoke.model import Event, SmokeResult

HELP = {
    "env": "prod (default) or dev: which stack to smoke",
    "dry_run": "print the steps the run would take; start nothing",
    "json": "print the machine-readable result (steps, timings) on stdout",
    "keep": "leave the stack up at the end (its name and how to remove it are printed)",
}
MARK = {"ok": "[green]ok[/]", "skipped": "[yellow]skipped[/]", "failed": "[red]FAILED[/]"}


def _show(event: Event) -> None:
    if event.step is not None:
        s = event.step
        detail = f" {escape(s.detail)}" if s.detail else ""
        console.print(f"  {MARK[s.status]} ({s.seconds:.1f}s){detail}", soft_wrap=True)
    elif event.message:
        if event.name != "build":  # BuildKit's lines: too many to be useful here
            console.print(f"  {event.message}", style="dim", markup=False, soft_wrap=True)
    else:
        console.print(f"[bold]» {escape(event.name)}[/]")


def _tables(result: SmokeResult) -> None:
    from rich.table import Table

    steps = Table(title=f"smoke ({result.env}, {result.project})")
    steps.add_column("step")
    steps.add_column("seconds", justify="right")
    steps.add_column("result")
    for s in result.steps:
        text = escape(f"{s.status}: {s.detail}" if s.detail else s.status)
        colour = {"ok": "green", "skipped": "yellow"}.get(s.status, "red")
        steps.add_row(escape(s.name), f"{s.seconds:.1f}", f"[{colour}]{text}[/]")
    total = sum(s.seconds for s in result.steps)
    steps.add_row("[bold]total[/]", f"[bold]{total:.1f}[/]", "")
    console.print(steps)
    if result.services:
        services = Table(title="up to healthy")
        for column in ("service", "after up", "after its start"):
            services.add_column(column, justify="left" if column == "service" else "right")
        for r in result.services:
            services.add_row(
                r["service"],
                _seconds(r["healthy_after_up_s"]),
                _seconds(r["healthy_after_start_s"]),
            )
        console.print(services)
    for path in result.artifacts:
        console.print(f"artifact: {path}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


@task(help=HELP)
@guarded
def smoke(
    c: Context, env: str = "prod", dry_run: bool = False, json_: bool = False, keep: bool = False
) -> None:
    """End-to-end smoke: fresh .env, build, up, health, checks, browser, restart, down."""
    from dockwright.config import load_project
    from dockwright.smoke.runner import SmokeOptions, plan_steps, run_smoke

    if env not in ("dev", "prod"):
        raise ConfigError(f"--env is dev or prod, not {env!r}")
    project = load_project()
    settings = project.settings.smoke
    if dry_run:
        console.print(f"[bold]smoke plan[/] ({env}, project {project.name}-smoke-{env}-<id>)")
        for number, step in enumerate(plan_steps(settings, env, keep=keep), 1):
            console.print(f"  {number}. {step}", markup=False, highlight=False)
        console.print(f"  timings: {settings.artifacts}/timings-{env}.json", markup=False)
        return
    result = run_smoke(project, SmokeOptions(env=env, keep=keep), _show)
    if json_:
        out.print(json.dumps(result.as_dict(), indent=2), markup=False)
    else:
        _tables(result)
    failed = result.failed
    if failed is not None:
        raise SmokeError(
            f"smoke ({env}) failed at {failed.name!r}: {failed.detail} "
            f"(timings and screenshots in {settings.artifacts}/)"
        )
