"""Shared test set-up: the `engine` marker and the switch that makes it mandatory."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Fixture repositories carry tests of their own (run by their own nox sessions).
collect_ignore_glob = ["fixtures/*"]


# Test files that share something fixed run on one worker, one after another, under
# `pytest -n`: everything else runs file by file on any worker. What they share:
# - stack: the reference stack's compose project (dockwright-ref) and its images, the
#   local registry on :5000, and the smoke's nox session in this repository (the
#   replays run this repository's jobs on clones under the same project name);
# - adopt: the adopted fixture repositories' images (ghcr.io/acme/site, removed by
#   prefix) and their smokes, which install this repository editable;
# - mini: the `mini/` fixture images, removed by prefix after each test.
# A test that must run alone (it prunes the engine's BuildKit cache) is marked
# `serial`; ci/test runs those after the parallel run.
GROUPS = {
    "stack": (
        "test_reference_stack",
        "test_registry_paths",
        "test_smoke_runner",
        "test_stack_tasks",
        "test_env_tasks",
        "test_workflows",
        "test_harness",
        "test_standins",
        "test_sessions",
        "test_replay",
    ),
    "adopt": ("test_adopt", "test_adopt_replay"),
    "mini": ("test_build_and_check", "test_registry_auth", "test_release", "test_release_faults"),
}
GROUP_OF = {f"tests/engine/{name}.py": group for group, names in GROUPS.items() for name in names}


def group_of(nodeid: str) -> str:
    """The unit of work `pytest -n` hands one worker: a group, else the test file."""
    path = nodeid.split("::", 1)[0]
    return GROUP_OF.get(path, path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """pytest-xdist's load-scope scheduler with `group_of` as the scope: a group's
    files never run on two workers at once. (xdist's own `xdist_group` mark does not
    work with pytest 9: it renames `item._nodeid`, which pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    """Programs the tests start print their tables as wide as `COLUMNS` says, so the
    assertions on their output see the same lines under `pytest -n` (whose workers set
    COLUMNS=80), in CI and in a narrow terminal: 140, dockwright's width without one."""
    os.environ["COLUMNS"] = "140"


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
