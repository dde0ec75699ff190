"""`invoke scan`: vulnerabilities, baked-in secrets and Dockerfile checks behind one gate."""

from __future__ import annotations

from invoke.context import Context
from invoke.tasks import task

from dockwright.errors import ConfigError
from dockwright.tasks._common import console, guarded, out, split_names

FORMATS = ("table", "json", "markdown", "sarif")

HELP = {
    "service": "service(s) to scan: -s backend or -s backend,frontend (default: all built ones)",
    "target": "prod (default) or dev: which build's images to scan",
    "scanner": "scout or trivy (default: settings, else Scout when installed and logged in)",
    "fail_on": "lowest severity that fails the gate: critical, high, medium, low or none "
    "(default: settings, else critical)",
    "format": "table (stderr), json, markdown (stdout) or sarif (build/scan.sarif)",
    "output": "write the report to this file instead",
    "secrets": "also look for secrets baked into the images (trivy, works offline)",
    "dockerfiles": "also check each service's Dockerfile for misconfigurations (trivy)",
    "no_vulns": "skip the vulnerability scan (it needs a vulnerability database)",
    "dry_run": "print the exact scanner command lines; scan nothing",
}


@task(help=HELP, iterable=["service"])
@guarded
def scan(
    c: Context,
    service: list[str] | None = None,
    target: str = "prod",
    scanner: str = "",
    fail_on: str = "",
    format_: str = "table",
    output: str = "",
    secrets: bool = False,
    dockerfiles: bool = False,
    no_vulns: bool = False,
    dry_run: bool = False,
) -> None:
    """Scan built images (vulnerabilities, secrets) and Dockerfiles; gate on severity."""
    from dockwright import scan as lib
    from dockwright.config import load_project
    from dockwright.flows.scan import commands, make_plan, not_run_warnings, resolve
    from dockwright.tasks._scan import gate, publish

    if format_ not in FORMATS:
        raise ConfigError(f"unknown format {format_!r}; use one of {', '.join(FORMATS)}")
    project = load_project()
    plan = make_plan(
        project,
        split_names(None, service),
        target=target,
        scanner=scanner,
        fail_on=fail_on,
        secrets=secrets,
        dockerfiles=dockerfiles,
        vulns=not no_vulns,
    )
    plan = resolve(plan)
    if dry_run:
        out.print("\n".join(commands(plan)), markup=False, highlight=False, emoji=False)
        return
    results, verdict = gate(plan, project, format_=format_, output=output)
    publish(results, verdict, format_, output, project)
    for line in not_run_warnings(results):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    lib.check(verdict)
