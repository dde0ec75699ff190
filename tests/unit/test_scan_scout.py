"""Docker Scout: command lines, login detection, SARIF parsing and its failure messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockwright.errors import ScannerUnavailableError
from dockwright.scan import scout
from dockwright.scan.model import Severity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scan"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


class TestCommands:
    """Flags as documented in docker/scout-cli docs/docker_scout_cves.yaml."""

    def test_version_command(self) -> None:
        assert scout.version_command("docker") == ("docker", "scout", "version")

    @pytest.mark.parametrize(
        ("options", "expected_middle"),
        [
            ({}, ()),
            (
                {"only_severities": (Severity.CRITICAL, Severity.HIGH)},
                ("--only-severity", "critical,high"),
            ),
            ({"only_severities": (Severity.UNKNOWN,)}, ("--only-severity", "unspecified")),
            (
                {"only_fixed": True, "platform": "linux/amd64"},
                ("--only-fixed", "--platform", "linux/amd64"),
            ),
            ({"exit_code": True}, ("--exit-code",)),
        ],
        ids=["plain", "severities", "unspecified", "fixed-platform", "exit-code"],
    )
    def test_cves_command(self, options: dict[str, Any], expected_middle: tuple[str, ...]) -> None:
        argv = scout.cves_command("docker", "app:1", output="/tmp/r.sarif", **options)
        assert argv == (
            "docker",
            "scout",
            "cves",
            "--format",
            "sarif",
            "--output",
            "/tmp/r.sarif",
            *expected_middle,
            "app:1",
        )


class TestIsLoggedIn:
    """Scout needs a Docker Hub login: config.json entries or Scout's own variables."""

    @pytest.mark.parametrize(
        ("config", "env", "expected"),
        [
            ({}, {}, False),
            ({"auths": {"https://index.docker.io/v1/": {"auth": "eA=="}}}, {}, True),
            # With a credsStore, docker still records an empty entry per registry.
            ({"auths": {"https://index.docker.io/v1/": {}}, "credsStore": "pass"}, {}, True),
            ({"credHelpers": {"docker.io": "gcloud"}}, {}, True),
            ({"auths": {"localhost:5000": {"auth": "eA=="}}}, {}, False),
            ({}, {"DOCKER_SCOUT_HUB_USER": "me", "DOCKER_SCOUT_HUB_PASSWORD": "pat"}, True),
            ({}, {"DOCKER_SCOUT_HUB_USER": "me"}, False),
            ({"auths": []}, {}, False),
        ],
        ids=[
            "nothing",
            "hub-auth",
            "hub-creds-store",
            "cred-helper",
            "other-registry-only",
            "scout-env",
            "user-without-password",
            "malformed-auths",
        ],
    )
    def test_detects_a_hub_login(
        self, config: dict[str, Any], env: dict[str, str], expected: bool
    ) -> None:
        assert scout.is_logged_in(config, env) is expected


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:deb/debian/bash@5.0-4?arch=amd64&distro=debian-10.1", ("bash", "5.0-4")),
        (
            "pkg:maven/com.thoughtworks.xstream/xstream@1.4.5",
            ("com.thoughtworks.xstream:xstream", "1.4.5"),
        ),
        ("pkg:npm/%40babel/core@7.0.0", ("@babel/core", "7.0.0")),
        (
            "pkg:golang/github.com/docker/docker@27.2.1%2Bincompatible",
            ("github.com/docker/docker", "27.2.1+incompatible"),
        ),
        ("pkg:pypi/pip@23.2.1", ("pip", "23.2.1")),
        (
            "pkg:apk/alpine/busybox@1.37.0-r30?os_name=alpine&os_version=3.23",
            ("busybox", "1.37.0-r30"),
        ),
        ("pkg:generic/thing", ("thing", "")),
    ],
    ids=["deb", "maven", "npm-scoped", "golang", "pypi", "apk", "no-version"],
)
def test_split_purl_names_packages_like_trivy(purl: str, expected: tuple[str, str]) -> None:
    assert scout.split_purl(purl) == expected


class TestParseSarif:
    """Scout's SARIF: one rule per vulnerability, results give its locations."""

    def test_real_excerpt_gives_one_finding_per_rule(self) -> None:
        result = scout.parse_sarif(fixture("scout-0.24.1-sarif-rules-excerpt.json"), image="app:1")
        assert result.scanner == "docker scout" and result.scanner_version == "0.24.1"
        assert result.kinds == ("vulnerability",)
        (finding,) = result.findings
        assert finding.id == "GMS-2022-9109"
        assert finding.severity is Severity.UNKNOWN  # Scout's UNSPECIFIED
        assert (finding.package, finding.installed, finding.fixed) == (
            "com.thoughtworks.xstream:xstream",
            "1.4.5",
            "",  # "not fixed"
        )
        assert finding.title == (
            "OWASP Top Ten 2017 Category A9 - Using Components with Known Vulnerabilities"
        )
        assert finding.url == "https://scout.docker.com/v/GMS-2022-9109"

    def test_text_after_the_json_is_ignored(self) -> None:
        # docker/scout-cli#78: Scout printed a "What's Next?" hint after the SARIF on stdout.
        text = fixture("scout-0.24.1-sarif-rules-excerpt.json") + (
            "\nWhat's Next?\n  View base image update recommendations → "
            "docker scout recommendations nginx:1.8-alpine\n"
        )
        assert len(scout.parse_sarif(text, image="app:1").findings) == 1

    def test_locations_come_from_results_and_purls_fan_out(self) -> None:
        """Shaped after the SARIF quoted in docker/scout-cli#47 (results with ruleIndex and
        artifactLocation uris) and the `purls` list newer Scout versions write; not a
        real report, which we could not obtain."""
        document = json.loads(fixture("scout-0.24.1-sarif-rules-excerpt.json"))
        run = document["runs"][0]
        rule = run["tool"]["driver"]["rules"][0]
        rule["properties"]["cvssV3_severity"] = "HIGH"
        rule["properties"]["purls"] = [
            "pkg:maven/com.google.guava/guava@29.0-jre",
            "pkg:maven/com.google.guava/guava@31.0-jre",
        ]
        run["results"] = [
            {
                "ruleId": rule["id"],
                "ruleIndex": 0,
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": f"/app/lib/guava-{v}.jar"}}}
                ],
            }
            for v in ("29.0-jre", "31.0-jre")
        ]
        result = scout.parse_sarif(json.dumps(document), image="app:1")
        assert [(f.package, f.installed, f.severity) for f in result.findings] == [
            ("com.google.guava:guava", "29.0-jre", Severity.HIGH),
            ("com.google.guava:guava", "31.0-jre", Severity.HIGH),
        ]
        assert result.findings[0].location == "/app/lib/guava-29.0-jre.jar (+1 more)"

    @pytest.mark.parametrize(
        "text",
        ["", "Log in with your Docker ID", "[1, 2]", '{"version": "2.1.0"}'],
        ids=["empty", "text", "not-an-object", "no-runs"],
    )
    def test_output_that_is_not_a_report_is_never_read_as_clean(self, text: str) -> None:
        with pytest.raises(ScannerUnavailableError, match="no readable SARIF report"):
            scout.parse_sarif(text, image="app:1")


LOGIN_NEEDED = (
    "Docker Scout needs a Docker Hub login to scan app:1; run `docker login` (or set "
    "DOCKER_SCOUT_HUB_USER and DOCKER_SCOUT_HUB_PASSWORD), or scan with --scanner trivy"
)


class TestFailure:
    """Scout's real error output becomes one line saying what failed and what to do."""

    @pytest.mark.parametrize(
        ("output", "expected"),
        [
            (
                fixture("docker-26.1.5-scout-version-plugin-missing.stderr"),
                "Docker Scout is not installed (the docker CLI has no `scout` plugin); install "
                "the docker-scout CLI plugin, or scan with --scanner trivy",
            ),
            (
                fixture("docker-26.1.5-scout-cves-plugin-missing.stderr"),
                "Docker Scout is not installed (the docker CLI has no `scout` plugin); install "
                "the docker-scout CLI plugin, or scan with --scanner trivy",
            ),
            (
                "docker: 'scout' is not a docker command.\nSee 'docker --help'",
                "Docker Scout is not installed (the docker CLI has no `scout` plugin); install "
                "the docker-scout CLI plugin, or scan with --scanner trivy",
            ),
            (
                fixture("scout-1.11.0-login-required.txt"),
                LOGIN_NEEDED,
            ),
            (
                # docker/scout-action#8
                "Error: could not authenticate: user githubactions not entitled to use "
                "Docker Scout",
                LOGIN_NEEDED,
            ),
            (
                'Get "https://api.scout.docker.com/v1/": dial tcp: lookup api.scout.docker.com: '
                "no such host",
                "Docker Scout cannot reach Docker's servers to analyse app:1 (it only works "
                "online); check the network, or scan with --scanner trivy",
            ),
            (
                "    ✓ Pulled\nError: could not list CVEs for the image: Not allowed\n",
                "docker scout failed on app:1 (exit 1): "
                "Error: could not list CVEs for the image: Not allowed",
            ),
        ],
        ids=[
            "plugin-missing-version",
            "plugin-missing-cves",
            "plugin-missing-old-cli",
            "login-required",
            "not-entitled",
            "offline",
            "other",
        ],
    )
    def test_one_line_for_each_cause(self, output: str, expected: str) -> None:
        assert str(scout.failure(1, output, image="app:1")) == expected
