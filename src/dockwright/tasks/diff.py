"""`invoke diff OLD NEW`: what changed in each service's image between two versions
(in the registry) or tags (in this engine)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from invoke.context import Context
from invoke.tasks import task

from dockwright.tasks._common import guarded, out, say, split_names

if TYPE_CHECKING:
    from dockwright.release.diff import ServiceDiff

HELP = {
    "old": "the version (in the registry) or tag (in this engine) to compare from; "
    "`last-release`: the newest release (its git tag)",
    "new": "the version or tag to compare to; `last-build`: the last build's tag",
    "service": "service(s): -s backend or -s backend,frontend (default: all buildable)",
    "registry": "registry name from settings (default: settings.registry)",
    "json": "print the comparison as JSON on stdout",
    "markdown": "print the comparison as markdown on stdout (a release summary, a PR)",
}


@task(help=HELP, iterable=["service"])
@guarded
def diff(
    c: Context,
    old: str,
    new: str,
    service: list[str] | None = None,
    registry: str = "",
    json_: bool = False,
    markdown: bool = False,
) -> None:
    """Compare each image between OLD and NEW: size, layers, base images, packages.

    `invoke diff 0.2.0 0.3.0`, `invoke diff last-release last-build`."""
    from dockwright.config import load_project
    from dockwright.flows import diff as flow
    from dockwright.release.diff import markdown as as_markdown

    project = load_project()
    request = flow.Request(
        old=old,
        new=new,
        services=tuple(split_names(None, service)),
        registry=registry,
    )
    before, after, diffs = flow.diff(project, request, say)
    if json_:
        out.print(json.dumps([x.as_dict() for x in diffs], indent=2), markup=False)
    elif markdown:
        out.print(as_markdown(diffs, before, after), markup=False, highlight=False)
    else:
        _table(diffs, before, after)


def _table(diffs: list[ServiceDiff], before: str, after: str) -> None:
    from rich.table import Table

    from dockwright.release.diff import MB, detail_lines, megabytes

    table = Table(title=f"images: {before} -> {after}")
    for column in ("service", "size", "change", "budget", "layers", "packages"):
        table.add_column(column)
    for x in diffs:
        compared = x.old.packages is not None and x.new.packages is not None
        table.add_row(
            x.service,
            megabytes(x.new.size),
            megabytes(x.delta, sign=True),
            f"{x.budget / MB:g} MB" if x.budget else "-",
            f"+{len(x.added)} -{len(x.removed)}",
            f"+{len(x.packages_added)} -{len(x.packages_removed)} ~{len(x.upgraded)}"
            if compared
            else "not compared",
        )
    out.print(table)
    for x in diffs:
        lines = detail_lines(x)
        if lines:
            out.print(f"{x.service}:", markup=False)
            for line in lines:
                out.print(f"  {line}", markup=False, highlight=False)
