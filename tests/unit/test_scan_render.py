"""Reports: table and Markdown for people, JSON and SARIF 2.1.0 for machines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from dockwright.scan.gate import Ignore, evaluate
from dockwright.scan.model import ScanResult, Severity
from dockwright.scan.render import render_json, render_markdown, render_sarif, render_table
from dockwright.scan.trivy import parse_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scan"
TODAY = dt.date(2026, 6, 15)
SECRET_IMAGE = "localhost:5000/todo-backend:1.4.2"
DOCKERFILE = "docker/backend/Dockerfile"


def load(name: str, image: str, kind: str) -> ScanResult:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return parse_report(text, image=image, kinds=(kind,))  # type: ignore[arg-type]


@pytest.fixture
def results() -> tuple[ScanResult, ...]:
    return (
        load("trivy-0.76.0-image-secret.json", SECRET_IMAGE, "secret"),
        load("trivy-golden-debian-buster.json.golden", "debian:buster", "vulnerability"),
        load("trivy-0.76.0-config-dockerfile.json", DOCKERFILE, "misconfig"),
        load("trivy-0.76.0-image-secret-clean.json", "todo-web:1.4.2", "secret"),
        ScanResult.not_run(
            image="postgres:17", scanner="trivy", reason="no vulnerability database"
        ),
    )


IGNORES = (
    Ignore(
        id="CVE-2019-18224",
        package="libidn2-0",
        reason="no network input reaches idn2",
        expires=dt.date(2026, 12, 31),
        source="f entry 1",
    ),
    Ignore(
        id="DS-0026",
        reason="healthcheck lives in compose",
        expires=dt.date(2026, 1, 1),
        source="f entry 2",
    ),
)


class TestTable:
    """The table groups findings by severity under a count line per image."""

    def test_headline_counts_per_image(self, results: tuple[ScanResult, ...]) -> None:
        text = render_table(results)
        assert (
            f"{SECRET_IMAGE} — trivy 0.76.0 (secret): 2 findings  "
            "CRITICAL 1 · HIGH 1 · MEDIUM 0 · LOW 0 · UNKNOWN 0"
        ) in text
        assert "todo-web:1.4.2 — trivy 0.76.0 (secret): 0 findings" in text

    def test_a_scan_that_did_not_run_is_never_shown_as_clean(
        self, results: tuple[ScanResult, ...]
    ) -> None:
        line = next(x for x in render_table(results).splitlines() if x.startswith("postgres:17"))
        assert line == "postgres:17 — trivy: NOT SCANNED: no vulnerability database"

    def test_groups_are_most_severe_first_with_package_and_fix(
        self, results: tuple[ScanResult, ...]
    ) -> None:
        lines = render_table(results[1:2]).splitlines()
        assert lines[1] == "  CRITICAL (1)"
        assert lines[2].split()[:5] == [
            "CVE-2019-18224",
            "libidn2-0",
            "2.0.5-1",
            "→",
            "2.0.5-1+deb10u1",
        ]
        assert lines[3] == "  LOW (1)"
        assert "bash 5.0-4 → no fix" in lines[4]

    def test_with_verdict_marks_findings_and_explains_the_gate(
        self, results: tuple[ScanResult, ...]
    ) -> None:
        findings = [f for r in results for f in r.findings]
        verdict = evaluate(findings, Severity.HIGH, IGNORES, TODAY, unscanned=("postgres:17",))
        text = render_table(results, verdict)
        assert "ignored until 2026-12-31" in text
        assert "BLOCKING" in text
        assert "Ignored (1):\n  CVE-2019-18224 in libidn2-0 (debian:buster): " in text
        assert (
            "Expired ignore entries (1), no longer applied:\n  DS-0026 (f entry 2) expired" in text
        )
        assert text.rstrip().splitlines()[-1] == verdict.summary()


class TestJson:
    """JSON mirrors the model; a scan that did not run has no counts at all."""

    def test_round_trips_results_and_gate(self, results: tuple[ScanResult, ...]) -> None:
        findings = [f for r in results for f in r.findings]
        verdict = evaluate(findings, Severity.CRITICAL, IGNORES, TODAY)
        document = json.loads(render_json(results, verdict))
        first = document["results"][0]
        assert first["image"] == SECRET_IMAGE and first["ran"] is True
        assert first["counts"]["CRITICAL"] == 1
        assert first["findings"][0]["severity"] == "CRITICAL"
        assert document["results"][4] | {"findings": []} == {
            "image": "postgres:17",
            "scanner": "trivy",
            "scanner_version": "",
            "kinds": [],
            "ran": False,
            "reason": "no vulnerability database",
            "counts": None,
            "findings": [],
        }
        gate = document["gate"]
        assert gate["fail_on"] == "CRITICAL" and gate["passed"] is False
        assert gate["ignored"][0]["entry"]["expires"] == "2026-12-31"
        assert [e["id"] for e in gate["expired"]] == ["DS-0026"]


class TestMarkdown:
    """Markdown has a summary table and one findings table per image."""

    def test_summary_and_findings_tables(self, results: tuple[ScanResult, ...]) -> None:
        text = render_markdown(results)
        assert f"| `{SECRET_IMAGE}` | trivy 0.76.0 | 1 | 1 | 0 | 0 | 0 |" in text
        assert "| `postgres:17` | trivy | **not scanned**: no vulnerability database |" in text
        assert (
            "| CRITICAL | [CVE-2019-18224](https://avd.aquasec.com/nvd/cve-2019-18224) | "
            "libidn2-0 | 2.0.5-1 | 2.0.5-1+deb10u1 |"
        ) in text

    def test_pipes_in_cells_are_escaped(self) -> None:
        result = ScanResult(
            image="a|b",
            scanner="trivy",
            findings=(
                parse_report(
                    (FIXTURES / "trivy-0.76.0-config-dockerfile.json").read_text(),
                    image="x|y",
                    kinds=("misconfig",),
                ).findings[0],
            ),
        )
        assert "`a\\|b`" in render_markdown((result,))


def sarif(results: tuple[ScanResult, ...]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(results))
    return document


class TestSarif:
    """SARIF 2.1.0 as GitHub code scanning accepts it."""

    def test_top_level_structure(self, results: tuple[ScanResult, ...]) -> None:
        document = sarif(results)
        assert document["version"] == "2.1.0"
        assert document["$schema"].endswith("sarif-2.1.0.json")
        (run,) = document["runs"]
        assert run["tool"]["driver"]["name"] == "dockwright"

    def test_every_result_points_at_its_rule(self, results: tuple[ScanResult, ...]) -> None:
        (run,) = sarif(results)["runs"]
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids))
        assert len(run["results"]) == sum(len(r.findings) for r in results)
        for result in run["results"]:
            assert ids[result["ruleIndex"]] == result["ruleId"]
            assert result["level"] in {"error", "warning", "note"}
            assert result["message"]["text"]
            (location,) = result["locations"]
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert uri and ":" not in uri and not uri.startswith("/")
            region = location["physicalLocation"].get("region")
            assert region is None or region["startLine"] >= 1
        fingerprints = [r["partialFingerprints"]["dockwright/v1"] for r in run["results"]]
        assert len(fingerprints) == len(set(fingerprints))

    @pytest.mark.parametrize(
        ("rule_id", "level", "security_severity", "uri", "line"),
        [
            ("CVE-2019-18224", "error", "9.5", "debian", None),
            ("CVE-2019-18276", "note", "2.0", "debian", None),
            ("private-key", "error", "8.0", "app/key.pem", 2),
            ("DS-0001", "warning", "5.5", DOCKERFILE, 2),
            ("DS-0026", "note", "2.0", DOCKERFILE, None),
        ],
        ids=["critical-vuln", "low-vuln", "secret", "misconfig-with-line", "misconfig-no-line"],
    )
    def test_levels_severities_and_locations(
        self,
        results: tuple[ScanResult, ...],
        rule_id: str,
        level: str,
        security_severity: str,
        uri: str,
        line: int | None,
    ) -> None:
        (run,) = sarif(results)["runs"]
        rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == rule_id)
        assert rule["properties"]["security-severity"] == security_severity
        assert rule["defaultConfiguration"]["level"] == level
        result = next(r for r in run["results"] if r["ruleId"] == rule_id)
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == uri
        assert physical.get("region", {}).get("startLine") == line

    def test_image_uri_drops_registry_host_and_tag(self) -> None:
        result = load(
            "trivy-golden-debian-buster.json.golden", "localhost:5000/team/app:1.2", "vulnerability"
        )
        (run,) = sarif((result,))["runs"]
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
        }
        assert uris == {"team/app"}

    def test_unscanned_images_make_the_invocation_unsuccessful(
        self, results: tuple[ScanResult, ...]
    ) -> None:
        (invocation,) = sarif(results)["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False
        (note,) = invocation["toolExecutionNotifications"]
        assert note["message"]["text"] == "postgres:17: not scanned: no vulnerability database"

    def test_clean_scans_give_an_empty_but_valid_run(self, results: tuple[ScanResult, ...]) -> None:
        (run,) = sarif(results[3:4])["runs"]
        assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
        assert run["invocations"][0]["executionSuccessful"] is True
