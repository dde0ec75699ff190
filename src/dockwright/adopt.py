"""What `dockwright init` writes into a repository, planned from what `discover` found.

Pure apart from reading the repository's files: every change is a `FileChange`
value that `--dry-run` shows and the task writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dockwright.discover import (
    COMPOSE_NAMES,
    ComposeLayout,
    ServiceInfo,
    TargetChoice,
    Variable,
    choose_targets,
    compose_variables,
    discover_services,
    find_compose_files,
    rule_type,
    substitute,
)

PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile")
TASKS_PY = '''"""Invoke entry point: dockwright's tasks (`invoke --list`)."""

from dockwright.tasks import ns

__all__ = ["ns"]
'''
NOXFILE_PY = '''"""Nox entry point: dockwright's sessions (`nox --list`)."""

from dockwright.sessions import *  # noqa: F403
'''
CHANGELOG_MD = """# Changelog

All notable changes to this project are documented here. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) and the project uses
[Semantic Versioning](https://semver.org/).

## [Unreleased]
"""
_BARE = re.compile(r"[A-Za-z0-9_./:@+%-]*")


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def _toml_str(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


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


def is_python_repo(root: Path) -> bool:
    return any((root / m).is_file() for m in PYTHON_MARKERS)


def version_from_tag(tag: str | None) -> str:
    """`v1.4.2` -> `1.4.2`; no tag (or not a version) -> `0.1.0`."""
    import semver

    text = (tag or "").removeprefix("v")
    return text if text and semver.Version.is_valid(text) else "0.1.0"


_SECTION_HEADER = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?")


def strip_section(text: str, name: str = "tool.dockwright") -> str:
    """TOML `text` without the `[name]` table and its sub-tables."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if m := _SECTION_HEADER.fullmatch(line.rstrip("\n")):
            header = m[1].replace(" ", "")
            inside = header == name or header.startswith(name + ".")
        if not inside:
            out.append(line)
    return "".join(out)


@dataclass(frozen=True, kw_only=True)
class FileChange:
    """One file init writes: `create`, `append` (to pyproject), `replace`, or `keep`."""

    path: str
    action: str
    text: str = ""
    reason: str = ""
    # What --dry-run shows: the whole text, or only the appended section.
    preview: str = ""


def plan_file(root: Path, path: str, text: str, *, force: bool) -> FileChange:
    if (root / path).exists():
        if not force:
            return FileChange(path=path, action="keep", reason="exists; --force replaces it")
        return FileChange(path=path, action="replace", text=text, preview=text)
    return FileChange(path=path, action="create", text=text, preview=text)


def plan_settings(root: Path, body: dict[str, str], *, force: bool) -> FileChange:
    """Where the settings go: pyproject.toml's [tool.dockwright] if there is a
    pyproject.toml, else dockwright.toml. `body` has both renderings by `table`/`top`."""
    import tomllib

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or (root / "dockwright.toml").is_file():
        return plan_file(root, "dockwright.toml", body["top"], force=force)
    text = pyproject.read_text(encoding="utf-8")
    try:
        has = "dockwright" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError as exc:
        return FileChange(path="pyproject.toml", action="keep", reason=f"invalid TOML: {exc}")
    if has and not force:
        return FileChange(
            path="pyproject.toml",
            action="keep",
            reason="has [tool.dockwright]; --force replaces it",
        )
    kept = strip_section(text) if has else text
    new = kept.rstrip("\n") + "\n\n" + body["table"]
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        return FileChange(
            path="pyproject.toml", action="keep", reason=f"appending would break it: {exc}"
        )
    return FileChange(
        path="pyproject.toml",
        action="replace" if has else "append",
        text=new,
        preview=body["table"],
    )


@dataclass(frozen=True, kw_only=True)
class InitPlan:
    """What init found and what it would write."""

    layout: ComposeLayout
    services: tuple[ServiceInfo, ...]
    choice: TargetChoice
    changes: tuple[FileChange, ...]


def plan_init(root: Path, *, project: str, latest_tag: str | None, force: bool = False) -> InitPlan:
    """Inspect `root` and decide every file init writes (nothing is written here)."""
    from dockwright.errors import ConfigError

    layout = find_compose_files(root)
    if not layout.base:
        raise ConfigError(
            f"no compose file with services in {root} or {root / 'compose'} "
            f"(looked for {', '.join(COMPOSE_NAMES)}); write one, or run init where it is"
        )
    services = discover_services(root, layout)
    choice = choose_targets(services)
    body = {
        key: render_settings(
            project=project, layout=layout, services=services, choice=choice, table=table
        )
        for key, table in (("table", True), ("top", False))
    }
    changes = [plan_settings(root, body, force=force)]
    if is_python_repo(root):
        changes.append(plan_file(root, "tasks.py", TASKS_PY, force=force))
        changes.append(plan_file(root, "noxfile.py", NOXFILE_PY, force=force))
    texts = {f: (root / f).read_text(encoding="utf-8") for f in layout.files}
    env_text = render_env_example(compose_variables(texts))
    changes += [
        plan_file(root, "VERSION", version_from_tag(latest_tag) + "\n", force=force),
        plan_file(root, "CHANGELOG.md", CHANGELOG_MD, force=force),
        plan_file(root, ".env.example", env_text, force=force),
    ]
    return InitPlan(layout=layout, services=tuple(services), choice=choice, changes=tuple(changes))
