"""The .env gate on the console, shared by `env.check`, `build`, `up` and `config`:
one `FILE:LINE VARIABLE: message` line per problem, then one error."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dockwright.config import Project
from dockwright.envfile import Problem
from dockwright.errors import EnvFileError
from dockwright.flows.env import env_problems, shown
from dockwright.tasks._common import console


def count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def report(problems: list[Problem]) -> int:
    """Print problems, one `FILE:LINE VARIABLE: message` line each; return the error count."""
    for p in problems:
        if p.level == "warning":
            console.print(str(replace(p, message=f"warning: {p.message}")), style="yellow")
        else:
            console.print(str(p), style="red", markup=False, highlight=False)
    return sum(p.level == "error" for p in problems)


def require_valid_env(project: Project, env: Path, *, missing_ok: bool = False) -> None:
    """Stop (EnvFileError) when `env` breaks the rules; what every container-starting
    task runs first. `missing_ok`: a missing file is fine (builds need no .env)."""
    if missing_ok and not env.is_file():
        return
    errors = report(env_problems(project, env))
    if errors:
        raise EnvFileError(
            f"{shown(env)} has {count(errors, 'error')} (listed above); "
            "fix them, or run `invoke env.check` for details"
        )
