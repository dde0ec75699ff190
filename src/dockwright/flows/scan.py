"""The scan as a workflow: the plan (images as `build` tagged them, kinds, Dockerfiles,
the gate's threshold), the scanner's choice, the scans and the gate's verdict. It
reports through callbacks and never prints."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dockwright import scan as lib
from dockwright.config import SCANNERS, VULNERABILITY_MODES, Project
from dockwright.engine import docker as engine
from dockwright.errors import ConfigError, ScannerUnavailableError, VulnerabilityDatabaseError
from dockwright.flows.check import image_for
from dockwright.repo import project as repo
from dockwright.repo.compose import select
from dockwright.scan import runner, scout, trivy
from dockwright.scan.gate import IGNORE_FILE
from dockwright.scan.model import Kind, ScanResult, Severity

Scanning = Callable[[str], AbstractContextManager[Any]]


def _quietly(_target: str) -> AbstractContextManager[Any]:
    return contextlib.nullcontext()


# `vulnerabilities` ([tool.dockwright.scan]): "required" (default) fails the scan when no
# vulnerability database can be had; "optional" (for runners that cannot reach one) scans
# the rest and warns. The environment variable wins, so an offline runner can say it.
VULNERABILITIES_ENV = "DOCKWRIGHT_SCAN_VULNERABILITIES"


@dataclass(frozen=True, kw_only=True)
class ScanPlan:
    """What one `invoke scan` scans, how, and where the gate sits."""

    settings: runner.ScannerSettings
    images: tuple[str, ...]
    kinds: tuple[Kind, ...]
    dockerfiles: tuple[str, ...]
    fail_on: Severity | None
    ignore_file: Path
    vulnerabilities_optional: bool = False
    record: Path | None = None  # where the results are kept for `report` (build/scan.json)


def scan_settings(project: Project, *, scanner: str, fail_on: str) -> dict[str, Any]:
    """The typed `[tool.dockwright.scan]` (checked when the settings load), with the
    command line's values and DOCKWRIGHT_SCAN_VULNERABILITIES on top; relative paths
    are the repository's, wherever invoke runs."""
    s = project.settings.scan
    chosen = scanner or s.scanner
    if chosen not in SCANNERS:
        raise ConfigError(f"scanner {chosen!r}; use scout, trivy or auto")
    mode = os.environ.get(VULNERABILITIES_ENV) or s.vulnerabilities
    if mode not in VULNERABILITY_MODES:
        raise ConfigError(f"{VULNERABILITIES_ENV}: {mode!r}; use required or optional")

    def path(value: str) -> str | None:
        return str(project.root / Path(value).expanduser()) if value else None

    return {
        "scanner": chosen,
        "trivy": path(s.trivy),
        "docker": s.docker,
        "cache_dir": path(s.cache_dir),
        "offline": s.offline,
        "timeout": s.timeout,
        "fail_on": fail_on or s.fail_on,
        "ignore_file": path(s.ignore_file) or str(project.root / IGNORE_FILE),
        "vulnerabilities": mode,
    }


def make_plan(
    project: Project,
    names: list[str],
    *,
    target: str,
    scanner: str,
    fail_on: str,
    secrets: bool,
    dockerfiles: bool,
    vulns: bool,
) -> ScanPlan:
    """Images (as `build` tagged them), kinds, Dockerfiles and gate for the named services."""
    wanted: dict[Kind, bool] = {"vulnerability": vulns, "secret": secrets}
    kinds = tuple(k for k, on in wanted.items() if on)
    if not kinds and not dockerfiles:
        raise ConfigError("nothing to scan: --no-vulns needs --secrets or --dockerfiles")
    raw = scan_settings(project, scanner=scanner, fail_on=fail_on)
    threshold = str(raw.pop("fail_on"))
    ignore_file = Path(raw.pop("ignore_file"))
    optional = raw.pop("vulnerabilities") == "optional"
    services = select(repo.load_services(project), names, buildable=True)
    files = dict.fromkeys(_shown(s.build.dockerfile) for s in services if s.build)
    return ScanPlan(
        settings=runner.ScannerSettings(**raw),
        images=tuple(image_for(project, s, target) for s in services) if kinds else (),
        kinds=kinds,
        dockerfiles=tuple(files) if dockerfiles else (),
        fail_on=None if threshold.lower() == "none" else _severity(threshold),
        ignore_file=ignore_file,
        vulnerabilities_optional=optional,
        record=project.root / "build" / "scan.json",
    )


def resolve(plan: ScanPlan) -> ScanPlan:
    """Choose the scanner and find trivy once: a missing tool is one error, not one per image."""
    settings = plan.settings
    # Secrets and Dockerfiles are trivy's alone; the choice matters only for vulnerabilities.
    if "vulnerability" in plan.kinds:
        settings = replace(settings, scanner=runner.choose_scanner(settings))
    else:
        settings = replace(settings, scanner="trivy")
    if settings.scanner == "trivy" or plan.kinds != ("vulnerability",) or plan.dockerfiles:
        settings = replace(settings, trivy=runner.find_trivy(settings))
    return replace(plan, settings=settings)


def commands(plan: ScanPlan) -> list[str]:
    """The exact command lines a resolved plan runs, split per image as `scan_image` does."""
    s = plan.settings
    scout_vulns = s.scanner == "scout" and "vulnerability" in plan.kinds
    trivy_kinds = tuple(k for k in plan.kinds if not (scout_vulns and k == "vulnerability"))
    lines = []
    for image in plan.images:
        if scout_vulns:  # its report goes to a fresh temporary folder per run
            argv = scout.cves_command(s.docker, image, output="<tmp>/report.sarif.json")
            lines.append(shlex.join(argv))
        if trivy_kinds:
            argv = trivy.image_command(
                s.trivy or "trivy",
                image,
                kinds=trivy_kinds,
                cache_dir=s.cache_dir,
                offline=s.offline,
            )
            lines.append(shlex.join(argv))
    for dockerfile in plan.dockerfiles:
        argv = trivy.config_command(s.trivy or "trivy", dockerfile, cache_dir=s.cache_dir)
        lines.append(shlex.join(argv))
    return lines


def run_scans(
    plan: ScanPlan, scanning: Scanning = _quietly
) -> tuple[list[ScanResult], list[ScannerUnavailableError]]:
    """Scan every image and Dockerfile; a scan that cannot run is recorded, not fatal yet.
    `scanning(target)` wraps each scan (the console shows a spinner)."""
    results: list[ScanResult] = []
    problems: list[ScannerUnavailableError] = []
    jobs = [(image, "image") for image in plan.images] + [(f, "file") for f in plan.dockerfiles]
    for target, kind in jobs:
        with scanning(target):
            try:
                if kind == "image":
                    results += _scan_image(plan, target)
                else:
                    results.append(lib.scan_dockerfile(target, plan.settings))
            except ScannerUnavailableError as error:
                problems.append(error)
                scanner = plan.settings.scanner
                results.append(ScanResult.not_run(image=target, scanner=scanner, reason=str(error)))
    return results, problems


def _scan_image(plan: ScanPlan, image: str) -> list[ScanResult]:
    """One image's scans; with `vulnerabilities = "optional"`, a missing vulnerability
    database leaves a not-run result for that kind and the other kinds still run."""
    try:
        return list(lib.scan_image(image, plan.settings, kinds=plan.kinds))
    except VulnerabilityDatabaseError as error:
        if not plan.vulnerabilities_optional:
            raise
        skipped = ScanResult.not_run(
            image=image, scanner=plan.settings.scanner, reason=f"{error} ({OPTIONAL_NOTE})"
        )
        rest = tuple(k for k in plan.kinds if k != "vulnerability")
        return [skipped, *(lib.scan_image(image, plan.settings, kinds=rest) if rest else [])]


OPTIONAL_NOTE = "vulnerabilities = optional: the gate ran without them"


def not_run_warnings(results: list[ScanResult]) -> list[str]:
    """One warning line per scan that did not run but did not stop the gate."""
    return [f"warning: {r.reason}" for r in results if not r.ran]


def gate(
    plan: ScanPlan,
    *,
    scanning: Scanning = _quietly,
    on_partial: Callable[[list[ScanResult]], None] = lambda _results: None,
) -> tuple[list[ScanResult], lib.GateVerdict]:
    """Run a resolved plan's scans and the gate's verdict (`scan` and `release`).

    Raises ScannerUnavailableError when any scan could not run, after `on_partial`
    got the results of those that did.
    """
    if plan.images:
        engine.ensure_engine()
    results, problems = run_scans(plan, scanning)
    if problems:
        on_partial(results)
        raise _unavailable(problems)
    ignores = lib.load_ignores(plan.ignore_file)
    findings = [f for r in results for f in r.findings]
    verdict = lib.evaluate(findings, plan.fail_on, ignores, dt.date.today())
    if plan.record is not None and results:
        plan.record.parent.mkdir(parents=True, exist_ok=True)
        plan.record.write_text(lib.render_json(results, verdict), encoding="utf-8")
    return results, verdict


def _unavailable(problems: list[ScannerUnavailableError]) -> ScannerUnavailableError:
    """One line for every scan that could not run: the first reason, and how many more."""
    more = len(problems) - 1
    if not more:
        return problems[0]
    return ScannerUnavailableError(f"{problems[0]} (and {more} more scans could not run)")


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as error:
        raise ConfigError(f"--fail-on: {error} or none") from None


def _shown(path: Path) -> str:
    """A Dockerfile as SARIF and people want it: relative to where invoke runs, if inside."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative
