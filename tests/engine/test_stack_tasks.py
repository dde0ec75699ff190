"""`invoke up/ps/down` on tiny real stacks, through the real CLI and engine.

Each test copies a fixture stack (tests/fixtures/stacks/unhealthy, switch) into
a temp folder under a unique compose project name, and removes every
container, network and volume of that project afterwards, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.engine
FIXTURES = ROOT / "tests" / "fixtures" / "stacks"


def docker(*args: str) -> list[str]:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def resources(project: str) -> dict[str, list[str]]:
    where = ["--filter", f"label=com.docker.compose.project={project}"]
    return {
        "containers": docker("container", "ls", "-a", "-q", *where),
        "networks": docker("network", "ls", "-q", *where),
        "volumes": docker("volume", "ls", "-q", *where),
    }


def purge(project: str) -> None:
    left = resources(project)
    for kind, names in left.items():
        if names:
            subprocess.run(
                ["docker", kind[:-1], "rm", *(["-f"] if kind == "containers" else []), *names],
                capture_output=True,
                timeout=120,
            )


class Repo:
    """A fixture stack in a temp folder, with tasks.py and a fresh .env."""

    def __init__(self, folder: Path, project: str) -> None:
        self.folder, self.project = folder, project

    def invoke(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
            timeout=300,
        )

    def containers(self) -> list[dict[str, str]]:
        ids = resources(self.project)["containers"]
        if not ids:
            return []
        found = json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True).stdout)
        return [
            {
                "service": c["Config"]["Labels"]["com.docker.compose.service"],
                "files": c["Config"]["Labels"]["com.docker.compose.project.config_files"],
                "status": c["State"]["Status"],
            }
            for c in found
        ]


def make_repo(tmp_path: Path, fixture: str) -> Iterator[Repo]:
    project = f"dwt-{fixture}-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, folder)
    shutil.copy(ROOT / "tasks.py", folder / "tasks.py")
    toml = folder / "dockwright.toml"
    toml.write_text(toml.read_text().replace(f'project = "{fixture}"', f'project = "{project}"'))
    repo = Repo(folder, project)
    try:
        assert repo.invoke("env.init").returncode == 0
        yield repo
    finally:
        purge(project)


@pytest.fixture
def unhealthy(tmp_path: Path) -> Iterator[Repo]:
    yield from make_repo(tmp_path, "unhealthy")


@pytest.fixture
def switch(tmp_path: Path) -> Iterator[Repo]:
    yield from make_repo(tmp_path, "switch")


class TestUnhealthy:
    """A service that never becomes healthy fails `up` with its logs; down cleans up."""

    def test_up_fails_with_the_services_last_50_log_lines(self, unhealthy: Repo) -> None:
        proc = unhealthy.invoke("up")
        assert proc.returncode == 12, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last == (
            "error: sick is unhealthy (last probe: sick: probe says no); its last 50 log lines "
            "are above (`invoke down` removes the stack)"
        )
        shown = [line for line in proc.stderr.splitlines() if "sick: log line" in line]
        assert [line.rsplit(" ", 1)[-1] for line in shown] == [str(n) for n in range(11, 61)]
        assert "Traceback" not in proc.stderr

        down = unhealthy.invoke("down")
        assert down.returncode == 0, down.stderr
        left = resources(unhealthy.project)
        assert (left["containers"], left["networks"]) == ([], [])
        assert len(left["volumes"]) == 1, "named volumes are kept without --volumes"
        assert unhealthy.invoke("down", "--volumes").returncode == 0
        assert resources(unhealthy.project) == {"containers": [], "networks": [], "volumes": []}

    def test_short_timeout_fails_a_slow_service(self, unhealthy: Repo) -> None:
        compose = unhealthy.folder / "compose.yaml"
        # A probe that takes 30 s per attempt: still "starting" when the budget ends.
        compose.write_text(
            compose.read_text().replace(
                "raise SystemExit('sick: probe says no')", "import time; time.sleep(30)"
            )
        )
        proc = unhealthy.invoke("up", "--timeout", "3")
        assert proc.returncode == 12
        assert "error: sick not healthy within its budget of 3 s (health: starting)" in proc.stderr

    def test_invalid_env_file_stops_up_before_any_container(self, unhealthy: Repo) -> None:
        (unhealthy.folder / ".env").write_text("FIXTURE_TOKEN=short-token-1\nFIXTURE_PORT=x\n")
        proc = unhealthy.invoke("up")
        assert proc.returncode == 6
        assert proc.stderr.splitlines()[-3:] == [
            ".env:1 FIXTURE_TOKEN: is shorter than 16 characters",
            ".env:2 FIXTURE_PORT: 'x' is not a port number (1-65535)",
            "error: .env has 2 errors (listed above); fix them, or run `invoke env.check` "
            "for details",
        ]
        assert "short-token-1" not in proc.stderr
        assert resources(unhealthy.project)["containers"] == []


def answer(repo: Repo) -> str:
    """What `web` serves: the MODE of every start, one per line (from its volume)."""
    rows = json.loads(repo.invoke("ps", "--json").stdout)
    [row] = rows
    return httpx.get(row["url"], timeout=5).text


class TestHealthyStack:
    """up waits for health and prints the table; ps shows it; down removes it."""

    def test_up_ps_down(self, switch: Repo) -> None:
        up = switch.invoke("up", "--env", "dev", "--json")
        assert up.returncode == 0, up.stderr
        [row] = json.loads(up.stdout)
        assert (row["service"], row["state"], row["health"]) == ("web", "running", "healthy")
        assert row["url"].startswith("http://127.0.0.1:")
        assert 0 <= row["healthy_after_start_s"] <= row["healthy_after_up_s"] < 30
        assert answer(switch) == "dev\n"

        ps = switch.invoke("ps")
        assert ps.returncode == 0, ps.stderr
        assert "web" in ps.stderr and "healthy" in ps.stderr and row["url"] in ps.stderr

        down = switch.invoke("down")
        assert down.returncode == 0, down.stderr
        assert f"removed 1 container(s) of {switch.project}" in down.stderr
        assert resources(switch.project)["containers"] == []
        assert "no container of" in switch.invoke("ps").stderr

    def test_dry_run_starts_nothing(self, switch: Repo) -> None:
        proc = switch.invoke("up", "--env", "prod", "--dry-run")
        assert proc.returncode == 0, proc.stderr
        assert "compose.prod.yaml" in proc.stderr and "up --detach" in proc.stderr
        assert resources(switch.project) == {"containers": [], "networks": [], "volumes": []}


class TestSwitch:
    """Switching env leaves no container of the other one; named volumes stay."""

    def test_dev_to_prod_and_back(self, switch: Repo) -> None:
        assert switch.invoke("up", "--env", "dev").returncode == 0
        prod = switch.invoke("up", "--env", "prod")
        assert prod.returncode == 0, prod.stderr
        assert "switching to prod: removing the containers of the other env" in prod.stderr
        [container] = switch.containers()
        assert container["files"].endswith("compose.prod.yaml")
        assert answer(switch) == "dev\nprod\n", "the named volume survived the switch"

        back = subprocess.run(
            [sys.executable, "-m", "invoke", "up"],
            cwd=switch.folder,
            capture_output=True,
            text=True,
            env={**os.environ, "DOCKWRIGHT_ENV": "dev"},
            timeout=300,
        )
        assert back.returncode == 0, back.stderr
        [container] = switch.containers()
        assert container["files"].endswith("compose.dev.yaml")
        assert answer(switch) == "dev\nprod\ndev\n"

    def test_same_env_again_keeps_the_running_container(self, switch: Repo) -> None:
        assert switch.invoke("up", "--env", "prod").returncode == 0
        again = switch.invoke("up", "--env", "prod", "--json")
        assert again.returncode == 0, again.stderr
        assert "switching" not in again.stderr
        [row] = json.loads(again.stdout)
        assert row["healthy_after_up_s"] is None, "already healthy before this up"
        assert answer(switch) == "prod\n"


class TestDevBuildProgress:
    """`up --env dev` builds the dev images with compose and, without a terminal (CI
    logs), prints each build step as it starts instead of staying silent."""

    def test_build_steps_are_printed(self, switch: Repo) -> None:
        image = f"{switch.project}/web:dev"
        dev = switch.folder / "compose.dev.yaml"
        dev.write_text(
            dev.read_text().replace(
                "  web:\n",
                "  web:\n"
                f"    image: {image}\n"
                "    build:\n"
                "      context: .\n"
                '      dockerfile_inline: "FROM python:3.13-slim\\nRUN echo built-for-dev > /b"\n',
                1,
            )
        )
        try:
            up = switch.invoke("up", "--env", "dev")
            assert up.returncode == 0, up.stderr
            assert "building the dev images" in up.stderr
            assert "RUN echo built-for-dev > /b" in up.stderr  # the step, as it started
            assert "built the dev images in" in up.stderr
        finally:
            subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)
