"""SBOMs as a workflow: which images (as `build` tagged them), trivy found once, one
CycloneDX file per service in build/sbom/. It reports through `on_done` and never prints."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockwright.config import Project
from dockwright.engine.scanners import run_scanner
from dockwright.errors import ScannerUnavailableError
from dockwright.flows.check import image_for
from dockwright.flows.scan import scan_settings
from dockwright.repo import project as repo
from dockwright.repo.compose import select
from dockwright.scan import runner, sbom, trivy

FOLDER = Path("build") / "sbom"


@dataclass(frozen=True, kw_only=True)
class SbomPlan:
    trivy: str
    cache_dir: str | None
    timeout: float
    images: tuple[tuple[str, str], ...]  # (service, image)
    folder: Path

    def path(self, service: str) -> Path:
        return self.folder / f"{service}.cdx.json"

    def commands(self) -> list[str]:
        """The exact command lines (`--dry-run`)."""
        return [
            shlex.join(sbom.command(self.trivy, image, str(self.path(s)), cache_dir=self.cache_dir))
            for s, image in self.images
        ]


@dataclass(frozen=True, kw_only=True)
class Written:
    service: str
    path: Path
    sbom: sbom.Sbom


def make_plan(project: Project, names: list[str], *, target: str) -> SbomPlan:
    """The built image of each named (or every buildable) service, and the trivy to run."""
    services = select(repo.load_services(project), names, buildable=True)
    return plan_for(project, [(svc.name, image_for(project, svc, target)) for svc in services])


def plan_for(project: Project, images: list[tuple[str, str]]) -> SbomPlan:
    """The SBOMs of these (service, image) pairs, with the settings' trivy."""
    raw = scan_settings(project, scanner="trivy", fail_on="")
    settings = runner.ScannerSettings(
        scanner="trivy", trivy=raw["trivy"], cache_dir=raw["cache_dir"], timeout=raw["timeout"]
    )
    return SbomPlan(
        trivy=runner.find_trivy(settings),
        cache_dir=settings.cache_dir,
        timeout=settings.timeout,
        images=tuple(images),
        folder=project.root / FOLDER,
    )


def write(plan: SbomPlan, on_done: Callable[[Written], None] = lambda _w: None) -> list[Written]:
    """Each image's SBOM, written and read back; ScannerUnavailableError with trivy's
    own last line when it cannot (no such image, say), leaving no partial file and no
    folder it made."""
    made = not plan.folder.exists()
    plan.folder.mkdir(parents=True, exist_ok=True)
    done: list[Written] = []
    for service, image in plan.images:
        path = plan.path(service)
        argv = sbom.command(plan.trivy, image, str(path), cache_dir=plan.cache_dir)
        proc = run_scanner(argv, timeout=plan.timeout, what=f"the SBOM of {image}")
        if proc.returncode != 0 or not path.is_file():
            path.unlink(missing_ok=True)
            if made and not done and not any(plan.folder.iterdir()):
                plan.folder.rmdir()
            raise ScannerUnavailableError(
                f"trivy could not list the packages of {image}: "
                f"{trivy.fatal_line(proc.stderr) or f'exit code {proc.returncode}'}"
            )
        written = Written(service=service, path=path, sbom=sbom.read(path.read_text(), image))
        on_done(written)
        done.append(written)
    return done
