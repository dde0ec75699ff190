"""`dockwright init`: adopt dockwright in an existing repository (run at its root)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.context import Context
from invoke.tasks import task

from dockwright.tasks._common import console, guarded, out

if TYPE_CHECKING:
    from dockwright.adopt import InitPlan

HELP = {
    "dry_run": "print every file init would write, with its text; write nothing",
    "force": "replace files that exist (in pyproject.toml only its [tool.dockwright])",
    "project": "project name for images and compose (default: the folder's name)",
}


def default_name(root: Path) -> str:
    """A folder name as a compose project and image name: lowercase, [a-z0-9_-]."""
    return re.sub(r"[^a-z0-9_-]+", "-", root.name.lower()).strip("-_") or "app"


def show(plan: InitPlan, root: Path, *, dry_run: bool) -> None:
    from dockwright.adopt import describe_service

    # The layout includes compose.dockwright.yaml when init is about to write it.
    found = [f for f in plan.layout.files if (root / f).is_file()]
    console.print("[bold]found[/] " + ", ".join(found))
    for info in plan.services:
        console.print(f"  {describe_service(info)}")
    for change in plan.changes:
        if change.action == "keep":
            console.print(f"[yellow]keep[/] {change.path}: {change.reason}")
        elif dry_run:
            out.print(f"--- {change.path} ({change.action}) ---", markup=False)
            out.print(change.preview.rstrip("\n"), markup=False)


def write(plan: InitPlan, root: Path) -> None:
    for change in plan.changes:
        if change.action != "keep":
            path = root / change.path
            path.parent.mkdir(parents=True, exist_ok=True)  # .github/workflows/
            path.write_text(change.text, encoding="utf-8")
            console.print(f"[green]{change.action}[/] {change.path}")


@task(help=HELP)
@guarded
def init(c: Context, dry_run: bool = False, force: bool = False, project: str = "") -> None:
    """Adopt dockwright here: settings from the compose files, VERSION, CHANGELOG, CI workflow..."""
    from dockwright.adopt import plan_init
    from dockwright.engine import git

    root = Path.cwd().resolve()
    tags = git.version_tags(root)
    plan = plan_init(
        root,
        project=project or default_name(root),
        latest_tag=tags[0] if tags else None,
        force=force,
    )
    show(plan, root, dry_run=dry_run)
    if dry_run:
        console.print("dry run: nothing written; run again without --dry-run to write")
        return
    write(plan, root)
    console.print("next: dockwright build --all, then dockwright check")
