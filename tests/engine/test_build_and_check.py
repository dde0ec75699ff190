"""`invoke build` and `invoke check` on real stacks, through the real CLI and engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from python_on_whales import docker

from tests.conftest import ROOT
from tests.engine.conftest import committed_repo

pytestmark = pytest.mark.engine
FIXTURES = ROOT / "tests" / "fixtures" / "stacks"
SECRET = "tok-3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e"


def make_repo(tmp: Path, fixture: str) -> Path:
    """A throwaway git repository holding a fixture stack and the 3-line tasks.py."""
    repo = tmp / fixture
    shutil.copytree(FIXTURES / fixture, repo)
    return committed_repo(repo, {})


def invoke(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def image_tags(prefix: str) -> set[str]:
    """Every `repository:tag` in the engine starting with `prefix`."""
    tags = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {t for t in tags if t.startswith(prefix)}


def remove_images(prefix: str) -> None:
    """Remove every tag starting with `prefix`; tolerant of images already gone
    (other tests share the engine)."""
    doomed = sorted(image_tags(prefix))
    if doomed:
        subprocess.run(["docker", "image", "rm", "-f", *doomed], capture_output=True)


@pytest.fixture
def mini(tmp_path: Path) -> Iterator[Path]:
    repo = make_repo(tmp_path, "mini")
    try:
        yield repo
    finally:
        remove_images("mini/")


class TestBuild:
    """Builds run in one bake, get tags and labels, and a failure spares the others."""

    def test_builds_all_services_with_sha_tags_and_oci_labels(self, mini: Path) -> None:
        proc = invoke(mini, "build", "--all", "--no-check", "--json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=mini, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert [s["service"] for s in result["services"]] == ["one", "two"]
        for s in result["services"]:
            assert s["ok"] is True
            assert s["tags"] == [f"mini/{s['service']}:sha-{sha[:7]}", f"mini/{s['service']}:dev"]
            labels = docker.image.inspect(s["tags"][0]).config.labels
            assert labels["org.opencontainers.image.revision"] == sha
            assert labels["org.opencontainers.image.version"] == "1.2.3"
            assert labels["org.opencontainers.image.title"] == f"mini-{s['service']}"
            assert labels["org.opencontainers.image.created"].endswith("Z")
            assert labels["org.dockwright.dirty"] == "false"
        assert docker.run(f"mini/one:sha-{sha[:7]}", remove=True) == "one 1.2.3"
        report = json.loads((mini / "build" / "report.json").read_text())
        assert report == result

    def test_dirty_tree_is_marked_in_tag_and_label(self, mini: Path) -> None:
        (mini / "Dockerfile").write_text((mini / "Dockerfile").read_text() + "\n# edited\n")
        proc = invoke(mini, "build", "-s", "one", "--no-check", "--json")
        assert proc.returncode == 0, proc.stderr
        tag = json.loads(proc.stdout)["services"][0]["tags"][0]
        assert tag.endswith("-dirty")
        assert docker.image.inspect(tag).config.labels["org.dockwright.dirty"] == "true"

    def test_one_failing_service_does_not_stop_the_others(self, mini: Path) -> None:
        proc = invoke(mini, "build", "--all", "--no-check", "--json", env={"MINI_FAIL": "1"})
        assert proc.returncode == 4, proc.stderr
        result = json.loads(proc.stdout)
        by_name = {s["service"]: s for s in result["services"]}
        assert by_name["one"]["ok"] is True
        assert docker.image.exists(by_name["one"]["tags"][0])
        assert by_name["two"]["ok"] is False
        assert "exit code: 3" in by_name["two"]["error"]
        assert any("forced failure of service two" in line for line in by_name["two"]["log_tail"])
        assert 0 < len(by_name["two"]["log_tail"]) <= 30
        assert "build failed for two" in proc.stderr
        assert "Traceback" not in proc.stderr

    def test_dry_run_prints_plan_and_engine_call_and_builds_nothing(self, mini: Path) -> None:
        proc = invoke(mini, "build", "--dry-run")
        assert proc.returncode == 0, proc.stderr
        assert "docker buildx bake --file" in proc.stderr
        definition = json.loads(proc.stdout)
        assert sorted(definition["target"]) == ["one", "two"]
        assert not docker.image.exists(definition["target"]["one"]["tags"][0])

    def test_unknown_service_is_one_line_error(self, mini: Path) -> None:
        proc = invoke(mini, "build", "-s", "nope", "--no-check")
        assert proc.returncode == 2
        assert proc.stderr.strip() == (
            "error: unknown buildable service 'nope'; choose from: one, two"
        )

    def test_cache_export_on_docker_driver_is_refused_before_building(self, mini: Path) -> None:
        toml = mini / "dockwright.toml"
        toml.write_text(toml.read_text() + '\n[build]\ncache_to = ["type=inline"]\n')
        proc = invoke(mini, "build", "--all", "--no-check", "--json")
        assert proc.returncode == 2
        assert "uses the 'docker' driver, which cannot export cache" in proc.stderr

    def test_ca_bundle_reaches_build_as_secret_never_as_layer(self, mini: Path) -> None:
        # Secrets are not part of BuildKit's cache key: a fresh RUN line per test run.
        nonce = uuid.uuid4().hex
        (mini / "Dockerfile").write_text(
            "FROM python:3.13-slim\n"
            f"RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem echo {nonce} && "
            "test -s /run/secrets/ca.pem && grep -c 'BEGIN CERTIFICATE' /run/secrets/ca.pem "
            "> /ca-count.txt\n"
            'CMD ["cat", "/ca-count.txt"]\n'
        )
        (mini / "compose.yaml").write_text(
            "services:\n  one:\n    image: mini/one\n"
            "    build: {context: ., secrets: [ca]}\n"
            "secrets:\n  ca: {file: /etc/ssl/certs/ca-certificates.crt}\n"
        )
        # The host bundle plus a marker block no base image can contain.
        marker = "DWMARKER" + uuid.uuid4().hex.upper()
        host = Path("/etc/ssl/certs/ca-certificates.crt").read_text()
        bundle = mini / "my-ca.pem"
        bundle.write_text(
            host + f"-----BEGIN CERTIFICATE-----\n{marker}\n-----END CERTIFICATE-----\n"
        )
        proc = invoke(
            mini, "build", "-s", "one", "--no-check", "--json", "--ca-bundle", str(bundle)
        )
        assert proc.returncode == 0, proc.stderr
        tag = json.loads(proc.stdout)["services"][0]["tags"][0]
        assert int(docker.run(tag, remove=True)) == host.count("BEGIN CERTIFICATE") + 1
        history = subprocess.run(
            ["docker", "image", "history", "--no-trunc", tag], capture_output=True, text=True
        ).stdout
        assert marker not in history
        assert str(bundle) not in history
        # No layer holds the bundle: the marker is absent from every byte of the saved image.
        saved = subprocess.run(["docker", "save", tag], capture_output=True, check=True).stdout
        assert marker.encode() not in saved


@pytest.fixture(scope="module")
def policy_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    repo = make_repo(tmp_path_factory.mktemp("policy"), "policy")
    (repo / ".env").write_text(f"API_TOKEN={SECRET}\n")
    docker.image.tag("python:3.13-slim", "dwtest-unpinned:latest")
    try:
        proc = invoke(repo, "build", "--all", "--no-check")
        assert proc.returncode == 0, proc.stderr
        yield repo
    finally:
        remove_images("policy/")
        docker.image.remove("dwtest-unpinned:latest", force=True)


@pytest.fixture(scope="module")
def verdicts(policy_repo: Path) -> dict[str, dict[str, dict[str, str]]]:
    proc = invoke(policy_repo, "check", "--json")
    assert proc.returncode == 5, proc.stderr
    data = json.loads(proc.stdout)
    return {svc: {v["rule"]: v for v in vs} for svc, vs in data.items()}


class TestPolicy:
    """Each rule fails on an image built to break it, and passes on a good image."""

    def test_good_image_passes_every_rule(
        self, verdicts: dict[str, dict[str, dict[str, str]]]
    ) -> None:
        failing = {r: v["measured"] for r, v in verdicts["good"].items() if v["status"] != "PASS"}
        assert failing == {}

    @pytest.mark.parametrize(
        ("service", "rule", "measured"),
        [
            ("root", "user", "user root (unset) (uid 0)"),
            ("nohealth", "healthcheck", "none"),
            ("secret", "secret-values", "API_TOKEN in /app/settings.txt"),
            ("dotenv", "sensitive-files", "/app/.env"),
            ("unpinned", "base-pinned", "dwtest-unpinned"),
        ],
        ids=["root-user", "no-healthcheck", "secret-baked-in", "dotenv-copied", "unpinned-base"],
    )
    def test_broken_image_fails_exactly_its_rule(
        self, verdicts: dict[str, dict[str, dict[str, str]]], service: str, rule: str, measured: str
    ) -> None:
        failing = sorted(r for r, v in verdicts[service].items() if v["status"] == "FAIL")
        if service == "unpinned":
            # hadolint's DL3006 ("always tag the version of an image") agrees.
            assert failing == ["base-pinned", "hadolint"]
            assert "DL3006" in verdicts[service]["hadolint"]["measured"]
        else:
            assert failing == [rule]
        assert verdicts[service][rule]["measured"] == measured

    def test_oversized_image_fails_size_with_measured_value(
        self, verdicts: dict[str, dict[str, dict[str, str]]]
    ) -> None:
        size = verdicts["oversized"]["size"]
        assert size["status"] == "FAIL"
        assert size["expected"] == "<= 50 MB"
        assert float(size["measured"].split()[0]) > 100

    def test_waiver_with_reason_turns_failure_into_waived(self, policy_repo: Path) -> None:
        compose = policy_repo / "compose.yaml"
        original = compose.read_text()
        try:
            compose.write_text(
                original.replace(
                    "x-dockwright: {uid: 1001, port: 8000, size_budget_mb: 50}",
                    "x-dockwright: {uid: 1001, port: 8000, size_budget_mb: 50, "
                    "waivers: {size: 'fixture: budget lowered on purpose'}}",
                )
            )
            proc = invoke(policy_repo, "check", "-s", "oversized")
            assert proc.returncode == 0, proc.stderr
            assert "WAIVED" in proc.stderr
            assert "fixture: budget lowered on purpose" in proc.stderr
        finally:
            compose.write_text(original)

    def test_secret_value_is_never_printed(self, policy_repo: Path) -> None:
        proc = invoke(policy_repo, "check", "-s", "secret")
        assert proc.returncode == 5
        assert SECRET not in proc.stdout + proc.stderr
