"""`[tool.dockwright]` (pyproject.toml) or `dockwright.toml`: one validated schema.

Every key has a default, so an empty section works. Unknown keys are an error
naming the key, so a typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from dockwright.errors import ConfigError
from dockwright.registry.names import check_namespace, split_host
from dockwright.smoke.settings import SmokeSettings

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class RegistrySettings:
    """Where images are pushed. Credentials are read from the named env variables."""

    url: str = "localhost:5000"
    namespace: str = ""
    username_env: str = ""
    token_env: str = ""
    insecure: bool = False


@dataclass(frozen=True, kw_only=True)
class BuildSettings:
    platform: str = "linux/amd64"
    builder: str = ""
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    ca_bundle: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TagSettings:
    prefix: str = ""
    suffix: str = ""
    latest: bool = True


SCANNERS = ("auto", "scout", "trivy")
SCAN_KINDS = ("vulnerability", "secret", "misconfig")
VULNERABILITY_MODES = ("required", "optional")
SEVERITIES = ("critical", "high", "medium", "low", "none")


@dataclass(frozen=True, kw_only=True)
class ScanSettings:
    """`[tool.dockwright.scan]`: the scanner, where it is and how it runs, the gate."""

    scanner: str = "auto"
    trivy: str = ""
    docker: str = "docker"
    cache_dir: str = ""
    offline: bool = False
    timeout: float = 900.0
    fail_on: str = "critical"
    ignore_file: str = ""
    release_kinds: tuple[str, ...] = ("vulnerability", "secret")
    vulnerabilities: str = "required"

    def check(self, where: str) -> None:
        for key, value, allowed in (
            ("scanner", self.scanner, SCANNERS),
            ("fail_on", self.fail_on.lower(), SEVERITIES),
            ("vulnerabilities", self.vulnerabilities, VULNERABILITY_MODES),
        ):
            if value not in allowed:
                raise ConfigError(f"{where}.{key}: {value!r}; use one of {', '.join(allowed)}")
        if unknown := [k for k in self.release_kinds if k not in SCAN_KINDS]:
            raise ConfigError(
                f"{where}.release_kinds: {unknown[0]!r}; use any of {', '.join(SCAN_KINDS)}"
            )
        if self.timeout <= 0:
            raise ConfigError(f"{where}.timeout: {self.timeout:g}; a number of seconds above 0")


HEALTHCHECK_KEYS = ("interval", "timeout", "start_period", "retries")


def _seed_healthcheck() -> dict[str, float]:
    return {"interval": 30, "timeout": 10, "start_period": 40, "retries": 3}


@dataclass(frozen=True, kw_only=True)
class PolicySettings:
    """`[tool.dockwright.policy]`: what every service's image must meet unless its
    `x-dockwright` says otherwise (the defaults are the seeds' numbers)."""

    size_budget_mb: float = 500.0
    uid: int = 1001
    healthcheck: dict[str, float] = field(default_factory=_seed_healthcheck)
    ports: tuple[int, ...] = ()
    hadolint_threshold: str = "warning"
    base_freshness: str = "warn"
    waivers: dict[str, str] = field(default_factory=dict)

    def check(self, where: str) -> None:
        from dockwright.policy.rules import COMPOSE_RULES, FRESHNESS_MODES, HADOLINT_LEVELS, RULES

        if self.size_budget_mb <= 0:
            raise ConfigError(f"{where}.size_budget_mb: {self.size_budget_mb:g}; a size above 0")
        if self.uid < 0:
            raise ConfigError(f"{where}.uid: {self.uid}; a user id is 0 or more")
        if unknown := sorted(set(self.healthcheck) - set(HEALTHCHECK_KEYS)):
            raise ConfigError(
                f"{where}.healthcheck: unknown key {unknown[0]!r}; "
                f"use {', '.join(HEALTHCHECK_KEYS)}"
            )
        if self.hadolint_threshold not in HADOLINT_LEVELS:
            raise ConfigError(
                f"{where}.hadolint_threshold: {self.hadolint_threshold!r}; "
                f"use one of {', '.join(HADOLINT_LEVELS)}"
            )
        if self.base_freshness not in FRESHNESS_MODES:
            raise ConfigError(
                f"{where}.base_freshness: {self.base_freshness!r}; "
                f"use one of {', '.join(FRESHNESS_MODES)}"
            )
        for rule, reason in self.waivers.items():
            if rule not in RULES and rule not in COMPOSE_RULES:
                rules = ", ".join((*RULES, *COMPOSE_RULES))
                raise ConfigError(f"{where}.waivers: unknown rule {rule!r}; rules: {rules}")
            if len(reason.strip()) < 10:
                raise ConfigError(
                    f"{where}.waivers.{rule}: a waiver needs a written reason (10+ characters)"
                )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The whole `[tool.dockwright]` section, with defaults."""

    project: str = ""
    compose_files: tuple[str, ...] = ()
    dev_files: tuple[str, ...] = ()
    prod_files: tuple[str, ...] = ()
    targets: dict[str, str] = field(default_factory=dict)
    env_file: str = ".env"
    env_example: str = ".env.example"
    version_file: str = "VERSION"
    changelog: str = "CHANGELOG.md"
    registry: str = "local"
    release_branch: str = "main"
    build: BuildSettings = field(default_factory=BuildSettings)
    tags: TagSettings = field(default_factory=TagSettings)
    registries: dict[str, RegistrySettings] = field(default_factory=dict)
    policy: PolicySettings = field(default_factory=PolicySettings)
    scan: ScanSettings = field(default_factory=ScanSettings)
    smoke: SmokeSettings = field(default_factory=SmokeSettings)


BUILTIN_REGISTRIES = {
    "local": RegistrySettings(url="localhost:5000", insecure=True),
    "dockerhub": RegistrySettings(
        url="docker.io", username_env="DOCKERHUB_USERNAME", token_env="DOCKERHUB_TOKEN"
    ),
}


@dataclass(frozen=True, kw_only=True)
class Project:
    """A repository dockwright works on: its root, where settings came from, and them."""

    root: Path
    source: Path | None
    settings: Settings

    @property
    def name(self) -> str:
        return self.settings.project or self.root.name.lower().replace("_", "-")

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    def registry(self, name: str | None = None) -> tuple[str, RegistrySettings]:
        chosen = name or self.settings.registry
        known = {**BUILTIN_REGISTRIES, **self.settings.registries}
        if chosen not in known:
            raise ConfigError(
                f"registry {chosen!r} is not configured; known: {', '.join(sorted(known))} "
                "(add [tool.dockwright.registries." + chosen + "])"
            )
        settings = known[chosen]
        where = f"[tool.dockwright.registries.{chosen}]"
        split_host(settings.url, f"{where} url")
        check_namespace(settings.namespace, f"{where} namespace")
        return chosen, settings


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {type(value).__name__}")
        return _build(tp, value, where)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        if dataclasses.is_dataclass(item) and isinstance(item, type):  # a list of tables
            if not isinstance(value, list):
                raise ConfigError(f"{where}: expected a list of tables")
            return tuple(_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
        if item is int:  # ports
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise ConfigError(f"{where}: expected a list of whole numbers")
            return tuple(value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings")
        return tuple(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table")
        _, value_type = typing.get_args(tp)
        return {k: _convert(value_type, v, f"{where}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # TOML `1` for a number of seconds
    if isinstance(tp, type) and (
        not isinstance(value, tp) or (isinstance(value, bool) and tp is not bool)
    ):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def _build(cls: type[T], data: dict[str, Any], where: str) -> T:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(names))}"
        )
    kwargs = {k: _convert(hints[k], v, f"{where}.{k}") for k, v in data.items()}
    built = cls(**kwargs)
    check = getattr(built, "check", None)
    if callable(check):  # what the types allow but the values do not (smoke settings)
        check(where)
    return built


def parse_settings(data: dict[str, Any], where: str = "[tool.dockwright]") -> Settings:
    """Validate a settings mapping (as read from TOML) into `Settings`."""
    return _build(Settings, data, where)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def load_project(start: Path | None = None) -> Project:
    """Find the repository root from `start` upwards and load its settings.

    The root is the nearest folder with a `dockwright.toml`, or a
    `pyproject.toml` holding `[tool.dockwright]`; failing both, the nearest
    folder with a compose file or `.git`, with default settings. When no
    compose_files are configured, they (and dev/prod files and targets not set)
    are discovered from the repository's conventional layout (`discover`).
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "dockwright.toml"
        if own.is_file():
            data = _read_toml(own)
            section = data.get("tool", {}).get("dockwright", data)
            settings = parse_settings(section, str(own))
            return Project(root=folder, source=own, settings=_discovered(folder, settings))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject)
            section = data.get("tool", {}).get("dockwright")
            if section is not None:
                settings = parse_settings(section, f"{pyproject} [tool.dockwright]")
                return Project(
                    root=folder, source=pyproject, settings=_discovered(folder, settings)
                )
    from dockwright.repo import discover  # only without settings: a build never pays for it

    for folder in (here, *here.parents):
        if folder.name == "compose" and not (folder / ".git").exists():
            continue  # conventionally the compose/ folder of the root above
        if (folder / ".git").exists() or any(
            (folder / sub / n).is_file() for sub in discover.FOLDERS for n in discover.COMPOSE_NAMES
        ):
            return Project(root=folder, source=None, settings=_discovered(folder, Settings()))
    return Project(root=here, source=None, settings=_discovered(here, Settings()))


def _discovered(root: Path, settings: Settings) -> Settings:
    """Explicit compose_files are kept as they are; otherwise the discovered layout."""
    if settings.compose_files:
        return settings
    from dockwright.repo import discover

    layout = discover.find_compose_files(root)
    if not layout.base:
        return settings
    targets = settings.targets
    if not targets:
        targets = discover.choose_targets(discover.discover_services(root, layout)).targets
    return dataclasses.replace(
        settings,
        compose_files=layout.base,
        dev_files=settings.dev_files or layout.dev,
        prod_files=settings.prod_files or layout.prod,
        targets=targets,
    )
