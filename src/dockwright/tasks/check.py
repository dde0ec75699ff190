"""`invoke check`: the policy gate. Compose-level findings with file:line, then PASS/FAIL
per image rule with the measured value."""

from __future__ import annotations

import json
from pathlib import Path

from invoke.context import Context
from invoke.tasks import task
from rich.table import Table

from dockwright import project as repo
from dockwright.build import dev_tags
from dockwright.compose import Service, compose_files, select
from dockwright.composelint import Finding, apply_waivers, lint_files
from dockwright.config import Project, load_project
from dockwright.engine import docker as engine
from dockwright.engine.evidence import gather
from dockwright.errors import PolicyError
from dockwright.policy import Verdict, evaluate, expectations_from
from dockwright.tasks._common import console, guarded, out, split_names


def _image_for(project: Project, svc: Service, target: str) -> str:
    """The image `build` made for this service: from build/report.json, else the dev tag."""
    report = project.root / "build" / "report.json"
    if report.is_file():
        data = json.loads(report.read_text())
        if data.get("target") == target:
            for s in data.get("services", []):
                if s["service"] == svc.name and s["ok"]:
                    return str(s["image"])
    prov = repo.provenance(project)
    return f"{svc.local_repository(project.name)}:{dev_tags(prov, target)[0]}"


def verdict_table(service: str, image: str, verdicts: list[Verdict]) -> Table:
    table = Table(title=f"{service}: {image}", title_justify="left")
    for col in ("rule", "status", "measured", "expected"):
        table.add_column(col, overflow="fold")
    for v in verdicts:
        colour = {"PASS": "green", "FAIL": "red", "WAIVED": "yellow"}[v.status]
        measured = v.measured + (f" (waived: {v.waived})" if v.waived else "")
        table.add_row(v.rule, f"[{colour}]{v.status}[/]", measured, v.expected)
    return table


def compose_findings(project: Project, services: list[Service], names: list[str]) -> list[Finding]:
    """Findings in every configured compose file (base, dev, prod), waivers applied."""
    s = project.settings
    files = compose_files(project.root, s.compose_files, (*s.dev_files, *s.prod_files))
    found = apply_waivers(lint_files(files, project.root), {v.name: v.extension for v in services})
    return [f for f in found if not names or f.service in names]


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
    """Check the compose files and each service's built image; PolicyError when a rule fails."""
    engine.ensure_engine()
    every = repo.load_services(project)
    services = select(every, names, buildable=True)
    findings = compose_findings(project, every, names)
    if findings and not as_json:
        console.print(findings_table(findings))
    secrets = repo.secret_values(project, env_file)
    defaults = dict(project.settings.policy)
    results: dict[str, list[Verdict]] = {}
    for svc in services:
        assert svc.build is not None
        exp = expectations_from(svc.extension, defaults)
        image = _image_for(project, svc, target)
        with console.status(f"checking {svc.name} ({image})"):
            evidence = gather(
                image,
                dockerfile=svc.build.dockerfile,
                build_args=svc.build.args,
                secrets=secrets,
                hadolint_threshold=exp.hadolint_threshold,
            )
        verdicts = evaluate(evidence, exp)
        results[svc.name] = verdicts
        if not as_json:
            console.print(verdict_table(svc.name, image, verdicts))
    if as_json:
        # "@compose" cannot be a service name, so it never clashes with one.
        data: dict[str, list[dict[str, object]]] = {"@compose": [f.as_dict() for f in findings]}
        for name, vs in results.items():
            data[name] = [v.__dict__ | {"status": v.status} for v in vs]
        out.print(json.dumps(data, indent=2), markup=False)
    failing = [f"{f.service}: {f.rule} ({f.where})" for f in findings if f.blocking]
    failing += [
        f"{n}: {v.rule} ({v.measured})" for n, vs in results.items() for v in vs if v.blocking
    ]
    if failing:
        raise PolicyError(f"policy failed: {'; '.join(failing)}")
    return results


@task(
    iterable=["service"],
    help={
        "service": "service(s) to check: -s backend or -s backend,frontend (default: all)",
        "target": "prod (default) or dev: which build's images to check",
        "json": "print verdicts as JSON on stdout",
        "env_file": "the .env whose secret values must not appear in images (default .env)",
    },
)
@guarded
def check(
    c: Context,
    service: list[str] | None = None,
    target: str = "prod",
    json_: bool = False,
    env_file: str = "",
) -> None:
    """Check built images against the policy: size, user, healthcheck, labels, secrets..."""
    project = load_project()
    run_checks(
        project,
        split_names(None, service),
        target=target,
        as_json=json_,
        env_file=Path(env_file) if env_file else None,
    )
