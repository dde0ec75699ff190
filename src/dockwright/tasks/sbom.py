"""`invoke sbom`: what is inside each built image, as CycloneDX in build/sbom/ (offline)."""

from __future__ import annotations

import json

from invoke.context import Context
from invoke.tasks import task

from dockwright.tasks._common import console, guarded, out, split_names

HELP = {
    "service": "service(s): -s backend or -s backend,frontend (default: all buildable)",
    "target": "prod (default) or dev: which build's images",
    "json": "print each service's SBOM file and package counts as JSON on stdout",
    "dry_run": "print the exact trivy command lines; write nothing",
}


@task(help=HELP, iterable=["service"])
@guarded
def sbom(
    c: Context,
    service: list[str] | None = None,
    target: str = "prod",
    json_: bool = False,
    dry_run: bool = False,
) -> None:
    """Write each built image's SBOM (CycloneDX, by trivy, offline) to build/sbom/."""
    from dockwright.config import load_project
    from dockwright.flows import sbom as flow

    project = load_project()
    plan = flow.make_plan(project, split_names(None, service), target=target)
    if dry_run:
        out.print("\n".join(plan.commands()), markup=False, highlight=False)
        return

    def show(done: flow.Written) -> None:
        counts = ", ".join(f"{kind} {n}" for kind, n in done.sbom.counts().items()) or "none"
        shown = done.path.relative_to(project.root)
        console.print(
            f"{done.service}: {len(done.sbom.packages)} packages ({counts}) -> {shown}",
            markup=False,
            highlight=False,
        )

    written = flow.write(plan, on_done=show)
    if json_:
        rows = [
            {
                "service": w.service,
                "image": w.sbom.image,
                "file": str(w.path.relative_to(project.root)),
                "packages": len(w.sbom.packages),
                "by_kind": w.sbom.counts(),
            }
            for w in written
        ]
        out.print(json.dumps(rows, indent=2), markup=False)
