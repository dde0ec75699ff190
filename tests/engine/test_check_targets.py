"""`invoke check` inspects the images of the target that was built: the last build's
by default, `--target` explicitly, one line with the build command when they are missing."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.test_build_and_check import invoke, make_repo, remove_images

pytestmark = pytest.mark.engine


@dataclass(frozen=True, kw_only=True)
class DevBuild:
    repo: Path
    repository: str  # the unique image repository of service `web`
    sha: str  # short commit, as in the tags
    build: subprocess.CompletedProcess[str]  # `invoke build --target dev`, check included


@pytest.fixture(scope="module")
def dev_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevBuild]:
    """The `targets` stack under a unique image name, built for dev only (no prod image)."""
    prefix = f"dwcheck-{uuid.uuid4().hex[:8]}"
    repo = make_repo(tmp_path_factory.mktemp("targets"), "targets")
    compose = repo / "compose.yaml"
    compose.write_text(compose.read_text().replace("image: targets/", f"image: {prefix}/"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git, "commit", "-qam", "unique image name"], cwd=repo, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield DevBuild(
            repo=repo,
            repository=f"{prefix}/web",
            sha=sha,
            build=invoke(repo, "build", "--target", "dev"),
        )
    finally:
        remove_images(f"{prefix}/")


class TestCheckTargets:
    """After `build --target dev` only the dev image exists; check finds it, and says
    in one line how to build the prod image when asked for that."""

    def test_build_dev_checks_the_dev_image(self, dev_built: DevBuild) -> None:
        assert dev_built.build.returncode == 0, dev_built.build.stderr
        assert f"web: {dev_built.repository}:dev-sha-{dev_built.sha}" in dev_built.build.stderr

    def test_check_without_target_checks_the_last_build(self, dev_built: DevBuild) -> None:
        proc = invoke(dev_built.repo, "check")
        assert proc.returncode == 0, proc.stderr
        assert f"web: {dev_built.repository}:dev-sha-{dev_built.sha}" in proc.stderr

    def test_check_target_dev_json(self, dev_built: DevBuild) -> None:
        proc = invoke(dev_built.repo, "check", "--target", "dev", "--json")
        assert proc.returncode == 0, proc.stderr
        verdicts = json.loads(proc.stdout)["web"]
        assert {v["status"] for v in verdicts} == {"PASS"}

    def test_check_target_prod_names_the_missing_image_and_the_build_command(
        self, dev_built: DevBuild
    ) -> None:
        proc = invoke(dev_built.repo, "check", "--target", "prod")
        assert proc.returncode == 2
        assert proc.stderr.strip() == (
            f"error: prod image {dev_built.repository}:sha-{dev_built.sha} not in the engine; "
            "build it with `invoke build -s web`"
        )
        assert proc.stdout == ""
