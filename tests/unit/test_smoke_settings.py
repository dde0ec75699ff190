"""`[tool.dockwright.smoke]` parsed into frozen dataclasses; every bad value named by its key."""

from __future__ import annotations

from typing import Any

import pytest

from dockwright.config import parse_settings
from dockwright.errors import ConfigError
from dockwright.smoke.settings import (
    BrowserSettings,
    BrowserStep,
    HttpCheck,
    SmokeSettings,
    expand,
)
from tests.conftest import ROOT

WHERE = "[tool.dockwright].smoke"


def smoke(table: dict[str, Any]) -> SmokeSettings:
    return parse_settings({"smoke": table}).smoke


class TestSmokeSettingsParse:
    """Valid tables become the dataclasses, with defaults for what is left out."""

    def test_empty_table_is_all_defaults(self) -> None:
        assert smoke({}) == SmokeSettings()
        assert parse_settings({}).smoke == SmokeSettings()

    def test_full_table(self) -> None:
        parsed = smoke(
            {
                "health_shape": "http-200",
                "health_within": 2,
                "restart": False,
                "variables": {"prod": {"A": "${VERSION}"}},
                "http": [{"service": "web", "path": "/x", "status": 401, "contains": "no"}],
                "browser": {
                    "service": "web",
                    "steps": [
                        {"action": "goto", "url": "/"},
                        {"action": "wait_for", "text": "hello"},
                        {"action": "screenshot", "path": "a.png"},
                    ],
                },
            }
        )
        assert parsed.health_within == 2.0 and isinstance(parsed.health_within, float)
        assert parsed.http == (HttpCheck(service="web", path="/x", status=401, contains="no"),)
        assert parsed.browser == BrowserSettings(
            service="web",
            steps=(
                BrowserStep(action="goto", url="/"),
                BrowserStep(action="wait_for", text="hello"),
                BrowserStep(action="screenshot", path="a.png"),
            ),
        )
        assert parsed.variables == {"prod": {"A": "${VERSION}"}}

    def test_this_repository_journey_parses(self) -> None:
        from dockwright.config import load_project

        settings = load_project(ROOT).settings.smoke
        assert settings.browser.service == "frontend"
        assert [s.action for s in settings.browser.steps][-2:] == ["wait_for", "screenshot"]


class TestSmokeSettingsErrors:
    """A bad value is one ConfigError naming the key path."""

    @pytest.mark.parametrize(
        ("table", "message"),
        [
            pytest.param({"healthshape": "seed"}, f"{WHERE}: unknown key 'healthshape'", id="typo"),
            pytest.param(
                {"health_shape": "strict"},
                f"{WHERE}.health_shape: 'strict' is not one of seed, json-status, http-200",
                id="shape",
            ),
            pytest.param(
                {"health_within": 0}, f"{WHERE}.health_within: must be more than 0", id="within"
            ),
            pytest.param(
                {"health_within": "1s"}, f"{WHERE}.health_within: expected float", id="type"
            ),
            pytest.param({"restart": 1}, f"{WHERE}.restart: expected bool", id="bool"),
            pytest.param(
                {"variables": {"staging": {}}},
                f"{WHERE}.variables.staging: 'staging' is not one of dev, prod",
                id="variables-env",
            ),
            pytest.param(
                {"http": {"service": "web"}}, f"{WHERE}.http: expected a list of tables", id="http"
            ),
            pytest.param(
                {"http": [{"path": "/"}]}, f"{WHERE}.http[0].service: required", id="http-service"
            ),
            pytest.param(
                {"http": [{"service": "a"}, {"service": "b", "path": "x"}]},
                f"{WHERE}.http[1].path: must start with '/'",
                id="http-path",
            ),
            pytest.param(
                {"http": [{"service": "a", "status": True}]},
                f"{WHERE}.http[0].status: expected int, got True",
                id="http-bool-status",
            ),
            pytest.param(
                {"http": [{"service": "a", "method": "get"}]},
                f"{WHERE}.http[0].method: 'get' is not one of GET",
                id="http-method",
            ),
            pytest.param(
                {"http": [{"service": "a", "status": 700}]},
                f"{WHERE}.http[0].status: not an HTTP status: 700",
                id="http-status",
            ),
            pytest.param(
                {"browser": {"steps": [{"action": "goto", "url": "/"}]}},
                f"{WHERE}.browser.service: required with steps",
                id="browser-service",
            ),
            pytest.param(
                {"browser": {"service": "w", "steps": [{"action": "clik", "selector": "#a"}]}},
                f"{WHERE}.browser.steps[0].action: 'clik' is not one of goto, fill, click",
                id="action",
            ),
            pytest.param(
                {"browser": {"service": "w", "steps": [{"action": "fill", "selector": "#a"}]}},
                f"{WHERE}.browser.steps[0].text: required for action 'fill'",
                id="fill-text",
            ),
            pytest.param(
                {"browser": {"service": "w", "steps": [{"action": "wait_for"}]}},
                f"{WHERE}.browser.steps[0]: wait_for needs a selector, a text, or both",
                id="wait-for",
            ),
            pytest.param(
                {"browser": {"service": "w", "after_restart": [{"action": "goto", "uri": "/"}]}},
                f"{WHERE}.browser.after_restart[0]: unknown key 'uri'",
                id="step-typo",
            ),
            pytest.param(
                {"browser": {"service": "w", "steps": [{"action": "screenshot", "path": "../x"}]}},
                f"{WHERE}.browser.steps[0].path: a file name in the artifacts folder",
                id="screenshot-path",
            ),
        ],
    )
    def test_bad_value_named(self, table: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            smoke(table)
        assert str(caught.value).startswith(message)


class TestExpand:
    """`${NAME}` comes from the run's values; an unknown name is an error naming it."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("plain $HOME", "plain $HOME", id="bare-dollar-kept"),
            pytest.param("${A}-${B}", "1-2", id="two"),
            pytest.param("todo ${RUN_ID}", "todo abc", id="run-id"),
        ],
    )
    def test_expanded(self, text: str, expected: str) -> None:
        assert expand(text, {"A": "1", "B": "2", "RUN_ID": "abc"}) == expected

    def test_unknown_variable(self) -> None:
        with pytest.raises(ConfigError, match=r"steps\[2\]\.text: \$\{NOPE\} is neither"):
            expand("${NOPE}", {}, "steps[2].text")
