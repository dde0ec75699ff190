"""The scan workflow without an engine: the exact command lines a plan runs, the
settings it accepts, and what an optional vulnerability database changes."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from dockwright.config import load_project
from dockwright.errors import ConfigError, VulnerabilityDatabaseError
from dockwright.flows import scan as flow
from dockwright.scan.model import ScanResult, Severity
from dockwright.scan.runner import ScannerSettings


def plan(**changes: Any) -> flow.ScanPlan:
    base: dict[str, Any] = {
        "settings": ScannerSettings(scanner="trivy", trivy="/opt/trivy", cache_dir="/c"),
        "images": ("acme/api:sha-0123456", "acme/web:sha-0123456"),
        "kinds": ("vulnerability", "secret"),
        "dockerfiles": ("api/Dockerfile",),
        "fail_on": Severity.CRITICAL,
        "ignore_file": Path(".dockwright/scan-ignore.toml"),
    }
    return flow.ScanPlan(**{**base, **changes})


class TestCommands:
    def test_one_trivy_run_per_image_then_one_per_dockerfile(self) -> None:
        lines = [shlex.split(line) for line in flow.commands(plan())]
        assert [argv[:2] for argv in lines] == [
            ["/opt/trivy", "image"],
            ["/opt/trivy", "image"],
            ["/opt/trivy", "config"],
        ]
        assert lines[0][-1] == "acme/api:sha-0123456" and lines[1][-1] == "acme/web:sha-0123456"
        assert "vuln,secret" in lines[0]
        assert lines[2][-1] == "api/Dockerfile"
        assert all("--cache-dir" in argv and "/c" in argv for argv in lines)

    def test_scout_takes_the_vulnerabilities_trivy_keeps_the_secrets(self) -> None:
        settings = ScannerSettings(scanner="scout", trivy="/opt/trivy")
        lines = flow.commands(plan(settings=settings, images=("a:1",), dockerfiles=()))
        assert [line.split()[:2] for line in lines] == [
            ["docker", "scout"],
            ["/opt/trivy", "image"],
        ]
        assert "secret" in lines[1] and "vuln" not in lines[1]


class TestSettings:
    def project(self, tmp_path: Path, scan: str = "") -> Any:
        (tmp_path / "pyproject.toml").write_text(f'[tool.dockwright]\nproject = "p"\n{scan}')
        return load_project(tmp_path)

    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            ("scaner = 'trivy'", "scan: unknown key 'scaner'; known keys: cache_dir, docker,"),
            ("scanner = 'grype'", "scan.scanner: 'grype'; use one of auto, scout, trivy"),
            ("fail_on = 'severe'", "scan.fail_on: 'severe'; use one of critical, high,"),
            ("release_kinds = ['cves']", "scan.release_kinds: 'cves'; use any of vulnerability,"),
            ("timeout = 0", "scan.timeout: 0; a number of seconds above 0"),
            ("offline = 'yes'", "scan.offline: expected bool, got 'yes'"),
        ],
    )
    def test_bad_settings_fail_when_they_load(
        self, tmp_path: Path, lines: str, message: str
    ) -> None:
        with pytest.raises(ConfigError) as err:
            self.project(tmp_path, f"[tool.dockwright.scan]\n{lines}\n")
        assert message in str(err.value)

    def test_paths_are_the_repositorys(self, tmp_path: Path) -> None:
        project = self.project(tmp_path, "[tool.dockwright.scan]\ncache_dir = 'build/trivy'\n")
        raw = flow.scan_settings(project, scanner="", fail_on="")
        assert raw["cache_dir"] == str(tmp_path / "build" / "trivy")
        assert raw["ignore_file"] == str(tmp_path / ".dockwright" / "scan-ignore.toml")
        assert raw["trivy"] is None and raw["fail_on"] == "critical"

    def test_the_variable_wins_over_the_setting(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        project = self.project(tmp_path, "[tool.dockwright.scan]\nvulnerabilities = 'required'\n")
        monkeypatch.setenv("DOCKWRIGHT_SCAN_VULNERABILITIES", "optional")
        assert flow.scan_settings(project, scanner="", fail_on="")["vulnerabilities"] == "optional"
        monkeypatch.setenv("DOCKWRIGHT_SCAN_VULNERABILITIES", "sometimes")
        with pytest.raises(ConfigError, match="DOCKWRIGHT_SCAN_VULNERABILITIES: 'sometimes'"):
            flow.scan_settings(project, scanner="", fail_on="")


class TestOptionalDatabase:
    """Without a database, `optional` scans the other kinds and leaves a not-run result."""

    def fake_scan(self, calls: list[tuple[str, ...]]) -> Any:
        def scan_image(image: str, settings: ScannerSettings, *, kinds: Any) -> tuple[Any, ...]:
            calls.append(tuple(kinds))
            if "vulnerability" in kinds:
                raise VulnerabilityDatabaseError("no vulnerability database")
            return (ScanResult(image=image, scanner="trivy", kinds=tuple(kinds)),)

        return scan_image

    def test_required_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[tuple[str, ...]] = []
        monkeypatch.setattr(flow.lib, "scan_image", self.fake_scan(calls))
        with pytest.raises(VulnerabilityDatabaseError):
            flow._scan_image(plan(), "a:1")

    def test_optional_scans_the_rest(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[tuple[str, ...]] = []
        monkeypatch.setattr(flow.lib, "scan_image", self.fake_scan(calls))
        results = flow._scan_image(plan(vulnerabilities_optional=True), "a:1")
        assert calls == [("vulnerability", "secret"), ("secret",)]
        assert [(r.ran, r.kinds) for r in results] == [(False, ()), (True, ("secret",))]
        assert flow.not_run_warnings(results) == [
            f"warning: no vulnerability database ({flow.OPTIONAL_NOTE})"
        ]
