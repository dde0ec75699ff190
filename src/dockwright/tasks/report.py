"""`invoke report`: one self-contained HTML page of the last build, policy verdicts,
scan findings, SBOM package counts and each image's size across its releases."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from dockwright.tasks._common import console, guarded, out

HELP = {
    "output": "where to write the page (default build/report.html)",
    "dry_run": "list what the page would be made from, and where it would go; write nothing",
}


@task(help=HELP)
@guarded
def report(c: Context, output: str = "", dry_run: bool = False) -> None:
    """Write build/report.html from what build, check, scan, sbom and release left
    behind: no network fetch when opened, one file to keep as a CI artifact."""
    from dockwright.config import load_project
    from dockwright.flows import report as flow

    project = load_project()
    path = Path(output).resolve() if output else flow.root_output(project)
    if dry_run:
        page = flow.gather(project)
        for s in page.sources:
            state = "found" if s.found else f"missing ({s.hint})"
            out.print(f"{s.what:<9} {s.path}: {state}", markup=False, highlight=False)
        out.print(f"would write {path}", markup=False, highlight=False)
        return
    written = flow.write(project, path)
    missing = [s.what for s in written.page.sources if not s.found]
    points = sum(len(h.points) for h in written.page.sizes)
    console.print(
        f"wrote {written.path} ({written.size / 1000:.0f} kB; {points} release sizes"
        + (f"; nothing yet from: {', '.join(dict.fromkeys(missing))}" if missing else "")
        + ")",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
