"""`invoke release` against a real registry:2 started by the tests."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bcrypt
import pytest
from filelock import FileLock
from python_on_whales import docker

from tests.engine.conftest import free_port
from tests.engine.test_build_and_check import invoke, make_repo, remove_images
from tests.engine.test_scan_engine import fake_aws_key_id

pytestmark = pytest.mark.engine

CHANGELOG = """# Changelog

## [Unreleased]

### Added
- The first feature.
"""


@dataclass
class Registry:
    port: int
    container: str
    volume: str

    @property
    def url(self) -> str:
        return f"localhost:{self.port}"

    def get(self, path: str, accept: str = "") -> tuple[dict[str, str], bytes]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if accept:
            req.add_header("Accept", accept)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(resp.headers.items()), resp.read()

    def all_tags(self, repo: str) -> set[str]:
        try:
            return set(json.loads(self.get(f"/v2/{repo}/tags/list")[1]).get("tags") or [])
        except urllib.error.HTTPError:
            return set()

    def tags(self, repo: str) -> set[str]:
        """The image tags: without the referrers tag schema's `sha256-<hex>` indexes
        (each pushed image's SBOM, see `referrer_tags`)."""
        return {t for t in self.all_tags(repo) if not t.startswith("sha256-")}

    def referrer_tags(self, repo: str) -> set[str]:
        return {t for t in self.all_tags(repo) if t.startswith("sha256-")}

    def digest(self, repo: str, tag: str) -> str:
        headers, _ = self.get(
            f"/v2/{repo}/manifests/{tag}",
            accept="application/vnd.docker.distribution.manifest.v2+json",
        )
        return {k.lower(): v for k, v in headers.items()}["docker-content-digest"]


def start_registry(
    name: str, env: dict[str, str] | None = None, volumes: list[tuple[str, str]] | None = None
) -> Registry:
    port = free_port()
    volume = f"{name}-data"
    docker.run(
        "registry:2",
        detach=True,
        name=name,
        publish=[(f"127.0.0.1:{port}", 5000)],
        envs=env or {},
        volumes=[(volume, "/var/lib/registry"), *(volumes or [])],
    )
    reg = Registry(port=port, container=name, volume=volume)
    wait_registry(reg)
    return reg


def wait_registry(reg: Registry) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{reg.port}/v2/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401: up, wants auth
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop_registry(reg: Registry) -> None:
    docker.container.remove(reg.container, force=True)
    docker.volume.remove(reg.volume)


def release_repo(tmp: Path, reg: Registry, extra: str = "") -> Path:
    repo = make_repo(tmp, "mini")
    (repo / "VERSION").write_text("0.1.0\n")
    (repo / "CHANGELOG.md").write_text(CHANGELOG)
    # The files a release commit writes stay out of the images (the context is the
    # root): a release of unchanged code may then re-tag the last one's images.
    (repo / ".dockerignore").write_text(".git\nVERSION\nCHANGELOG.md\n")
    (repo / "dockwright.toml").write_text(
        'project = "mini"\ncompose_files = ["compose.yaml"]\nregistry = "test"\n'
        f'[registries.test]\nurl = "{reg.url}"\ninsecure = true\n{extra}'
        # No vulnerability database can be downloaded offline: gate on secrets.
        '[scan]\nrelease_kinds = ["secret"]\n'
        '[policy]\nwaivers = { healthcheck = "fixture images have no server", '
        'ports = "fixture images serve nothing" }\n'
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "release fixture")
    return repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def release(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return invoke(repo, "release", *args, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "2", **(env or {})})


@pytest.fixture
def registry(unique: str) -> Iterator[Registry]:
    reg = start_registry(f"dw-release-{unique}")
    try:
        yield reg
    finally:
        stop_registry(reg)


@pytest.fixture
def repo(tmp_path: Path, registry: Registry) -> Iterator[Path]:
    path = release_repo(tmp_path, registry)
    try:
        yield path
    finally:
        remove_images("mini/")
        remove_images(f"{registry.url}/")


def local_digest(ref: str, repository: str) -> str:
    digests = docker.image.inspect(ref).repo_digests
    return next(d.split("@")[1] for d in digests if d.startswith(repository + "@"))


class TestRelease:
    """A release publishes every tag, verified, and leaves VERSION/CHANGELOG/git consistent."""

    def test_minor_release_from_0_1_0_publishes_all_tags_and_finalizes(
        self, repo: Path, registry: Registry
    ) -> None:
        sha = git(repo, "rev-parse", "HEAD")
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 0, proc.stderr
        for svc in ("one", "two"):
            path = f"mini/{svc}"
            assert registry.tags(path) == {"0.2.0", "0.2", "0", "latest", f"sha-{sha[:7]}"}
            remote = registry.digest(path, "0.2.0")
            assert registry.referrer_tags(path) == {"sha256-" + remote.split(":")[1]}
            assert remote == local_digest(f"{registry.url}/{path}:0.2.0", f"{registry.url}/{path}")
            for floating in ("0.2", "0", "latest"):
                assert registry.digest(path, floating) == remote
        assert (repo / "VERSION").read_text().strip() == "0.2.0"
        changelog = (repo / "CHANGELOG.md").read_text()
        assert f"## [0.2.0] - {time.strftime('%Y-%m-%d')}" in changelog
        assert changelog.index("## [Unreleased]") < changelog.index("## [0.2.0]")
        assert changelog.index("- The first feature.") > changelog.index("## [0.2.0]")
        assert git(repo, "cat-file", "-t", "v0.2.0") == "tag"  # annotated
        assert git(repo, "log", "-1", "--format=%s") == "Release 0.2.0"
        assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
        # Provenance: this engine's classic image store keeps no attestations, so
        # one line says so, and the record holds what the images were built from.
        said = " ".join(proc.stderr.split())  # rich folds long lines
        assert "provenance: not attested: the `docker` driver on the engine's" in said
        record = json.loads((repo / ".git/dockwright/releases/0.2.0.json").read_text())
        inputs = record["inputs"]
        assert (inputs["revision"], inputs["dirty"]) == (sha, False)
        dockerfile = hashlib.sha256((repo / "Dockerfile").read_bytes()).hexdigest()
        base_id = docker.image.inspect("python:3.13-slim").id
        for svc, target in (("one", "one"), ("two", "two")):
            image = inputs["images"][svc]
            assert (image["dockerfile"], image["target"]) == ("Dockerfile", target)
            assert image["dockerfile_sha256"] == dockerfile
            assert image["bases"]["python:3.13-slim"]["id"] == base_id
            assert image["args"]["VERSION"] == "0.2.0"
        assert record["gates"] and record["scanned"] == ["secret"]
        # Each image's SBOM is attached to its digest: registry:2 has no referrers
        # API, so through the referrers tag schema; read back by digest.
        assert "via the tag sha256-" in said and "read back and verified" in said, said
        for svc in ("one", "two"):
            path = f"mini/{svc}"
            digest = registry.digest(path, "0.2.0")
            index = json.loads(
                registry.get(
                    f"/v2/{path}/manifests/sha256-{digest.split(':')[1]}",
                    accept="application/vnd.oci.image.index.v1+json",
                )[1]
            )
            (referrer,) = index["manifests"]
            assert referrer["artifactType"] == "application/vnd.cyclonedx+json"
            manifest = json.loads(
                registry.get(
                    f"/v2/{path}/manifests/{referrer['digest']}",
                    accept="application/vnd.oci.image.manifest.v1+json",
                )[1]
            )
            assert manifest["subject"]["digest"] == digest
            (layer,) = manifest["layers"]
            sbom = registry.get(f"/v2/{path}/blobs/{layer['digest']}")[1]
            assert "sha256:" + hashlib.sha256(sbom).hexdigest() == layer["digest"]
            document = json.loads(sbom)
            assert document["bomFormat"] == "CycloneDX"
            assert sbom == (repo / "build" / "sbom" / f"{svc}.cdx.json").read_bytes()

    def test_rerelease_of_unchanged_code_retags_and_uploads_no_blob(
        self, repo: Path, registry: Registry
    ) -> None:
        assert release(repo, "--bump", "minor").returncode == 0
        released = registry.digest("mini/one", "0.2.0")
        before = registry_blobs(registry)
        since = log_clock()
        # Nothing committed since v0.2.0 but VERSION and CHANGELOG.md (the release
        # commit): 0.2.1 is the same code, so it re-tags 0.2.0's verified images.
        proc = release(repo, "--bump", "patch", "--allow-empty")
        assert proc.returncode == 0, proc.stderr
        said = " ".join(proc.stderr.split())  # rich folds long lines
        assert "re-tagging the images of 0.2.0" in said, said
        head = git(repo, "rev-parse", "HEAD~1")  # the commit 0.2.1 released
        for path in ("mini/one", "mini/two"):
            digest = registry.digest(path, "0.2.0")
            assert registry.tags(path) >= {"0.2.1", "0.2", "latest", f"sha-{head[:7]}"}
            for tag in ("0.2.1", "0.2", "latest", f"sha-{head[:7]}"):
                assert registry.digest(path, tag) == digest, (path, tag)
        assert registry.digest("mini/one", "0.2.1") == released
        assert not docker.image.exists(f"{registry.url}/mini/one:0.2.1")  # nothing built
        assert registry_blobs(registry) == before  # no blob stored, not even a config
        writes = registry_writes(registry, since)
        assert not [w for w in writes if "/blobs/" in w], writes
        assert "PUT /v2/mini/one/manifests/0.2.1" in writes, writes
        assert (repo / "VERSION").read_text().strip() == "0.2.1"
        record = json.loads((repo / ".git/dockwright/releases/0.2.1.json").read_text())
        assert record["promoted_from"] == "0.2.0" and record["gates"], record

        assert "sbom one: found (attached earlier)" in said  # 0.2.0's, same digest
        # The entry says the (unchanged) size, from the record 0.2.0 left.
        changelog = (repo / "CHANGELOG.md").read_text()
        section = changelog[changelog.index("## [0.2.1]") : changelog.index("## [0.2.0]")]
        size = docker.image.inspect("mini/one:0.2.0").size
        assert f"- one {size / 1e6:.1f} MB (+0.0 MB since 0.2.0; budget 500 MB)" in section

        # --rebuild builds and gates again: only the version differs, so per image
        # a new config and manifest, plus service one's tiny layer that echoes
        # $VERSION; no base layer is uploaded again. (Each new image also gets its
        # SBOM: the document, its artifact manifest and the referrers index.)
        before = registry_blobs(registry)
        proc = release(repo, "--bump", "patch", "--allow-empty", "--rebuild")
        assert proc.returncode == 0, proc.stderr
        assert "re-tagging" not in proc.stderr
        assert registry.digest("mini/one", "0.2.2") != released
        evidence = set().union(
            *(sbom_blobs(registry, f"mini/{s}", "0.2.2") for s in ("one", "two"))
        )
        new = {
            k: v
            for k, v in registry_blobs(registry).items()
            if k not in before and blob_digest(k) not in evidence
        }
        assert 4 <= len(new) <= 5, new
        assert sum(new.values()) < 20_000, new

    def test_changelog_lists_the_commits_and_a_release_of_nothing_new_is_refused(
        self, repo: Path, registry: Registry
    ) -> None:
        def commit(message: str) -> str:
            (repo / "notes.txt").write_text(message)
            git(repo, "add", "notes.txt")
            git(repo, "commit", "-qm", message)
            return git(repo, "rev-parse", "--short=7", "HEAD")

        feat = commit("feat(api): add the search endpoint")
        fix = commit("fix: keep the session on reload")
        chore = commit("chore: tidy the fixture")
        dry = release(repo, "--bump", "minor", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "changelog: 5 commit(s) in the history" in dry.stderr
        assert release(repo, "--bump", "minor").returncode == 0
        changelog = (repo / "CHANGELOG.md").read_text()
        section = changelog[changelog.index("## [0.2.0]") :]
        assert section.index("### Added") < section.index("- The first feature.")
        assert f"- **api:** add the search endpoint ({feat})" in section
        assert section.index("### Added") < section.index("add the search endpoint")
        assert section.index("### Fixed") < section.index(f"- keep the session on reload ({fix})")
        assert section.index("### Maintenance") < section.index(f"- tidy the fixture ({chore})")
        assert "Release 0.2.0" not in section

        refused = release(repo, "--bump", "patch")
        assert refused.returncode == 9
        assert "nothing was committed since v0.2.0" in refused.stderr
        assert "--allow-empty" in refused.stderr
        assert "0.2.1" not in registry.tags("mini/one")
        assert (repo / "VERSION").read_text().strip() == "0.2.0"

        fixed = commit("fix: the search endpoint pages")
        assert release(repo, "--bump", "patch").returncode == 0
        changelog = (repo / "CHANGELOG.md").read_text()
        newest = changelog[changelog.index("## [0.2.1]") : changelog.index("## [0.2.0]")]
        notes, images = newest.split("### Images")
        assert notes.count("\n- ") == 1 and f"- the search endpoint pages ({fixed})" in notes
        assert images.count("\n- ") == 2  # a size line per image

    def test_patch_of_older_minor_does_not_move_latest_or_major(
        self, repo: Path, registry: Registry
    ) -> None:
        assert release(repo, "--bump", "minor").returncode == 0  # 0.2.0
        latest = registry.digest("mini/one", "latest")
        git(repo, "checkout", "-q", "-b", "maint-0.1", "HEAD~1")
        (repo / "Dockerfile").write_text((repo / "Dockerfile").read_text() + "\n# fix\n")
        git(repo, "commit", "-qam", "a fix on 0.1")
        proc = release(repo, "--bump", "patch", "--allow-dirty")  # other branch
        assert proc.returncode == 0, proc.stderr
        assert "0.1.1" in registry.tags("mini/one")
        assert registry.digest("mini/one", "0.1") == registry.digest("mini/one", "0.1.1")
        assert registry.digest("mini/one", "latest") == latest
        assert registry.digest("mini/one", "0") == latest

    def test_dry_run_prints_plan_and_changes_nothing(self, repo: Path, registry: Registry) -> None:
        proc = release(repo, "--bump", "minor", "--dry-run")
        assert proc.returncode == 0, proc.stderr
        assert "release 0.1.0 -> 0.2.0 (minor)" in proc.stderr
        assert "floating:  0.2, 0, latest" in proc.stderr
        assert (repo / "VERSION").read_text().strip() == "0.1.0"
        assert registry.tags("mini/one") == set()


class TestReleaseFaults:
    """When a step fails, nothing after it happens and the error says how to resume."""

    def test_dirty_tree_is_refused(self, repo: Path, registry: Registry) -> None:
        (repo / "Dockerfile").write_text("# changed\n")
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 9
        assert "uncommitted changes" in proc.stderr
        assert registry.tags("mini/one") == set()

    def test_second_release_while_one_runs_is_refused(self, repo: Path) -> None:
        with FileLock(str(repo / ".git" / "dockwright-release.lock"), timeout=0):
            proc = release(repo, "--bump", "minor")
        assert proc.returncode == 9
        assert "another release is running in this repository" in proc.stderr

    def test_build_failure_pushes_nothing(self, repo: Path, registry: Registry) -> None:
        proc = release(repo, "--bump", "minor", env={"MINI_FAIL": "1"})
        assert proc.returncode == 9
        assert "failed at step 'build'" in proc.stderr
        assert registry.tags("mini/one") == set()
        assert (repo / "VERSION").read_text().strip() == "0.1.0"

    def test_existing_version_tag_with_other_digest_is_refused(
        self, repo: Path, registry: Registry
    ) -> None:
        other = f"{registry.url}/mini/one:0.2.0"
        docker.image.tag("python:3.13-slim", other)
        docker.image.push(other, quiet=True)
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 9
        assert "tag 0.2.0 already in" in proc.stderr and "with another digest" in proc.stderr
        assert "latest" not in registry.tags("mini/one")
        assert (repo / "VERSION").read_text().strip() == "0.1.0"
        assert (repo / "CHANGELOG.md").read_text() == CHANGELOG

    def test_registry_stopped_mid_push_then_rerun_completes(
        self, repo: Path, registry: Registry
    ) -> None:
        env = {**os.environ, "DOCKWRIGHT_PUSH_ATTEMPTS": "2"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "invoke", "release", "--bump", "minor"],
            cwd=repo,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "pushing" in line:
                docker.container.stop(registry.container)
                break
        _, err = proc.communicate(timeout=300)
        stderr = "".join(lines) + err
        assert proc.returncode == 9, stderr
        assert "failed at step 'push'" in stderr
        assert "no floating tag moved" in stderr
        assert "`invoke release --bump minor`" in stderr  # the one command that continues
        assert (repo / "VERSION").read_text().strip() == "0.1.0"
        assert (repo / "CHANGELOG.md").read_text() == CHANGELOG
        docker.container.start(registry.container)
        wait_registry(registry)
        assert "latest" not in registry.tags("mini/one")
        again = release(repo, "--bump", "minor")
        assert again.returncode == 0, again.stderr
        assert registry.tags("mini/two") >= {"0.2.0", "0.2", "0", "latest"}
        assert (repo / "VERSION").read_text().strip() == "0.2.0"


def log_clock() -> datetime:
    """Now, for `registry_writes`: the engine runs on this host and stamps each log
    line with the same clock."""
    return datetime.now(UTC)


def registry_writes(reg: Registry, since: datetime) -> list[str]:
    """`METHOD /path` of every write request the registry logged since `since`,
    from its own access log."""
    logs = docker.container.logs(reg.container, since=since)
    return re.findall(r'"((?:PUT|POST|PATCH|DELETE) /v2/[^ "]+)', logs)


def blob_digest(stored: str) -> str:
    """`.../blobs/sha256/ab/abcd.../data` -> `sha256:abcd...`."""
    parts = stored.split("/")
    return f"{parts[-4]}:{parts[-2]}"


def sbom_blobs(reg: Registry, path: str, tag: str) -> set[str]:
    """The digests an image's SBOM attachment stored: the referrers index under the
    tag schema, each referrer's manifest and layer."""
    digest = reg.digest(path, tag)
    oci = "application/vnd.oci.image.index.v1+json"
    _, body = reg.get(f"/v2/{path}/manifests/sha256-{digest.split(':')[1]}", accept=oci)
    found = {"sha256:" + hashlib.sha256(body).hexdigest()}
    for referrer in json.loads(body)["manifests"]:
        found.add(referrer["digest"])
        manifest = json.loads(
            reg.get(
                f"/v2/{path}/manifests/{referrer['digest']}",
                accept="application/vnd.oci.image.manifest.v1+json",
            )[1]
        )
        found.update(layer["digest"] for layer in manifest["layers"])
        found.add(manifest["config"]["digest"])
    return found


def registry_blobs(reg: Registry) -> dict[str, int]:
    """Every blob the registry stores (layers, configs, manifests) and its size."""
    out = docker.execute(
        reg.container,
        [
            "find",
            "/var/lib/registry/docker/registry/v2/blobs",
            "-name",
            "data",
            "-exec",
            "stat",
            "-c",
            "%n %s",
            "{}",
            "+",
        ],
    )
    return {line.split()[0]: int(line.split()[1]) for line in str(out).splitlines() if line}


class TestAuthenticatedRegistry:
    """htpasswd auth: wrong credentials fail before building; the token never leaks."""

    @pytest.fixture
    def auth_registry(self, tmp_path: Path, unique: str) -> Iterator[Registry]:
        htpasswd = tmp_path / "auth" / "htpasswd"
        htpasswd.parent.mkdir()
        hashed = bcrypt.hashpw(b"s3cr3t-registry-token-42", bcrypt.gensalt(rounds=5))
        htpasswd.write_text(f"ci:{hashed.decode()}\n")
        reg = start_registry(
            f"dw-auth-{unique}",
            env={
                "REGISTRY_AUTH": "htpasswd",
                "REGISTRY_AUTH_HTPASSWD_REALM": "dockwright-test",
                "REGISTRY_AUTH_HTPASSWD_PATH": "/auth/htpasswd",
            },
            volumes=[(str(htpasswd.parent), "/auth")],
        )
        try:
            yield reg
        finally:
            stop_registry(reg)

    def test_wrong_then_right_credentials(self, tmp_path: Path, auth_registry: Registry) -> None:
        token = "s3cr3t-registry-token-42"
        repo = release_repo(
            tmp_path,
            auth_registry,
            extra='username_env = "REG_USER"\ntoken_env = "REG_TOKEN"\n',
        )
        try:
            wrong = release(
                repo, "--bump", "minor", env={"REG_USER": "ci", "REG_TOKEN": "not-the-token"}
            )
            assert wrong.returncode == 8
            assert "refused access (wrong credentials)" in wrong.stderr
            assert "1/6 preconditions" in wrong.stderr and "3/6 build" not in wrong.stderr
            assert not docker.image.exists("mini/one:0.2.0")

            seen: list[str] = []
            stop = threading.Event()
            sampler = threading.Thread(target=sample_cmdlines, args=(seen, stop), daemon=True)
            sampler.start()
            right = release(repo, "--bump", "minor", env={"REG_USER": "ci", "REG_TOKEN": token})
            stop.set()
            sampler.join()
            assert right.returncode == 0, right.stderr
            assert "0.2.0" in auth_tags(auth_registry, "mini/one", token)
            assert token not in right.stdout + right.stderr
            assert not any(token in c for c in seen), "token appeared on a command line"
            for path in [*repo.rglob("*"), Path.home() / ".docker" / "config.json"]:
                if path.is_file() and ".git/objects" not in str(path):
                    assert token.encode() not in path.read_bytes(), path
        finally:
            remove_images("mini/")
            remove_images(f"{auth_registry.url}/")


def auth_tags(reg: Registry, repo: str, token: str) -> set[str]:
    import base64

    req = urllib.request.Request(f"http://127.0.0.1:{reg.port}/v2/{repo}/tags/list")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"ci:{token}".encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as resp:
        return set(json.load(resp)["tags"])


def sample_cmdlines(seen: list[str], stop: threading.Event) -> None:
    """Every process's argv, sampled while the release runs (what `ps` would show)."""
    while not stop.is_set():
        for proc in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                seen.append(proc.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
        time.sleep(0.05)


class TestBuildPush:
    """`build --push` checks the registry first, then pushes the verified dev tags."""

    def test_build_push_publishes_sha_and_dev_tags(self, repo: Path, registry: Registry) -> None:
        sha = git(repo, "rev-parse", "HEAD")
        proc = invoke(repo, "build", "--all", "--push", "--no-check")
        assert proc.returncode == 0, proc.stderr
        for svc in ("one", "two"):
            assert registry.tags(f"mini/{svc}") == {f"sha-{sha[:7]}", "dev"}
            digest = registry.digest(f"mini/{svc}", f"sha-{sha[:7]}")
            assert registry.referrer_tags(f"mini/{svc}") == {"sha256-" + digest.split(":")[1]}
        remote = registry.digest("mini/one", f"sha-{sha[:7]}")
        assert remote == local_digest(
            f"{registry.url}/mini/one:sha-{sha[:7]}", f"{registry.url}/mini/one"
        )

    def test_unreachable_registry_fails_before_building(self, repo: Path) -> None:
        toml = repo / "dockwright.toml"
        # Port 1: a valid port nothing listens on.
        toml.write_text(re.sub(r'url = "localhost:\d+"', 'url = "localhost:1"', toml.read_text()))
        proc = invoke(repo, "build", "--all", "--push", "--no-check")
        assert proc.returncode == 8
        assert "is unreachable" in proc.stderr
        assert not (repo / "build" / "report.json").exists()


class TestLocalRegistryTask:
    """`registry.up` starts dockwright's own registry:2; images survive `down` and `up`."""

    def test_up_reports_url_and_catalogue_and_keeps_images_across_restart(
        self, tmp_path: Path
    ) -> None:
        port = free_port()
        repo = make_repo(tmp_path, "mini")
        toml = repo / "dockwright.toml"
        toml.write_text(toml.read_text() + f'\n[registries.local]\nurl = "localhost:{port}"\n')
        try:
            up = invoke(repo, "registry.up")
            assert up.returncode == 0, up.stderr
            assert json.loads(up.stdout) == {"url": f"http://localhost:{port}", "repositories": []}
            ref = f"localhost:{port}/kept/python:1"
            docker.image.tag("python:3.13-slim", ref)
            docker.image.push(ref, quiet=True)
            assert invoke(repo, "registry.down").returncode == 0
            again = invoke(repo, "registry.up")
            assert again.returncode == 0, again.stderr
            assert json.loads(again.stdout)["repositories"] == ["kept/python"]
        finally:
            invoke(repo, "registry.down", "--volumes")
            docker.image.remove(f"localhost:{port}/kept/python:1", force=True)


class TestReleaseScanGate:
    """The scan gate stops a release whose image carries a secret trivy recognises."""

    def test_baked_in_aws_key_blocks_the_release_before_any_push(
        self, repo: Path, registry: Registry
    ) -> None:
        key = fake_aws_key_id()
        (repo / "credentials").write_text(f"[default]\naws_access_key_id = {key}\n")
        dockerfile = repo / "Dockerfile"
        dockerfile.write_text(
            dockerfile.read_text().replace(
                'RUN echo "one $VERSION" > /app.txt',
                'RUN echo "one $VERSION" > /app.txt\nCOPY credentials /app/.aws/credentials',
            )
        )
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "bake a credential in")
        proc = release(repo, "--bump", "minor")
        assert proc.returncode == 9, proc.stderr
        assert "failed at step 'gates'" in proc.stderr
        assert "scan gate failed" in proc.stderr
        assert key not in proc.stdout + proc.stderr
        assert registry.tags("mini/one") == set()
        assert (repo / "VERSION").read_text().strip() == "0.1.0"
