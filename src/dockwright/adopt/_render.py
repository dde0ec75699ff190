"""The text of each file init writes: settings, .env.example, entry points, workflow."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dockwright.adopt._registry import toml_str as _toml_str
from dockwright.repo.discover import (
    ComposeLayout,
    RootBuild,
    ServiceInfo,
    TargetChoice,
    Variable,
    rule_type,
    substitute,
)

if TYPE_CHECKING:
    from dockwright.adopt._registry import RegistryGuess

TASKS_PY = '''"""Invoke entry point: dockwright's tasks (`invoke --list`)."""

from dockwright.tasks import ns

__all__ = ["ns"]
'''
# The block on top is inline script metadata (PEP 723): a nox that cannot import
# dockwright (`pipx run nox`, `uvx nox`) installs it into its own venv first (nox
# insists on finding itself in the list: it re-runs itself from that venv).
NOXFILE_PY = '''# /// script
# dependencies = ["{requirement}", "nox"]
# ///
"""Nox entry point: dockwright's sessions (`nox --list`).

No Python tooling here? `pipx run nox -s smoke` (or `uvx nox -s smoke`): nox reads
the block above and installs dockwright into an environment of its own first.
Until dockwright is on PyPI, write a wheel's path or URL there instead.
"""

from dockwright.sessions import *  # noqa: F403, RUF100
'''
WORKFLOW = ".github/workflows/dockwright.yml"
_BARE = re.compile(r"[A-Za-z0-9_./:@+%-]*")


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def describe_service(info: ServiceInfo) -> str:
    if info.problem:
        return f"{info.name} ({info.problem})"
    if info.context is None:
        return f"{info.name} (image {info.image or '?'})"
    names = [n or f"#{i}" for i, n in enumerate(info.stage_names, start=1)]
    stages = ("stages " if len(names) > 1 else "stage ") + ", ".join(names) if names else "no FROM"
    return f"{info.name} ({info.dockerfile}, {stages})"


def render_settings(
    *,
    project: str,
    layout: ComposeLayout,
    services: list[ServiceInfo],
    choice: TargetChoice,
    table: bool,
    registry: RegistryGuess | None = None,
) -> str:
    """The settings init writes: a `[tool.dockwright]` table, or dockwright.toml's top level."""
    lines = ["[tool.dockwright]"] if table else []
    lines += [
        "# Written by `dockwright init`; edit freely. Every key, with its default:",
        "# docs/configuration.md in dockwright's source. Services found:",
        *(f"#   {describe_service(s)}" for s in services),
        f"project = {_toml_str(project)}",
        f"compose_files = {_toml_list(layout.base)}",
    ]
    if layout.dev:
        lines.append(f"dev_files = {_toml_list(layout.dev)}")
    if layout.prod:
        lines.append(f"prod_files = {_toml_list(layout.prod)}")
    if choice.targets:
        pairs = ", ".join(f"{k} = {_toml_str(v)}" for k, v in sorted(choice.targets.items()))
        lines += ["# Our dev/prod targets -> this repository's stages.", f"targets = {{ {pairs} }}"]
    lines += [f"# note: {n}" for n in choice.notes]
    if registry is not None:
        lines += registry.settings_lines("tool.dockwright." if table else "")
    return "\n".join(lines) + "\n"


def _rule_block(var: Variable, filename: str) -> list[str]:
    """`# @rule ...` and `NAME=value` for one variable, degraded until envfile accepts it."""
    from dockwright.envfile import parse_rules  # envfile's own parser is the judge
    from dockwright.errors import ConfigError

    example = "" if var.secret or var.default is None else (substitute(var.default, {}) or "")
    if not _BARE.fullmatch(example):
        example = f"'{example}'" if "'" not in example and "\n" not in example else ""
    presence = "required" if var.required and not var.only_literal else "optional"
    kind = var.kind or rule_type(var, example.strip("'"))
    default = example if example and "," not in example and not var.secret else ""
    tries = [
        [
            presence,
            *(["secret"] if var.secret else []),
            *([f"type={kind}"] if kind else []),
            *([f"default={default}"] if default and not var.required else []),
        ],
        [presence, *(["secret"] if var.secret else [])],
    ]
    for items in tries:
        block = [f"# @rule {', '.join(items)}", f"{var.name}={example}"]
        try:
            parse_rules("\n".join(block) + "\n", filename)
        except ConfigError:
            continue
        return block
    return [f"{var.name}="]


def render_env_example(variables: list[Variable], filename: str = ".env.example") -> str:
    """An annotated `.env.example` for the variables the compose files read."""
    lines = [
        "# Variables the compose files read, found by `dockwright init`.",
        "# `# @rule` lines type each variable (required/optional, secret, type=, min=,",
        "# default=); dockwright checks .env against them. Secret values are left empty:",
        "# never commit real ones. Copy this file to .env and fill it in.",
    ]
    literals = []
    for var in variables:
        if var.only_literal and not var.secret:
            literals.append(var)
            continue
        lines.append("")
        more = len(var.where) - 3
        shown = ", ".join(var.where[:3]) + (f" and {more} more" if more > 0 else "")
        if var.only_literal:
            lines += [
                f"# Set literally in {shown}: replace the value there with ${{{var.name}}}",
                "# so that it comes from .env, then set it here.",
            ]
        else:
            lines.append(f"# Used in {shown}.")
        lines += _rule_block(var, filename)
    if literals:
        lines += ["", "# Set literally in the compose files' environment: (not read from here):"]
        lines += [f"#   {v.name} ({', '.join(v.where[:2])})" for v in literals]
    return "\n".join(lines) + "\n"


def render_override(build: RootBuild) -> str:
    """compose.dockwright.yaml: the `build:` compose is not told for an image-only service."""
    return (
        f"# Written by `dockwright init`: the compose file runs {build.image} without\n"
        "# saying how it is built; this adds the build of the root Dockerfile. dockwright\n"
        "# lists this file after the base one (compose_files), and compose merges it:\n"
        "#   docker compose -f <base file> -f compose.dockwright.yaml build\n"
        "services:\n"
        f"  {build.service}:\n"
        "    build:\n"
        f"      context: {build.context}\n"
        f"      dockerfile: {build.dockerfile}\n"
    )


def render_noxfile() -> str:
    from dockwright import __version__

    return NOXFILE_PY.replace("{requirement}", f"dockwright>={__version__}")


def render_workflow() -> str:
    """The GitHub Actions workflow for the adopting repository, pinned to this dockwright."""
    from importlib import metadata
    from importlib.resources import files

    from dockwright import __version__
    from dockwright.sessions import PLAYWRIGHT  # the pin the smoke session installs

    text = files("dockwright").joinpath("data", "workflow.yml").read_text(encoding="utf-8")
    values = {
        "DOCKWRIGHT_REQUIREMENT": f"dockwright=={__version__}",
        "NOX_REQUIREMENT": f"nox=={metadata.version('nox')}",
        "PLAYWRIGHT_REQUIREMENT": PLAYWRIGHT,
    }
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text
