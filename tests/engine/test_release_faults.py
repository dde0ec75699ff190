"""A release that dies half-way can always be finished, with nothing lost.

Each fault is injected for real (a git hook refusing the tag, a registry that stops
answering, a wiped build cache, an earlier `build --push` of the commit), then the
same command is rerun to completion. The registry is a real registry:2; where the
fault must strike between two requests, a pass-through proxy in front of it stops
forwarding at exactly that request.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from python_on_whales import docker

from tests.engine.registries import RecordingServer, Response
from tests.engine.test_build_and_check import invoke, remove_images
from tests.engine.test_release import (  # `registry` is a fixture used by name
    CHANGELOG,
    Registry,
    git,
    registry,
    release,
    release_repo,
)

__all__ = ["registry"]

pytestmark = pytest.mark.engine

# A `reference-transaction` hook that refuses to create any tag: the commit lands,
# then `git tag` fails, as with a ref lock held by another process.
REFUSE_TAGS = """#!/bin/sh
[ "$1" = prepared ] || exit 0
while read -r old new ref; do
  case "$ref" in refs/tags/*) echo "tags are refused by a test hook" >&2; exit 1;; esac
done
exit 0
"""


class FlakyProxy(RecordingServer):
    """Forwards every request to a registry until `dies_at(method, path)` is true; from
    then on answers 503 to everything, as a registry that went away."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.dies_at = lambda method, path: False
        self.dead = threading.Event()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        super().answer(method, path, headers, body)
        if self.dead.is_set() or self.dies_at(method, path):
            self.dead.set()
            return 503, {"Content-Type": "text/plain"}, b"registry went away\n"
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        hop = {"transfer-encoding", "connection", "content-length", "keep-alive"}
        out = {k: v for k, v in headers.items() if k not in hop}
        try:
            conn.request(method, path, body=body, headers=out)
            resp = conn.getresponse()
            data = resp.read()
            back: Mapping[str, str] = {k: v for k, v in resp.getheaders() if k.lower() not in hop}
            return resp.status, back, data
        finally:
            conn.close()


@pytest.fixture
def proxied(registry: Registry) -> Iterator[tuple[FlakyProxy, Registry]]:
    """The registry as clients see it: through a proxy on another port."""
    with FlakyProxy(registry.port) as proxy:
        try:
            yield (
                proxy,
                Registry(port=proxy.port, container=registry.container, volume=registry.volume),
            )
        finally:
            remove_images(f"localhost:{proxy.port}/")


@pytest.fixture
def cleanup(registry: Registry) -> Iterator[None]:
    yield
    remove_images("mini/")
    remove_images(f"{registry.url}/")


def tags_of(reg: Registry, service: str = "one") -> set[str]:
    return reg.tags(f"mini/{service}")


def finished(repo: Path) -> bool:
    return (repo / "VERSION").read_text().strip() == "0.2.0" and bool(
        git(repo, "tag", "--list", "v0.2.0")
    )


class TestRefusedBeforeAnyPush:
    """What finalize needs is checked first: a bad changelog publishes nothing."""

    def test_changelog_without_unreleased_is_refused_then_fixed_and_released(
        self, tmp_path: Path, registry: Registry, cleanup: None
    ) -> None:
        repo = release_repo(tmp_path, registry)
        (repo / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0] - 2026-01-01\n")
        git(repo, "commit", "-qam", "a changelog without Unreleased")
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 2, proc.stderr
        assert "no '## [Unreleased]' heading" in proc.stderr
        assert "2/6 plan" not in proc.stderr and "pushing" not in proc.stderr
        assert tags_of(registry) == set()
        (repo / "CHANGELOG.md").write_text(CHANGELOG)
        git(repo, "commit", "-qam", "restore Unreleased")
        again = release(repo, "--bump", "minor")
        assert again.returncode == 0, again.stderr
        assert finished(repo)


class TestFinishAfterFailure:
    """Rerunning the same command from the same commit finishes with the same images."""

    def test_git_tag_failing_after_the_commit_undoes_the_commit(
        self, tmp_path: Path, registry: Registry, cleanup: None
    ) -> None:
        repo = release_repo(tmp_path, registry)
        head = git(repo, "rev-parse", "HEAD")
        hook = repo / ".git" / "hooks" / "reference-transaction"
        hook.write_text(REFUSE_TAGS)
        hook.chmod(0o755)
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 9, proc.stderr
        assert "failed at step 'finalize'" in proc.stderr
        assert "tags are refused by a test hook" in proc.stderr
        assert "every image tag is published" in proc.stderr
        assert "no commit, no tag" in proc.stderr
        assert "`invoke release --bump minor`" in proc.stderr
        # Truthful: the commit is undone and the tree is clean, so the rerun can start.
        assert git(repo, "rev-parse", "HEAD") == head
        assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
        assert (repo / "CHANGELOG.md").read_text() == CHANGELOG
        assert tags_of(registry) >= {"0.2.0", "0.2", "0", "latest"}
        digest = registry.digest("mini/one", "0.2.0")

        hook.unlink()
        again = release(repo, "--bump", "minor")
        assert again.returncode == 0, again.stderr
        assert "finishing without rebuilding" in again.stderr
        assert "3/6 build" not in again.stderr
        assert finished(repo)
        assert registry.digest("mini/one", "0.2.0") == digest
        assert registry.digest("mini/one", "latest") == digest

    def test_registry_dying_between_immutable_and_floating_tags(
        self,
        tmp_path: Path,
        registry: Registry,
        proxied: tuple[FlakyProxy, Registry],
        cleanup: None,
    ) -> None:
        proxy, through = proxied
        repo = release_repo(tmp_path, through)
        # The first floating tag written is the registry's last answer.
        proxy.dies_at = lambda method, path: method == "PUT" and path.endswith("/manifests/0.2")
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 9, proc.stderr
        assert "failed at step 'floating'" in proc.stderr
        assert "every image's version tag is published" in proc.stderr
        assert "`invoke release --bump minor`" in proc.stderr
        assert (repo / "VERSION").read_text().strip() == "0.1.0"
        versions = {s: registry.digest(f"mini/{s}", "0.2.0") for s in ("one", "two")}
        assert "latest" not in tags_of(registry)

        proxy.dead.clear()
        proxy.dies_at = lambda method, path: False
        again = release(repo, "--bump", "minor")
        assert again.returncode == 0, again.stderr
        assert "finishing without rebuilding" in again.stderr
        assert finished(repo)
        for service, digest in versions.items():
            for tag in ("0.2.0", "0.2", "0", "latest"):
                assert registry.digest(f"mini/{service}", tag) == digest

    @pytest.mark.parametrize("record", ["kept", "lost"])
    @pytest.mark.serial  # prunes the engine's BuildKit cache: nothing may build meanwhile
    def test_rerun_after_the_build_cache_was_wiped_reuses_the_published_images(
        self, tmp_path: Path, registry: Registry, cleanup: None, record: str
    ) -> None:
        """With the attempt's record (same machine), or without it (a new CI runner:
        the images' revision and version labels identify them)."""
        repo = release_repo(tmp_path, registry)
        hook = repo / ".git" / "hooks" / "reference-transaction"
        hook.write_text(REFUSE_TAGS)
        hook.chmod(0o755)
        assert release(repo, "--bump", "minor").returncode == 9
        digest = registry.digest("mini/one", "0.2.0")
        hook.unlink()
        remove_images("mini/")
        remove_images(f"{registry.url}/")
        docker.buildx.prune(all=True)
        recorded = repo / ".git" / "dockwright" / "releases" / "0.2.0.json"
        assert json.loads(recorded.read_text())["images"][f"{registry.url}/mini/one"] == digest
        if record == "lost":
            recorded.unlink()
        again = release(repo, "--bump", "minor")
        assert again.returncode == 0, again.stderr
        assert "finishing without rebuilding" in again.stderr
        assert finished(repo)
        assert registry.digest("mini/one", "0.2.0") == digest
        assert registry.digest("mini/one", "latest") == digest

    def test_build_push_of_the_same_commit_before_the_release(
        self, tmp_path: Path, registry: Registry, cleanup: None
    ) -> None:
        repo = release_repo(tmp_path, registry)
        sha = git(repo, "rev-parse", "--short=7", "HEAD")
        pushed = invoke(repo, "build", "--all", "--push", "--no-check")
        assert pushed.returncode == 0, pushed.stderr
        dev = registry.digest("mini/one", f"sha-{sha}")
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 0, proc.stderr
        assert f"sha-{sha} kept" in proc.stderr
        assert finished(repo)
        # sha- tags are written once: the commit's first published image keeps it.
        assert registry.digest("mini/one", f"sha-{sha}") == dev
        assert registry.digest("mini/one", "latest") == registry.digest("mini/one", "0.2.0")
        labels = docker.image.inspect("mini/one:0.2.0").config.labels
        assert labels["org.opencontainers.image.version"] == "0.2.0"
        # A rebuild of the released commit pushes again without a clash.
        again = invoke(repo, "build", "--all", "--push", "--no-check")
        assert again.returncode == 0, again.stderr
        assert registry.digest("mini/one", f"sha-{sha}") == dev
