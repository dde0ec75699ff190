"""Scanners (trivy, docker scout), started here like every other external program."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from dockwright.errors import ScannerUnavailableError


def run_scanner(
    argv: Sequence[str], *, timeout: float, what: str
) -> subprocess.CompletedProcess[str]:
    """Run a scanner to its end; a missing or hung one is ScannerUnavailableError."""
    try:
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as error:
        raise ScannerUnavailableError(
            f"{argv[0]} not found ({what}); install it or fix the configured path"
        ) from error
    except PermissionError as error:
        raise ScannerUnavailableError(
            f"{argv[0]} is not executable ({what}); fix its permissions or the configured path"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise ScannerUnavailableError(
            f"{what} did not finish within {timeout:.0f}s; raise the scan timeout"
        ) from error
