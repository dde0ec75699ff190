"""Trivy: the command lines we run, its JSON report, and why it could not run.

Pure functions; `runner` executes the commands. Checked with trivy 0.76.0.

Offline behaviour (no registry reachable):
- `--scanners secret` needs no database: it works offline, first run included.
- `trivy config` falls back to the checks bundled in the binary when the checks
  bundle cannot be downloaded; `--skip-check-update` stops it from trying.
- `--scanners vuln` needs the vulnerability database. Without one in the cache it
  fails with "failed to download vulnerability DB" (or, with `--skip-db-update`,
  "--skip-db-update cannot be specified on the first run"). That is an error,
  never an empty report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from dockwright.errors import ScannerUnavailableError, VulnerabilityDatabaseError
from dockwright.scan.model import Finding, Kind, ScanResult, Severity

SCANNER = "trivy"

# Trivy's scanner names for our kinds (misconfig runs through `trivy config`).
_SCANNER_FOR_KIND: dict[Kind, str] = {"vulnerability": "vuln", "secret": "secret"}

# Flags every invocation carries: no update notices or telemetry calls to the
# internet (they only slow an offline run down), no progress bar in logs.
_COMMON = ("--format", "json", "--quiet", "--skip-version-check", "--disable-telemetry")


def image_command(
    trivy: str,
    image: str,
    *,
    kinds: Sequence[Kind] = ("vulnerability",),
    cache_dir: str | None = None,
    offline: bool = False,
) -> tuple[str, ...]:
    """`trivy image` for a vulnerability and/or secret scan of one image.

    `offline` uses a database already in the cache and never tries to update it.
    """
    if not kinds or any(k not in _SCANNER_FOR_KIND for k in kinds):
        raise ValueError(f"trivy image scans vulnerability and secret kinds, not {kinds!r}")
    argv = [trivy, "image", *_COMMON]
    argv += ["--scanners", ",".join(_SCANNER_FOR_KIND[k] for k in kinds)]
    # The package inventory makes the report ~40x larger and we never read it.
    argv.append("--list-all-pkgs=false")
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    if offline and "vulnerability" in kinds:
        argv += ["--skip-db-update", "--skip-java-db-update", "--offline-scan"]
    argv.append(image)
    return tuple(argv)


def config_command(trivy: str, path: str, *, cache_dir: str | None = None) -> tuple[str, ...]:
    """`trivy config` for the Dockerfile checks on a file or directory.

    `--skip-check-update` keeps it from fetching the checks bundle: the checks
    embedded in the binary are used, which works offline.
    """
    argv = [trivy, "config", *_COMMON, "--skip-check-update"]
    argv += ["--misconfig-scanners", "dockerfile"]
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    argv.append(path)
    return tuple(argv)


def parse_report(text: str, *, image: str, kinds: Sequence[Kind]) -> ScanResult:
    """Turn trivy's `--format json` report into a ScanResult.

    A clean report may have no `Results` at all; a report without `SchemaVersion`
    is not a trivy report and is refused rather than read as clean.
    """
    report = _load(text, image)
    findings: list[Finding] = []
    for result in _list(report.get("Results")):
        target = str(result.get("Target", ""))
        findings += [_vulnerability(v, image, target) for v in _list(result.get("Vulnerabilities"))]
        findings += [_secret(s, image, target) for s in _list(result.get("Secrets"))]
        findings += [
            _misconfig(m, image, target)
            for m in _list(result.get("Misconfigurations"))
            if m.get("Status", "FAIL") == "FAIL"
        ]
    tool = report.get("Trivy")  # absent from older reports
    version = tool.get("Version", "") if isinstance(tool, dict) else ""
    return ScanResult(
        image=image,
        scanner=SCANNER,
        scanner_version=str(version),
        kinds=tuple(kinds),
        findings=tuple(findings),
    )


def failure(
    returncode: int, stderr: str, *, image: str, kinds: Sequence[Kind]
) -> ScannerUnavailableError:
    """The one-line error for a trivy run that did not produce a report."""
    what = " and ".join(_WORDS[k] for k in kinds)
    if _DB_MISSING.search(stderr):
        return VulnerabilityDatabaseError(
            f"trivy cannot scan {image} for {what}: it has no vulnerability database and "
            "cannot download one (registry unreachable); copy a cache made with `trivy image "
            "--download-db-only` into ~/.cache/trivy (or the configured cache dir), or set "
            "TRIVY_DB_REPOSITORY to a reachable mirror; secret and Dockerfile scans work offline"
        )
    if "unable to find the specified image" in stderr:
        return ScannerUnavailableError(
            f"trivy cannot scan {image}: no such image in the local engine and no registry "
            "has it; build or pull it first"
        )
    return ScannerUnavailableError(
        f"trivy failed on {image} (exit {returncode}): {fatal_line(stderr)}"
    )


_WORDS: dict[Kind, str] = {
    "vulnerability": "vulnerabilities",
    "secret": "secrets",
    "misconfig": "misconfigurations",
}
_DB_MISSING = re.compile(
    r"failed to download vulnerability DB|cannot be specified on the first run"
    r"|first run cannot skip downloading DB"
)


def fatal_line(stderr: str) -> str:
    """The gist of trivy's error output: its FATAL/ERROR line without the log prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "FATAL" in line or "ERROR" in line:
            message = re.sub(r"^\S+\s+(FATAL|ERROR)\s+(Fatal error\s+)?", "", line)
            return _shorten(message)
    return _shorten(lines[-1]) if lines else "no error output"


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _load(text: str, image: str) -> Mapping[str, Any]:
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScannerUnavailableError(
            f"trivy gave no readable report for {image} ({error.msg} at line {error.lineno}); "
            "rerun with DOCKWRIGHT_DEBUG=1 to see its output"
        ) from error
    if not isinstance(report, dict) or "SchemaVersion" not in report:
        raise ScannerUnavailableError(
            f"trivy gave no readable report for {image} (no SchemaVersion); "
            "is the configured binary really trivy?"
        )
    return report


def _list(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _vulnerability(v: Mapping[str, Any], image: str, target: str) -> Finding:
    vid = str(v.get("VulnerabilityID", ""))
    return Finding(
        image=image,
        id=vid,
        severity=Severity.from_report(v.get("Severity")),
        kind="vulnerability",
        title=str(v.get("Title") or vid),
        package=str(v.get("PkgName", "")),
        installed=str(v.get("InstalledVersion", "")),
        fixed=str(v.get("FixedVersion", "")),
        url=str(v.get("PrimaryURL", "")),
        # Language packages say which file they came from; OS packages do not.
        location=str(v.get("PkgPath") or target),
    )


def _secret(s: Mapping[str, Any], image: str, target: str) -> Finding:
    line = s.get("StartLine")
    return Finding(
        image=image,
        id=str(s.get("RuleID", "")),
        severity=Severity.from_report(s.get("Severity")),
        kind="secret",
        title=str(s.get("Title", "")),
        location=f"{target}:{line}" if line else target,
    )


def _misconfig(m: Mapping[str, Any], image: str, target: str) -> Finding:
    cause = m.get("CauseMetadata")
    line = cause.get("StartLine") if isinstance(cause, dict) else None
    path = _scanned_file(image, target)
    return Finding(
        image=image,
        id=str(m.get("ID") or m.get("AVDID", "")),
        severity=Severity.from_report(m.get("Severity")),
        kind="misconfig",
        title=str(m.get("Title", "")),
        url=str(m.get("PrimaryURL", "")),
        location=f"{path}:{line}" if line else path,
    )


def _scanned_file(scanned: str, target: str) -> str:
    """The file's path as the user named it: trivy reports it relative to the scanned path."""
    scanned = scanned.rstrip("/")
    if not scanned or scanned == "." or target.startswith(scanned + "/"):
        return target
    if PurePosixPath(scanned).name == target:
        return scanned  # a single file was scanned: trivy reports only its name
    return f"{scanned}/{target}"
