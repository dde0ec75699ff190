"""The smoke's pure parts: its plan of steps, which services restart, the run's .env,
and where the browser comes from (or why the journey is skipped)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from dockwright.config import Project, parse_settings
from dockwright.smoke import browser
from dockwright.smoke.runner import _volume_services, fresh_env, plan_steps
from dockwright.smoke.settings import BrowserSettings, BrowserStep, HttpCheck, SmokeSettings

JOURNEY = BrowserSettings(service="web", steps=(BrowserStep(action="goto", url="/"),))


class TestPlanSteps:
    """--dry-run lists the steps a run takes: optional ones only when configured."""

    @pytest.mark.parametrize(
        ("settings", "env", "keep", "expected"),
        [
            pytest.param(
                SmokeSettings(),
                "prod",
                False,
                ["env", "build", "up", "health", "restart", "prod hardening", "down"],
                id="defaults-prod",
            ),
            pytest.param(
                SmokeSettings(restart=False, hardening=False),
                "prod",
                True,
                ["env", "build", "up", "health", "kept up"],
                id="minimal-keep",
            ),
            pytest.param(
                SmokeSettings(http=(HttpCheck(service="web"),), browser=JOURNEY),
                "dev",
                False,
                ["env", "build", "up", "health", "http", "browser", "restart", "down"],
                id="dev-everything",
            ),
        ],
    )
    def test_steps(
        self, settings: SmokeSettings, env: str, keep: bool, expected: list[str]
    ) -> None:
        steps = plan_steps(settings, env, keep=keep)
        assert [s.startswith(e) for s, e in zip(steps, expected, strict=True)] == [True] * len(
            expected
        )


class TestVolumeServices:
    """Services restart when they mount a named volume; bind mounts alone do not count."""

    @pytest.mark.parametrize(
        ("services", "expected"),
        [
            pytest.param({}, [], id="none"),
            pytest.param(
                {
                    "db": {"volumes": [{"type": "volume", "source": "data", "target": "/d"}]},
                    "web": {"volumes": [{"type": "bind", "source": "/src", "target": "/app"}]},
                    "api": {
                        "volumes": [
                            {"type": "bind", "source": "/s", "target": "/a"},
                            {"type": "volume", "source": "x", "target": "/data"},
                        ]
                    },
                    "cache": {},
                },
                ["db", "api"],
                id="mixed",
            ),
        ],
    )
    def test_services(self, services: dict[str, Any], expected: list[str]) -> None:
        assert _volume_services({"services": services}) == expected


EXAMPLE = """\
# @rule required, secret, type=str, min=32
SECRET=change-me-to-at-least-32-random-characters
# @rule optional, type=port, default=8000
WEB_PORT=8000
# @rule optional, type=enum(development|production), default=production
MODE=development
# @rule optional, type=semver, default=0.1.0
APP_VERSION=0.1.0
"""


class TestFreshEnv:
    """A new .env: fresh secrets, a free port per port variable, the configured values."""

    def test_written_and_valid(self, tmp_path: Path) -> None:
        (tmp_path / ".env.example").write_text(EXAMPLE)
        (tmp_path / "VERSION").write_text("1.4.2\n")
        settings = parse_settings(
            {"smoke": {"variables": {"prod": {"MODE": "production", "APP_VERSION": "${VERSION}"}}}}
        )
        project = Project(root=tmp_path, source=None, settings=settings)
        (tmp_path / "run").mkdir()
        values = fresh_env(project, tmp_path / "run" / ".env", "prod", settings.smoke)
        assert values["MODE"] == "production"
        assert values["APP_VERSION"] == "1.4.2"
        assert values["WEB_PORT"] != "8000" and 0 < int(values["WEB_PORT"]) < 65536
        assert values["SECRET"] != "change-me-to-at-least-32-random-characters"
        assert stat.S_IMODE((tmp_path / "run" / ".env").stat().st_mode) == 0o600


class TestFindChromium:
    """The browser: setting, then $DOCKWRIGHT_CHROMIUM, then PATH, then playwright's own;
    otherwise a skip reason naming what is missing."""

    @pytest.fixture
    def fake_chromium(self, tmp_path: Path) -> Path:
        exe = tmp_path / "chrome"
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
        return exe

    def test_no_playwright(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(browser.importlib.util, "find_spec", lambda _name: None)
        assert (
            browser.find_chromium("", {}) == "playwright is not installed (pip install playwright)"
        )

    def test_setting_wins(self, fake_chromium: Path) -> None:
        found = browser.find_chromium(str(fake_chromium), {"DOCKWRIGHT_CHROMIUM": "/nope"})
        assert isinstance(found, browser.Chromium)
        assert found.executable == str(fake_chromium)

    def test_environment_variable(self, fake_chromium: Path) -> None:
        found = browser.find_chromium("", {"DOCKWRIGHT_CHROMIUM": str(fake_chromium)})
        assert isinstance(found, browser.Chromium)
        assert found.source.endswith("from DOCKWRIGHT_CHROMIUM")

    def test_named_binary_missing(self) -> None:
        assert browser.find_chromium("", {"DOCKWRIGHT_CHROMIUM": "/no/chromium"}) == (
            "no chromium binary at /no/chromium (from DOCKWRIGHT_CHROMIUM)"
        )

    def test_nothing_anywhere(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(browser.shutil, "which", lambda _name: None)
        monkeypatch.setattr(browser, "_playwright_browser", lambda: None)
        reason = browser.find_chromium("", {})
        assert isinstance(reason, str) and reason.startswith("no chromium binary (chromium on PATH")


class TestPlaywrightPin:
    """The smoke session, the dev extra and CI's Chromium script use one playwright."""

    def test_session_pin_is_the_dev_extra_pin(self) -> None:
        import tomllib

        from dockwright import sessions
        from tests.conftest import ROOT

        dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        assert sessions.PLAYWRIGHT in dev["optional-dependencies"]["dev"]
