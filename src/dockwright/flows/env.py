"""The .env against the rules of .env.example, as every command that starts containers
checks it first; pure, it returns the problems and prints nothing."""

from __future__ import annotations

from pathlib import Path

from dockwright.config import Project
from dockwright.envfile import Problem, parse_env_text, parse_rules, validate
from dockwright.errors import EnvFileError


def shown(path: Path) -> str:
    """A path as people typed it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def env_path(project: Project, env_file: str = "") -> Path:
    return project.path(env_file or project.settings.env_file)


def env_problems(project: Project, env: Path) -> list[Problem]:
    """Every problem of `env` against .env.example's rules; [] without .env.example."""
    example = project.path(project.settings.env_example)
    if not example.is_file():
        return []
    rules = parse_rules(example.read_text(encoding="utf-8"), shown(example))
    if not env.is_file():
        raise EnvFileError(
            f"{shown(env)} does not exist; write one from {shown(example)} with `invoke env.init`"
        )
    parsed = parse_env_text(env.read_text(encoding="utf-8"), shown(env))
    return validate(parsed, rules, example_filename=shown(example))
