"""Trivy: command lines, parsing of real reports, and errors for scans that could not run."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockwright.errors import ScannerUnavailableError
from dockwright.scan import trivy
from dockwright.scan.model import Kind, Severity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scan"
COMMON = ("--format", "json", "--quiet", "--skip-version-check", "--disable-telemetry")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class TestImageCommand:
    """`trivy image` command lines for each kind of scan."""

    @pytest.mark.parametrize(
        ("kinds", "options", "expected_tail"),
        [
            (("vulnerability",), {}, ("--scanners", "vuln", "--list-all-pkgs=false", "img:1")),
            (("secret",), {}, ("--scanners", "secret", "--list-all-pkgs=false", "img:1")),
            (
                ("vulnerability", "secret"),
                {"cache_dir": "/c"},
                (
                    "--scanners",
                    "vuln,secret",
                    "--list-all-pkgs=false",
                    "--cache-dir",
                    "/c",
                    "img:1",
                ),
            ),
            (
                ("vulnerability",),
                {"offline": True},
                (
                    "--scanners",
                    "vuln",
                    "--list-all-pkgs=false",
                    "--skip-db-update",
                    "--skip-java-db-update",
                    "--offline-scan",
                    "img:1",
                ),
            ),
            # Offline flags only matter to the vulnerability database.
            (
                ("secret",),
                {"offline": True},
                ("--scanners", "secret", "--list-all-pkgs=false", "img:1"),
            ),
        ],
        ids=["vuln", "secret", "both-with-cache", "vuln-offline", "secret-offline"],
    )
    def test_builds_argument_list(
        self, kinds: tuple[Kind, ...], options: dict[str, object], expected_tail: tuple[str, ...]
    ) -> None:
        argv = trivy.image_command("/bin/trivy", "img:1", kinds=kinds, **options)  # type: ignore[arg-type]
        assert argv == ("/bin/trivy", "image", *COMMON, *expected_tail)

    @pytest.mark.parametrize("kinds", [(), ("misconfig",)], ids=["none", "misconfig"])
    def test_refuses_kinds_trivy_image_does_not_scan(self, kinds: tuple[Kind, ...]) -> None:
        with pytest.raises(ValueError, match="vulnerability and secret"):
            trivy.image_command("trivy", "img:1", kinds=kinds)


def test_config_command_uses_the_embedded_checks_and_dockerfile_scanner_only() -> None:
    assert trivy.config_command("trivy", "docker/Dockerfile") == (
        "trivy",
        "config",
        *COMMON,
        "--skip-check-update",
        "--misconfig-scanners",
        "dockerfile",
        "docker/Dockerfile",
    )


class TestParseReport:
    """Real trivy reports become normalised findings."""

    def test_secret_report_lists_each_secret_with_file_and_line(self) -> None:
        result = trivy.parse_report(
            fixture("trivy-0.76.0-image-secret.json"), image="app:1", kinds=("secret",)
        )
        assert result.ran and result.scanner == "trivy" and result.scanner_version == "0.76.0"
        assert result.kinds == ("secret",)
        assert {(f.id, f.severity, f.location, f.kind) for f in result.findings} == {
            ("aws-access-key-id", Severity.CRITICAL, "/app/.aws/credentials:2", "secret"),
            ("private-key", Severity.HIGH, "/app/key.pem:2", "secret"),
        }
        assert {f.title for f in result.findings} == {"AWS Access Key ID", "Asymmetric Private Key"}

    def test_clean_report_without_results_is_a_clean_scan(self) -> None:
        result = trivy.parse_report(
            fixture("trivy-0.76.0-image-secret-clean.json"), image="app:1", kinds=("secret",)
        )
        assert result.ran and result.findings == ()

    def test_config_report_locates_failures_in_the_scanned_dockerfile(self) -> None:
        path = "dockerfiles/root-latest/Dockerfile"
        result = trivy.parse_report(
            fixture("trivy-0.76.0-config-dockerfile.json"), image=path, kinds=("misconfig",)
        )
        assert {(f.id, f.severity, f.location) for f in result.findings} == {
            ("DS-0001", Severity.MEDIUM, f"{path}:2"),
            ("DS-0002", Severity.HIGH, f"{path}:3"),
            ("DS-0005", Severity.LOW, f"{path}:4"),
            ("DS-0026", Severity.LOW, path),
            ("DS-0029", Severity.HIGH, f"{path}:5"),
        }
        root = next(f for f in result.findings if f.id == "DS-0002")
        assert root.url == "https://avd.aquasec.com/misconfig/ds-0002"
        assert root.title == "Image user should not be 'root'"

    def test_vulnerability_report_keeps_package_versions_and_fix(self) -> None:
        result = trivy.parse_report(
            fixture("trivy-golden-debian-buster.json.golden"),
            image="debian:buster",
            kinds=("vulnerability",),
        )
        by_id = {f.id: f for f in result.findings}
        assert set(by_id) == {"CVE-2019-18276", "CVE-2019-18224"}
        libidn = by_id["CVE-2019-18224"]
        assert (libidn.package, libidn.installed, libidn.fixed) == (
            "libidn2-0",
            "2.0.5-1",
            "2.0.5-1+deb10u1",
        )
        assert libidn.severity is Severity.CRITICAL
        assert libidn.url == "https://avd.aquasec.com/nvd/cve-2019-18224"
        assert libidn.location == "testdata/fixtures/images/debian-buster.tar.gz (debian 10.1)"
        bash = by_id["CVE-2019-18276"]
        assert (bash.package, bash.fixed, bash.severity) == ("bash", "", Severity.LOW)
        assert result.scanner_version == ""  # this older golden file has no "Trivy" block

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", "no readable report"),
            ("Fatal error", "no readable report"),
            ("[]", "no SchemaVersion"),
            ('{"Results": []}', "no SchemaVersion"),
        ],
        ids=["empty", "not-json", "a-list", "no-schema-version"],
    )
    def test_output_that_is_not_a_report_is_never_read_as_clean(
        self, text: str, reason: str
    ) -> None:
        with pytest.raises(ScannerUnavailableError, match=reason):
            trivy.parse_report(text, image="app:1", kinds=("vulnerability",))


class TestFailure:
    """Trivy's real error output becomes one line saying what failed and what to do."""

    @pytest.mark.parametrize(
        ("stderr_file", "kinds", "expected_start"),
        [
            (
                "trivy-0.76.0-vuln-db-download-failed.stderr",
                ("vulnerability",),
                "trivy cannot scan app:1 for vulnerabilities: it has no vulnerability database "
                "and cannot download one (registry unreachable); copy a cache made with "
                "`trivy image --download-db-only`",
            ),
            (
                "trivy-0.76.0-vuln-db-skip-first-run.stderr",
                ("vulnerability", "secret"),
                "trivy cannot scan app:1 for vulnerabilities and secrets: it has no "
                "vulnerability database",
            ),
            (
                "trivy-0.76.0-image-not-found.stderr",
                ("secret",),
                "trivy cannot scan app:1: no such image in the local engine and no registry "
                "has it; build or pull it first",
            ),
        ],
        ids=["db-download-failed", "db-skip-first-run", "image-not-found"],
    )
    def test_known_failures(
        self, stderr_file: str, kinds: tuple[Kind, ...], expected_start: str
    ) -> None:
        error = trivy.failure(1, fixture(stderr_file), image="app:1", kinds=kinds)
        assert isinstance(error, ScannerUnavailableError)
        assert str(error).startswith(expected_start)
        assert "\n" not in str(error)

    def test_unknown_failure_quotes_trivys_fatal_line(self) -> None:
        stderr = "2026-01-01T00:00:00Z\tFATAL\tFatal error\tflag provided but not defined: -x\n"
        error = trivy.failure(2, stderr, image="app:1", kinds=("secret",))
        assert str(error) == "trivy failed on app:1 (exit 2): flag provided but not defined: -x"

    @pytest.mark.parametrize(
        ("stderr", "expected"),
        [
            ("", "no error output"),
            ("just text\nlast line\n", "last line"),
            ("x\n2026-01-01T00:00:00Z\tERROR\tsomething broke\n", "something broke"),
        ],
        ids=["empty", "no-log-level", "error-line"],
    )
    def test_fatal_line(self, stderr: str, expected: str) -> None:
        assert trivy.fatal_line(stderr) == expected
