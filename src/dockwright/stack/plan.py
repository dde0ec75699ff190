"""Which env and image tag, what `up` runs (`UpPlan`), switching env, and the
compose config shown with its secrets masked."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dockwright.errors import ConfigError
from dockwright.masking import looks_secret, mask, mask_url_passwords
from dockwright.repo.compose import ENVIRONMENTS, split_image
from dockwright.stack.state import ContainerState

ENV_VARIABLE = "DOCKWRIGHT_ENV"
# The failing service's log lines `up` shows.
LOG_TAIL = 50


def default_env(environ: Mapping[str, str], explicit: str = "") -> str:
    """`--env`, else $DOCKWRIGHT_ENV, else dev; anything else is a ConfigError."""
    env = explicit or environ.get(ENV_VARIABLE, "") or "dev"
    if env not in ENVIRONMENTS:
        source = "--env" if explicit else f"${ENV_VARIABLE}"
        raise ConfigError(f"{source} is {env!r}; use one of: {', '.join(ENVIRONMENTS)}")
    return env


def other_env(env: str) -> str:
    return "prod" if env == "dev" else "dev"


def prod_version(explicit: str, report: Mapping[str, Any] | None, version: str) -> tuple[str, str]:
    """The image tag prod runs, and where it came from.

    `--version`, else the tag of the latest prod build (build/report.json), else VERSION.
    """
    if explicit:
        return explicit.removeprefix("v") if explicit[1:2].isdigit() else explicit, "--version"
    if report and report.get("target") == "prod":
        for service in report.get("services") or ():
            tags = service.get("tags") or ()
            if service.get("ok") and tags:
                tag = split_image(str(tags[0]))[1]
                if tag:
                    return tag, "build/report.json"
    return version, "VERSION"


# -- switching and config ------------------------------------------------------------------


def stale(states: Iterable[ContainerState], files: Sequence[Path]) -> list[ContainerState]:
    """Containers of the project created from another set of compose files (the other env)."""
    wanted = tuple(str(f) for f in files)
    return [c for c in states if c.config_files and c.config_files != wanted]


def source_mounts(config: Mapping[str, Any], root: Path) -> list[tuple[str, str]]:
    """(service, host path) of bind mounts from inside the repository: prod has none."""
    found = []
    for name, svc in (config.get("services") or {}).items():
        for volume in svc.get("volumes") or ():
            if isinstance(volume, dict) and volume.get("type") == "bind":
                source = Path(str(volume.get("source", ""))).resolve()
                if source == root or root in source.parents:
                    found.append((name, str(source)))
    return found


def _mask_text(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, mask(secret))
    return mask_url_passwords(text)


def mask_config(config: Any, secrets: Iterable[str], *, _key: str = "") -> Any:
    """A copy of a compose config with every secret value, every URL password and
    every value of a *PASSWORD/*SECRET/*TOKEN/*KEY variable masked."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    if isinstance(config, dict):
        return {k: mask_config(v, ordered, _key=str(k)) for k, v in config.items()}
    if isinstance(config, list):
        return [mask_config(v, ordered, _key=_key) for v in config]
    if isinstance(config, str):
        if looks_secret(_key) and config:
            return mask(config)
        if "=" in config and looks_secret(config.split("=", 1)[0]):
            name, value = config.split("=", 1)
            return f"{name}={mask(value)}"
        return _mask_text(config, ordered)
    return config


def compose_argv(files: Sequence[Path], env_file: Path | None, project: str) -> list[str]:
    """`docker compose` and its global flags, as python-on-whales passes them."""
    cmd = ["docker", "compose"]
    for f in files:
        cmd += ["--file", str(f)]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    return [*cmd, "--project-name", project]


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpPlan:
    """What `up` does, in order; `--dry-run` prints `commands()`."""

    env: str
    project: str
    files: tuple[Path, ...]
    env_file: Path
    variables: Mapping[str, str] = field(default_factory=dict)
    version: str = ""
    version_source: str = ""
    switch_from: tuple[Path, ...] = ()
    build: bool = False
    pull: Literal["missing", "never"] = "missing"

    def _compose(self, files: Sequence[Path]) -> list[str]:
        return compose_argv(files, self.env_file, self.project)

    def up_args(self) -> list[str]:
        """Arguments after `docker compose ... ` for the up call itself."""
        return ["up", "--detach", "--remove-orphans", "--no-build", "--pull", self.pull]

    def commands(self) -> list[str]:
        assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.variables.items()))
        steps = []
        if self.switch_from:
            steps.append([*self._compose(self.switch_from), "down", "--remove-orphans"])
        if self.build:
            steps.append([*self._compose(self.files), "build", "--progress", "plain"])
        steps.append([*self._compose(self.files), *self.up_args()])
        return [f"{assign} {shlex.join(step)}".strip() for step in steps]
