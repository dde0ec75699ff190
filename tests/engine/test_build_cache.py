"""build/cache/ on a real engine: a warm build skips `compose config` and `buildx inspect`,
and a change to any input is seen: a compose file, .env, a Dockerfile, the builder.

Every docker call goes through a logging wrapper first on PATH, so the test sees
which engine queries each build made.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockwright.config import load_project
from dockwright.engine import cli
from dockwright.flows.build import builder_driver
from tests.engine.conftest import committed_repo, remove_repository

pytestmark = pytest.mark.engine
SECRET = "tok-9c1e7a3f5b8d2e4a6f0c"

COMPOSE = """\
services:
  app:
    image: {image}
    build:
      context: .
      args:
        GREETING: "${{GREETING:-hello}}"
    environment:
      API_TOKEN: "${{API_TOKEN}}"
"""
DOCKERFILE = """\
FROM python:3.13-slim
ARG GREETING
ARG MARK=""
RUN echo "$GREETING" > /greeting && echo "$MARK" > /mark
RUN echo v1 > /dockerfile-version
USER 1001
"""


class Repo:
    def __init__(self, root: Path, image: str, log: Path, env: dict[str, str]) -> None:
        self.root, self.image, self.log, self.env = root, image, log, env

    def build(self) -> list[str]:
        """`invoke build --all --no-check`; the docker commands it ran (first two words)."""
        self.log.write_text("")
        proc = subprocess.run(
            [sys.executable, "-m", "invoke", "build", "--all", "--no-check"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return [" ".join(line.split()[:2]) for line in self.log.read_text().splitlines()]

    def read_id(self) -> str:
        return subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", f"{self.image}:dev"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def read(self, path: str) -> str:
        return subprocess.run(
            ["docker", "run", "--rm", f"{self.image}:dev", "cat", path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()


def wrapper(folder: Path, log: Path) -> Path:
    """A `docker` that writes its arguments to `log`, then runs the real one."""
    real = shutil.which("docker")
    assert real, "no docker CLI on PATH"
    folder.mkdir()
    script = folder / "docker"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def logged(root: Path, image: str, tmp_path: Path) -> Repo:
    """The repository at `root`, its builds run with the logging `docker` first on PATH
    and the cache on."""
    log = tmp_path / "docker.log"
    script = wrapper(tmp_path / "bin", log)
    env = {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("DOCKWRIGHT_CACHE", None)
    return Repo(root, image, log, env)


@pytest.fixture
def repo(tmp_path: Path, unique: str) -> Iterator[Repo]:
    image = f"dwcache-{unique}/app"
    root = committed_repo(
        tmp_path / "repo",
        {
            "compose.yaml": COMPOSE.format(image=image),
            "Dockerfile": DOCKERFILE,
            ".env": f"GREETING=hello\nAPI_TOKEN={SECRET}\n",
            "VERSION": "0.1.0\n",
            "dockwright.toml": f'project = "dwcache-{unique}"\ncompose_files = ["compose.yaml"]\n',
        },
    )
    yield logged(root, image, tmp_path)
    remove_repository(image)


def test_each_input_change_is_seen_and_a_warm_build_asks_nothing_twice(repo: Repo) -> None:
    first = repo.build()
    assert "compose --file" in first and "buildx inspect" in first and "buildx bake" in first
    cached = sorted(p.name for p in (repo.root / "build" / "cache").iterdir())
    assert cached == ["builder-current.json", "compose-build.json", "up-to-date-prod-app.json"]
    for entry in (repo.root / "build" / "cache").iterdir():
        assert SECRET not in entry.read_text(), f"{entry.name} holds a runtime secret"
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600

    warm = repo.build()
    assert not any(c.startswith("compose") for c in warm), warm
    assert "buildx inspect" not in warm
    # The context is the whole repository, build/ included, which each build writes:
    # bake runs (test_an_unchanged_build_runs_no_bake... has a .dockerignore).
    assert "buildx bake" in warm

    # .env: a value the compose file interpolates into a build arg.
    (repo.root / ".env").write_text(f"GREETING=changed-in-env\nAPI_TOKEN={SECRET}\n")
    assert "compose --file" in repo.build()
    assert repo.read("/greeting") == "changed-in-env"

    # A compose file: a new build arg.
    compose = repo.root / "compose.yaml"
    compose.write_text(
        compose.read_text().replace("      args:\n", '      args:\n        MARK: "m2"\n')
    )
    assert "compose --file" in repo.build()
    assert repo.read("/mark") == "m2"

    # The shell's own value of a variable the compose file names.
    repo.env["GREETING"] = "from-the-shell"
    (repo.root / ".env").write_text(f"API_TOKEN={SECRET}\n")
    assert "compose --file" in repo.build()
    assert repo.read("/greeting") == "from-the-shell"

    # A Dockerfile: no cached fact is computed from it (BuildKit reads it on every
    # bake), so the compose model stays cached and the image still changes.
    dockerfile = repo.root / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("echo v1", "echo v2"))
    after_dockerfile = repo.build()
    assert not any(c.startswith("compose") for c in after_dockerfile)
    assert repo.read("/dockerfile-version") == "v2"


def test_a_builder_made_again_with_another_driver_is_asked_again(
    repo: Repo, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`docker buildx create` without --bootstrap starts nothing (no image to pull)."""
    monkeypatch.setattr(cli, "DOCKER", str(repo.env["PATH"].split(os.pathsep)[0] + "/docker"))
    project = load_project(repo.root)
    name = f"dwcache-{unique}"

    def make(*driver: str) -> None:
        subprocess.run(["docker", "buildx", "create", "--name", name, *driver], check=True)

    def inspected() -> int:
        return sum(f"buildx inspect {name}" in line for line in repo.log.read_text().splitlines())

    repo.log.write_text("")
    make("--driver", "remote", "tcp://127.0.0.1:9")
    try:
        assert builder_driver(project, name) == "remote"
        assert builder_driver(project, name) == "remote"
        assert inspected() == 1
        subprocess.run(["docker", "buildx", "rm", name], check=True, capture_output=True)
        make("--driver", "docker-container")
        assert builder_driver(project, name) == "docker-container"
        assert inspected() == 2
        entry = json.loads((repo.root / "build" / "cache" / f"builder-{name}.json").read_text())
        assert entry["value"] == "docker-container"
    finally:
        subprocess.run(["docker", "buildx", "rm", name], capture_output=True)


UPTODATE_DOCKERFILE = """\
FROM {base}
COPY . /ctx
USER 1001
"""


@pytest.fixture
def plain(tmp_path: Path, unique: str) -> Iterator[Repo]:
    """A stack whose context leaves out git's folder and build/ (.dockerignore), with a
    file git ignores but the build copies, on a base tag of its own."""
    image, base = f"dwfresh-{unique}/app", f"dwfresh-base-{unique}:1"
    subprocess.run(["docker", "tag", "python:3.13-slim", base], check=True)
    root = committed_repo(
        tmp_path / "repo",
        {
            "compose.yaml": f"services:\n  app:\n    image: {image}\n    build: .\n",
            "Dockerfile": UPTODATE_DOCKERFILE.format(base=base),
            ".dockerignore": ".git\nbuild\n",
            ".gitignore": "*.txt\nbuild/\n",
            "VERSION": "0.1.0\n",
            "dockwright.toml": f'project = "dwfresh-{unique}"\ncompose_files = ["compose.yaml"]\n',
        },
    )
    (root / "local.txt").write_text("one\n")
    yield logged(root, image, tmp_path)
    remove_repository(image)
    remove_repository(base.split(":")[0])


def test_an_unchanged_build_runs_no_bake_and_each_input_change_builds(
    plain: Repo, unique: str
) -> None:
    assert "buildx bake" in plain.build()
    first_id = plain.read_id()

    # Nothing changed: one `image inspect` of every tag and the base, no bake.
    warm = plain.build()
    assert "buildx bake" not in warm, warm
    assert warm == ["image inspect"], warm
    report = json.loads((plain.root / "build" / "report.json").read_text())
    assert [s["up_to_date"] for s in report["services"]] == [True]
    assert report["services"][0]["image_id"] == first_id

    # A folder the .dockerignore leaves out: still nothing to build.
    (plain.root / "build" / "scratch.txt").write_text("x")
    assert "buildx bake" not in plain.build()

    # A context file git ignores (the commit, so every label, stays the same).
    (plain.root / "local.txt").write_text("two\n")
    assert "buildx bake" in plain.build()
    assert plain.read("/ctx/local.txt") == "two"
    assert "buildx bake" not in plain.build()

    # A new file in the context (git ignores it too).
    (plain.root / "new.txt").write_text("new\n")
    assert "buildx bake" in plain.build()
    assert plain.read("/ctx/new.txt") == "new"

    # A file removed from the context.
    (plain.root / "new.txt").unlink()
    assert "buildx bake" in plain.build()
    gone = subprocess.run(
        ["docker", "run", "--rm", f"{plain.image}:dev", "ls", "/ctx"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "new.txt" not in gone and "local.txt" in gone

    # The base tag moves to another image.
    base = f"dwfresh-base-{unique}:1"
    moved = subprocess.run(
        ["docker", "build", "-q", "-t", base, "-"],
        input=f"FROM {base}\nRUN echo moved > /moved\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert moved.returncode == 0
    assert "buildx bake" in plain.build()
    assert plain.read("/moved") == "moved"
    assert "buildx bake" not in plain.build()

    # The image is removed from the engine.
    subprocess.run(["docker", "image", "rm", f"{plain.image}:dev"], check=True, capture_output=True)
    assert "buildx bake" in plain.build()

    # Caching switched off.
    plain.env["DOCKWRIGHT_CACHE"] = "off"
    assert "buildx bake" in plain.build()
