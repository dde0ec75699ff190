"""`up` on the console: the plan, the dev build (a spinner on a terminal, each BuildKit
step in CI logs), a live table while it waits for health, the failing service's logs."""

from __future__ import annotations

from typing import Any

from rich.live import Live

from dockwright import stack
from dockwright.build.progress import VERTEX
from dockwright.config import Project
from dockwright.flows import stack as flow
from dockwright.flows.events import Say
from dockwright.stack import Row, UpPlan
from dockwright.tasks._common import console
from dockwright.tasks._env import require_valid_env


def print_plan(plan: UpPlan) -> None:
    console.print(
        f"[bold]up plan[/] ({plan.env}, project {plan.project}, "
        f"image tag {plan.version} from {plan.version_source})"
    )
    for command in plan.commands():
        console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    console.print("  then wait until every service is healthy (or fails its budget)")


class _UpView:
    """`up` on the console: its lines, the dev build (a spinner on a terminal, each
    BuildKit step in CI logs), a live table while it waits, the failing service's logs."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.status: Any = None
        self.live: Live | None = None

    def __call__(self, event: flow.UpEvent) -> None:
        if isinstance(event, Say):
            console.print(event.message)
        elif isinstance(event, flow.Building):
            console.print("building the dev images (docker compose build)")
            if console.is_terminal:
                self.status = console.status("building the dev images")
                self.status.start()
        elif isinstance(event, flow.BuildLine):
            if self.status is not None:
                self.status.update(f"building: {event.line[:100]}")
            else:
                # No terminal (CI logs, pipes): a spinner shows nothing there, so print each
                # build step as BuildKit starts it (`#7 [backend runtime 3/6] RUN ...`).
                _print_build_step(event.line)
        elif isinstance(event, flow.Built):
            self.close()
            console.print(f"built the dev images in {event.seconds:.1f}s")
        elif isinstance(event, flow.Waiting):
            if self.live is None:
                self.live = Live(console=console, refresh_per_second=4, transient=True)
                self.live.start()
            self.live.update(stack.status_table(event.rows, title="starting", timings=False))
        elif isinstance(event, flow.Waited):
            self.close()
        elif isinstance(event, flow.Failed):
            self.close()
            console.print(stack.status_table(event.rows, title=self.title, timings=True))
            if event.service:
                console.rule(f"last {stack.LOG_TAIL} log lines of {event.service}")
                for line in event.logs:
                    console.print(line, markup=False, highlight=False)
                console.rule()

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None
        if self.live is not None:
            self.live.stop()
            self.live = None


def bring_up(project: Project, plan: UpPlan, *, timeout: float | None = None) -> list[Row]:
    """Check the env file, then the up flow, shown on the console."""
    require_valid_env(project, plan.env_file)
    view = _UpView(f"{plan.project} ({plan.env})")
    try:
        return flow.bring_up(project, plan, on_event=view, timeout=timeout)
    finally:
        view.close()


def _print_build_step(line: str) -> None:
    if m := VERTEX.match(line):
        console.print(f"  [{m.group(2)}] {m.group(3)[:100]}", markup=False, highlight=False)
