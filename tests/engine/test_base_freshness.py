"""Base image freshness on a real engine and the offline registry mirror: an image is
built on a base tag, the tag is moved in the mirror to a new image, and `check` says
so (a warning by default, a failed gate with `base_freshness = "fail"`); pulling the
base and building again makes it current."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from python_on_whales import docker

from tests.engine.conftest import committed_repo, remove_repository
from tests.engine.test_build_and_check import invoke

pytestmark = pytest.mark.engine

DAY = 86_400
FAIL = 'base_freshness = "fail"\n'
TOML = (
    'project = "{project}"\ncompose_files = ["compose.yaml"]\n'
    '[policy]\n{extra}waivers = {{ healthcheck = "the fixture image runs no server", '
    'ports = "the fixture image serves nothing", labels = "a fixture, not a release" }}\n'
)


def mirror() -> str:
    """host:port of the engine's registry mirror (ci/setup configures one)."""
    [url] = docker.info().registry_config["Mirrors"]
    return str(url).removeprefix("http://").removeprefix("https://").rstrip("/")


def push_base(name: str, marker: str, days_old: int, workdir: Path) -> str:
    """Build a base image created `days_old` days ago, push it to the mirror as
    `library/<name>`, and return its digest there."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "Dockerfile").write_text("FROM python:3.13-slim\nCOPY marker /marker\n")
    (workdir / "marker").write_text(marker)
    ref = f"{mirror()}/library/{name}"
    epoch = int(time.time()) - days_old * DAY
    build = ["docker", "buildx", "build", "-q", "--build-arg", f"SOURCE_DATE_EPOCH={epoch}"]
    subprocess.run(
        [*build, "-t", ref, str(workdir)],
        check=True,
        capture_output=True,
    )
    subprocess.run(["docker", "push", "-q", ref], check=True, capture_output=True)
    [digest] = {d.split("@")[1] for d in docker.image.inspect(ref).repo_digests}
    docker.image.remove(ref, force=True)
    return digest


def built(repo: Path) -> None:
    proc = invoke(repo, "build", "--all", "--no-check")
    assert proc.returncode == 0, proc.stderr


def base_fresh(repo: Path) -> dict[str, str]:
    proc = invoke(repo, "check", "--json")
    assert proc.returncode == 0, proc.stderr
    [verdict] = [v for v in json.loads(proc.stdout)["app"] if v["rule"] == "base-fresh"]
    return dict(verdict)


@pytest.fixture
def base(unique: str) -> Iterator[str]:
    name = f"dwfresh-{unique}"
    yield name
    remove_repository(name)


@pytest.fixture
def repo(tmp_path: Path, unique: str, base: str) -> Iterator[Path]:
    project = f"dwfresh-{unique}"
    root = tmp_path / "repo"
    root.mkdir()
    yield committed_repo(
        root,
        {
            "compose.yaml": f"services:\n  app:\n    image: {project}/app\n    build: .\n",
            "Dockerfile": f"FROM {base}:1\nUSER 1001\n",
            ".dockerignore": ".git\nbuild\n",
            "VERSION": "0.1.0\n",
            "dockwright.toml": TOML.format(project=project, extra=""),
        },
    )
    remove_repository(f"{project}/app")


def test_a_moved_base_tag_warns_then_gates_and_a_pull_makes_it_current(
    repo: Path, base: str, tmp_path: Path
) -> None:
    first = push_base(f"{base}:1", "one", days_old=100, workdir=tmp_path / "base1")
    docker.pull(f"{base}:1", quiet=True)  # through the mirror, as `FROM` would resolve it
    built(repo)

    verdict = base_fresh(repo)
    assert verdict["status"] == "PASS", verdict
    assert verdict["measured"] == (
        f"{base}:1: current ({first.removeprefix('sha256:')[:12]}, created 100 days ago)"
    )

    # The tag moves on in the registry; the engine (and the image) keep the old base.
    second = push_base(f"{base}:1", "two", days_old=3, workdir=tmp_path / "base2")
    assert second != first
    verdict = base_fresh(repo)
    assert verdict["status"] == "WARN", verdict
    assert verdict["measured"] == (
        f"{base}:1: the tag now points to {second.removeprefix('sha256:')[:12]}; built on "
        f"{first.removeprefix('sha256:')[:12]}, created 100 days ago; "
        "rebuild with `build --pull`"
    )
    table = invoke(repo, "check")
    assert table.returncode == 0, table.stderr  # a warning does not block
    assert "base-fresh" in table.stderr and "WARN" in table.stderr  # the console

    # As a gate it fails, in one line naming the rule.
    (repo / "dockwright.toml").write_text(TOML.format(project=base, extra=FAIL))
    gated = invoke(repo, "check")
    assert gated.returncode != 0
    assert "Traceback" not in gated.stderr
    assert "app: base-fresh (" in gated.stderr and "the tag now points to" in gated.stderr

    # The remedy it names works: `build --pull` pulls the base and builds on it.
    proc = invoke(repo, "build", "--all", "--no-check", "--pull")
    assert proc.returncode == 0, proc.stderr
    assert f"pulling {base}:1" in proc.stderr
    report = json.loads((repo / "build" / "report.json").read_text())
    [app] = report["services"]
    assert second in {d.split("@")[1] for d in app["bases"][f"{base}:1"]["digests"]}
    verdict = base_fresh(repo)
    assert verdict["status"] == "PASS", verdict
    assert "created 3 days ago" in verdict["measured"]


def test_a_base_no_registry_holds_is_not_known_and_off_is_not_checked(
    repo: Path, base: str, tmp_path: Path
) -> None:
    workdir = tmp_path / "local-base"
    workdir.mkdir()
    (workdir / "Dockerfile").write_text("FROM python:3.13-slim\nENV LOCAL_BASE=1\n")
    docker.build(workdir, tags=[f"{base}:1"], progress=False)  # never pushed anywhere
    built(repo)

    verdict = base_fresh(repo)
    assert verdict["status"] == "WARN", verdict
    assert verdict["measured"].startswith(
        f"{base}:1: not known: the registry did not resolve it (manifest unknown"
    ), verdict

    (repo / "dockwright.toml").write_text(TOML.format(project=base, extra=FAIL))
    gated = invoke(repo, "check")
    assert gated.returncode != 0 and "app: base-fresh (" in gated.stderr

    off = 'base_freshness = "off"\n'
    (repo / "dockwright.toml").write_text(TOML.format(project=base, extra=off))
    verdict = base_fresh(repo)
    assert (verdict["status"], verdict["measured"]) == ("PASS", "not checked (off)")
