"""`invoke check`: the policy gate. Compose-level findings with file:line, then PASS/FAIL
per image rule with the measured value."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from invoke.context import Context
from invoke.tasks import task
from rich.table import Table

from dockwright import project as repo
from dockwright.build import TARGETS, dev_tags
from dockwright.compose import Service, compose_files, select
from dockwright.composelint import Finding, apply_waivers, lint_files
from dockwright.config import Project, load_project
from dockwright.engine import docker as engine
from dockwright.engine.evidence import gather
from dockwright.errors import ConfigError, PolicyError
from dockwright.policy import Verdict, evaluate, expectations_from
from dockwright.tasks._common import console, guarded, out, split_names


def last_build(path: Path) -> dict[str, Any]:
    """build/report.json as `build` wrote it; {} when nothing was built yet."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(
            f"{path} is not a build report dockwright can read; run `invoke build` again"
        ) from None
    return data if isinstance(data, dict) else {}


def wanted_target(requested: str, report: Mapping[str, Any]) -> str:
    """`--target` when given, else the target of the last build, else prod."""
    target = requested or str(report.get("target") or "prod")
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; use one of: {', '.join(TARGETS)}")
    return target


def built_image(report: Mapping[str, Any], service: str, target: str) -> str | None:
    """The image the last build made for `service`, when that build was for `target`."""
    if report.get("target") != target:
        return None
    for s in report.get("services", []):
        if s.get("service") == service and s.get("ok") and s.get("image"):
            return str(s["image"])
    return None


def build_command(target: str, services: list[str]) -> str:
    """The `invoke build` call that makes the images of `services` for `target`."""
    flag = "" if target == "prod" else f" --target {target}"
    return f"invoke build{flag} -s {','.join(services)}"


def missing_message(missing: Mapping[str, str], target: str) -> str:
    """One line: which images (service -> ref) are not in the engine, and how to build them."""
    refs = ", ".join(missing.values())
    noun, them = ("image", "it") if len(missing) == 1 else ("images", "them")
    return (
        f"{target} {noun} {refs} not in the engine; "
        f"build {them} with `{build_command(target, list(missing))}`"
    )


def _images(
    project: Project, services: list[Service], target: str, report: Mapping[str, Any]
) -> dict[str, str]:
    """service -> image: what the last build made when it was for `target`, else the
    tag `build --target TARGET` gives the current tree."""
    found = {svc.name: built_image(report, svc.name, target) for svc in services}
    tag = "" if all(found.values()) else dev_tags(repo.provenance(project), target)[0]
    return {
        svc.name: found[svc.name] or f"{svc.local_repository(project.name)}:{tag}"
        for svc in services
    }


def _image_for(project: Project, svc: Service, target: str) -> str:
    """The image `build` made for this service for `target` (`scan` finds its images so)."""
    report = last_build(project.root / "build" / "report.json")
    return _images(project, [svc], target, report)[svc.name]


def images_to_check(project: Project, services: list[Service], requested: str) -> dict[str, str]:
    """service -> image, for `requested` target or else the last build's.

    ConfigError naming the missing images and the build command when one is not
    in the engine (after `build --target dev`, the prod images usually are not).
    In a repository where nothing was built yet (no build report, none of the
    images in the engine) the image rules are skipped: {} and a line saying so.
    """
    report = last_build(project.root / "build" / "report.json")
    target = wanted_target(requested, report)
    images = _images(project, services, target, report)
    missing = {name: ref for name, ref in images.items() if not engine.image_exists(ref)}
    if missing and not report and len(missing) == len(images):
        console.print(
            f"image rules skipped: nothing built yet; `{build_command(target, list(missing))}` "
            "builds the images and checks them",
            markup=False,
        )
        return {}
    if missing:
        raise ConfigError(missing_message(missing, target))
    return images


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
    """Check the compose files and each service's built image; PolicyError when a rule fails.

    `target` "" checks what the last build made (build/report.json says which target).
    """
    engine.ensure_engine()
    every = repo.load_services(project)
    services = select(every, names, buildable=True)
    images = images_to_check(project, services, target)
    findings = compose_findings(project, every, names)
    if findings and not as_json:
        console.print(findings_table(findings))
    secrets = repo.secret_values(project, env_file)
    defaults = dict(project.settings.policy)
    results: dict[str, list[Verdict]] = {}
    for svc in (s for s in services if s.name in images):
        assert svc.build is not None
        exp = expectations_from(svc.extension, defaults)
        image = images[svc.name]
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
        "target": "prod or dev: which build's images to check (default: the last build's)",
        "json": "print verdicts as JSON on stdout",
        "env_file": "the .env whose secret values must not appear in images (default .env)",
    },
)
@guarded
def check(
    c: Context,
    service: list[str] | None = None,
    target: str = "",
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
