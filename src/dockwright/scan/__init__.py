"""Vulnerability, secret and Dockerfile scanning: one model, a gate, four report formats.

`model` is the normalised report, `trivy` and `scout` build command lines and
parse their reports, `gate` decides pass/fail with a reasoned, expiring ignore
list, `render` writes table/JSON/Markdown/SARIF, and `runner` is the only
module that starts the scanners.
"""

from dockwright.scan.gate import GateVerdict, Ignore, check, evaluate, load_ignores
from dockwright.scan.model import Finding, Kind, ScanResult, Severity
from dockwright.scan.render import render_json, render_markdown, render_sarif, render_table
from dockwright.scan.runner import (
    ScannerSettings,
    choose_scanner,
    scan_dockerfile,
    scan_image,
)

__all__ = [
    "Finding",
    "GateVerdict",
    "Ignore",
    "Kind",
    "ScanResult",
    "ScannerSettings",
    "Severity",
    "check",
    "choose_scanner",
    "evaluate",
    "load_ignores",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_table",
    "scan_dockerfile",
    "scan_image",
]
