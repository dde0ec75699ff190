"""`[tool.dockwright.smoke]`: what the smoke checks beyond what compose already says.

Frozen dataclasses read by `dockwright.config` (unknown keys refused there); each
class's `check(where)` refuses values the types alone allow, naming the key.
Values of the form `${NAME}` in URLs, texts and bodies come from the run's .env,
plus `RUN_ID` (unique per run), `ENV` (dev or prod) and `VERSION`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockwright.errors import ConfigError

HEALTH_SHAPES = ("seed", "json-status", "http-200")
"""seed: the shape our users wrote down (status "healthy", ISO 8601 timestamp,
version == VERSION, integer uptime >= 0, nothing else); json-status: a JSON
object whose status is "healthy" or "ok"; http-200: any HTTP 200."""

ACTIONS = ("goto", "fill", "click", "wait_for", "screenshot")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _positive(value: float, where: str) -> None:
    if value <= 0:
        raise ConfigError(f"{where}: must be more than 0 seconds, got {value!r}")


def _one_of(value: str, choices: tuple[str, ...], where: str) -> None:
    if value not in choices:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True, kw_only=True)
class HttpCheck:
    """One request to a published service; its status, and optionally a text in the body."""

    service: str = ""
    path: str = "/"
    method: str = "GET"
    body: str = ""
    status: int = 200
    contains: str = ""
    within: float = 5.0

    def check(self, where: str) -> None:
        if not self.service:
            raise ConfigError(f"{where}.service: required (the compose service to call)")
        if not self.path.startswith("/"):
            raise ConfigError(f"{where}.path: must start with '/', got {self.path!r}")
        _one_of(self.method, METHODS, f"{where}.method")
        if not 100 <= self.status <= 599:
            raise ConfigError(f"{where}.status: not an HTTP status: {self.status}")
        _positive(self.within, f"{where}.within")


@dataclass(frozen=True, kw_only=True)
class BrowserStep:
    """One declarative browser action (see ACTIONS)."""

    action: str = ""
    url: str = ""
    selector: str = ""
    text: str = ""
    path: str = ""

    def check(self, where: str) -> None:
        _one_of(self.action, ACTIONS, f"{where}.action")
        needs = {
            "goto": ("url",),
            "fill": ("selector", "text"),
            "click": ("selector",),
            "screenshot": ("path",),
        }.get(self.action, ())
        for name in needs:
            if not getattr(self, name):
                raise ConfigError(f"{where}.{name}: required for action {self.action!r}")
        if self.action == "wait_for" and not (self.selector or self.text):
            raise ConfigError(f"{where}: wait_for needs a selector, a text, or both")
        if self.path and ("/" in self.path or self.path.startswith(".")):
            raise ConfigError(f"{where}.path: a file name in the artifacts folder, not a path")


@dataclass(frozen=True, kw_only=True)
class BrowserSettings:
    """A journey in a real Chromium against one published service."""

    service: str = ""
    chromium: str = ""
    timeout: float = 10.0
    steps: tuple[BrowserStep, ...] = ()
    after_restart: tuple[BrowserStep, ...] = ()

    def check(self, where: str) -> None:
        if (self.steps or self.after_restart) and not self.service:
            raise ConfigError(f"{where}.service: required with steps (the page's service)")
        _positive(self.timeout, f"{where}.timeout")


@dataclass(frozen=True, kw_only=True)
class SmokeSettings:
    """The whole `[tool.dockwright.smoke]` table, with defaults."""

    health_shape: str = "seed"
    health_within: float = 1.0
    restart: bool = True
    hardening: bool = True
    artifacts: str = "artifacts/smoke"
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    http: tuple[HttpCheck, ...] = ()
    browser: BrowserSettings = field(default_factory=BrowserSettings)

    def check(self, where: str) -> None:
        _one_of(self.health_shape, HEALTH_SHAPES, f"{where}.health_shape")
        _positive(self.health_within, f"{where}.health_within")
        for env in self.variables:
            _one_of(env, ("dev", "prod"), f"{where}.variables.{env}")


def expand(text: str, values: dict[str, str], where: str = "") -> str:
    """`${NAME}` replaced from `values`; an unknown name is a ConfigError naming it."""

    def one(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            raise ConfigError(
                f"{where or repr(text)}: ${{{name}}} is neither in the run's .env nor one of "
                "RUN_ID, ENV, VERSION"
            )
        return values[name]

    return _VARIABLE.sub(one, text)
