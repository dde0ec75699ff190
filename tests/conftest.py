"""Shared test set-up: the `engine` marker and the switch that makes it mandatory."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Fixture repositories carry tests of their own (run by their own nox sessions).
collect_ignore_glob = ["fixtures/*"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-engine",
        action="store_true",
        default=False,
        help="fail (instead of skip) engine tests when no Docker engine answers",
    )


@cache
def engine_problem() -> str | None:
    """Why engine tests cannot run here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not on PATH"
    proc = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return "no Docker engine answers `docker info` (run `bash ci/setup` as root)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problem = engine_problem() if any("engine" in i.keywords for i in items) else None
    if problem is None:
        return
    if config.getoption("--require-engine"):
        raise pytest.UsageError(f"--require-engine: {problem}")
    skip = pytest.mark.skip(reason=f"engine test skipped: {problem}")
    for item in items:
        if "engine" in item.keywords:
            item.add_marker(skip)
