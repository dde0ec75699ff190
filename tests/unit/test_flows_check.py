"""Unit tests for dockwright.flows.check: which target and image `check` inspects, and the
one line it says when that image is not in the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockwright.build.record import read_report
from dockwright.errors import ConfigError, PolicyError
from dockwright.flows.check import (
    PolicyOutcome,
    build_command,
    built_image,
    missing_message,
    wanted_target,
)
from dockwright.policy import Verdict
from dockwright.policy.compose import Finding


def report(target: str, *services: tuple[str, bool]) -> dict[str, Any]:
    """A build/report.json as `build` writes it (only the keys `check` reads)."""
    return {
        "target": target,
        "services": [
            {"service": name, "ok": ok, "image": f"shop/{name}:{target}-sha-0123456"}
            for name, ok in services
        ],
    }


class TestWantedTarget:
    """`--target` wins; without it, the last build's target; with no build, prod."""

    @pytest.mark.parametrize(
        ("requested", "last", "expected"),
        [
            pytest.param("", {}, "prod", id="nothing-built"),
            pytest.param("", report("dev"), "dev", id="last-build-was-dev"),
            pytest.param("", report("prod"), "prod", id="last-build-was-prod"),
            pytest.param("prod", report("dev"), "prod", id="explicit-prod-after-dev"),
            pytest.param("dev", report("prod"), "dev", id="explicit-dev-after-prod"),
            pytest.param("dev", {}, "dev", id="explicit-dev-nothing-built"),
        ],
    )
    def test_target(self, requested: str, last: dict[str, Any], expected: str) -> None:
        assert wanted_target(requested, last) == expected

    def test_unknown_target(self) -> None:
        with pytest.raises(ConfigError) as info:
            wanted_target("staging", {})
        assert str(info.value) == "unknown target 'staging'; use one of: prod, dev"


class TestBuiltImage:
    """The report's image counts only for its own target and a service that built."""

    @pytest.mark.parametrize(
        ("last", "service", "target", "expected"),
        [
            pytest.param(
                report("dev", ("web", True)), "web", "dev", "shop/web:dev-sha-0123456", id="same"
            ),
            pytest.param(report("dev", ("web", True)), "web", "prod", None, id="other-target"),
            pytest.param(report("dev", ("web", False)), "web", "dev", None, id="failed-build"),
            pytest.param(report("dev", ("web", True)), "api", "dev", None, id="not-built"),
            pytest.param({}, "web", "prod", None, id="no-report"),
        ],
    )
    def test_image(
        self, last: dict[str, Any], service: str, target: str, expected: str | None
    ) -> None:
        assert built_image(last, service, target) == expected


class TestMissingMessage:
    """One line: the image(s), and the exact build command that makes them."""

    @pytest.mark.parametrize(
        ("target", "services", "command"),
        [
            pytest.param("prod", ["web"], "invoke build -s web", id="prod-one"),
            pytest.param("dev", ["web"], "invoke build --target dev -s web", id="dev-one"),
            pytest.param("prod", ["web", "api"], "invoke build -s web,api", id="prod-two"),
        ],
    )
    def test_build_command(self, target: str, services: list[str], command: str) -> None:
        assert build_command(target, services) == command

    def test_one_image(self) -> None:
        assert missing_message({"web": "shop/web:sha-0123456"}, "prod") == (
            "prod image shop/web:sha-0123456 not in the engine; build it with `invoke build -s web`"
        )

    def test_two_images(self) -> None:
        missing = {"web": "shop/web:dev-sha-0123456", "api": "shop/api:dev-sha-0123456"}
        assert missing_message(missing, "dev") == (
            "dev images shop/web:dev-sha-0123456, shop/api:dev-sha-0123456 not in the engine; "
            "build them with `invoke build --target dev -s web,api`"
        )


class TestLastBuild:
    """No report is no build; an unreadable one is a ConfigError, not a traceback."""

    def test_no_report(self, tmp_path: Path) -> None:
        assert read_report(tmp_path) == {}

    def test_reads_report(self, tmp_path: Path) -> None:
        (tmp_path / "build").mkdir()
        (tmp_path / "build" / "report.json").write_text('{"target": "dev", "services": []}\n')
        assert read_report(tmp_path) == {"target": "dev", "services": []}

    @pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
    def test_unreadable_report(self, tmp_path: Path, text: str) -> None:
        (tmp_path / "build").mkdir()
        (tmp_path / "build" / "report.json").write_text(text)
        with pytest.raises(ConfigError, match=r"is not a build report dockwright can read; run "):
            read_report(tmp_path)


class TestPolicyOutcome:
    """The gate's decision and its JSON, without an engine."""

    def verdict(self, rule: str, passed: bool, waived: str = "") -> Verdict:
        return Verdict(rule=rule, passed=passed, measured=f"{rule}-m", expected="e", waived=waived)

    def finding(self, rule: str, waived: str = "") -> Finding:
        return Finding(
            rule=rule,
            service="db",
            file="compose.yaml",
            line=7,
            message="m",
            fix="f",
            waived=waived,
        )

    def test_passes_with_waived_failures_only(self) -> None:
        outcome = PolicyOutcome(
            findings=[self.finding("ports", waived="lab only")],
            results={"api": [self.verdict("size", True), self.verdict("user", False, "legacy")]},
        )
        outcome.raise_if_failing()

    def test_names_every_blocking_finding_and_verdict(self) -> None:
        outcome = PolicyOutcome(
            findings=[self.finding("ports")],
            results={"api": [self.verdict("size", False), self.verdict("user", True)]},
        )
        with pytest.raises(PolicyError) as err:
            outcome.raise_if_failing()
        assert str(err.value) == "policy failed: db: ports (compose.yaml:7); api: size (size-m)"

    def test_json_keeps_compose_findings_apart_from_services(self) -> None:
        outcome = PolicyOutcome(
            findings=[self.finding("ports")], results={"api": [self.verdict("size", True)]}
        )
        data = json.loads(outcome.as_json())
        assert sorted(data) == ["@compose", "api"]
        assert data["api"][0]["status"] == "PASS" and data["api"][0]["rule"] == "size"
        assert data["@compose"][0]["rule"] == "ports"
