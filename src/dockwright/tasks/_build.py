"""A build on the console, shared by `build` and `release`: a live table per service
(rich), refreshed at most four times a second, gone when the build ends."""

from __future__ import annotations

import time

from dockwright.build.plan import BuildPlan
from dockwright.build.progress import BakeProgress
from dockwright.build.record import live_table
from dockwright.build.run import BuildResult
from dockwright.config import Project
from dockwright.flows import build as flow
from dockwright.tasks._common import console


def execute(plan: BuildPlan, project: Project, *, quiet: bool) -> BuildResult:
    """Run the plan with a live line per service (none when `quiet`); write the reports."""
    if quiet:
        return flow.execute(plan, project)
    from rich.live import Live  # only when building: keeps `invoke --list` fast

    with Live(console=console, refresh_per_second=4, transient=True) as live:
        last = [0.0]

        def update(progress: BakeProgress) -> None:
            now = time.monotonic()
            if now - last[0] > 0.25:
                last[0] = now
                live.update(live_table(progress, now))

        return flow.execute(plan, project, update)
