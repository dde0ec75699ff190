"""Replay a GitHub Actions job on this machine, as a fresh runner would run it.

A job's `run:` steps run in order, each as `bash --noprofile --norc -eo pipefail`
in the job's workspace, with the environment a runner gives: the workflow's, the
job's and the step's `env:` (expressions evaluated), `GITHUB_ENV`/`GITHUB_PATH`
files carried to the next steps, `CI`, `GITHUB_*` and `RUNNER_*`. Nothing of this
machine's Python tooling leaks in: HOME is empty, PATH is the job's Python (once
its setup-python step ran) and the system folders, and the only environment kept
from outside is the network's (the proxy CA bundle and pip's index settings).

The "runner image" is this machine's system: the Docker engine and its mirror,
git, bash and, as the ubuntu-24.04 image has Google Chrome, Debian's Chromium.
`uses:` steps are actions that run on GitHub's side; each has a stand-in here
(`USES`) that does what the action would do for the next steps, or says why it
cannot (a cache that restores nothing, a builder we cannot pull). An action
without a stand-in fails the replay.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Environment kept from this machine: how it reaches the network, nothing else.
NETWORK_ENV = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "PIP_CERT",
    "PIP_FIND_LINKS",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_DEFAULT_TIMEOUT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "DOCKER_HOST",
)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PYENV = Path(os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))) / "versions"
USER_PIP_CONF = Path.home() / ".config" / "pip" / "pip.conf"


class ReplayError(Exception):
    """The workflow asks for something this replay cannot do (an unknown expression)."""


# --- expressions ---------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>\|\||&&|==|!=|!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ReplayError(f"cannot read expression {text!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match[kind]))
        pos = match.end()
    return found


class _Parser:
    """`a || b`, `a && b`, `a == b`, `!a`, `f(x)`, `context.name`, 'literals'."""

    def __init__(self, text: str, context: Context) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.context = context
        self.text = text

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise ReplayError(f"cannot read expression {self.text!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._cmp()
        while self._peek() == "&&":
            self._take()
            right = self._cmp()
            value = right if truthy(value) else value
        return value

    def _cmp(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            same = str(value).lower() == str(right).lower()
            value = same if op == "==" else not same
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._atom()

    def _atom(self) -> Any:
        kind, text = self._take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return text
        if text == "(":
            value = self._or()
            self._take()
            return value
        if kind == "name" and self._peek() == "(":
            self._take()
            args = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take()
            return self.context.call(text, args)
        if kind == "name":
            return self.context.lookup(text)
        raise ReplayError(f"cannot read expression {self.text!r}")


def truthy(value: Any) -> bool:
    return value not in (None, "", False, 0, "false")


_EXPR = re.compile(r"\$\{\{(.*?)\}\}")


@dataclass
class Context:
    """What `${{ ... }}` can name during a replay."""

    workspace: Path
    temp: Path
    event: str
    matrix: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    job_status: str = "success"

    def lookup(self, name: str) -> Any:
        scope, _, key = name.partition(".")
        tables: dict[str, Mapping[str, str]] = {
            "matrix": self.matrix,
            "vars": self.vars,
            "secrets": self.secrets,
            "inputs": self.inputs,
        }
        if scope in tables:
            return tables[scope].get(key, "")
        github = {
            "event_name": self.event,
            "token": "",
            "run_id": "1",
            "ref": "refs/heads/main",
            "ref_name": "main",
            "sha": self.sha(),
            "workspace": str(self.workspace),
        }
        runner = {"temp": str(self.temp), "os": "Linux", "arch": "X64"}
        if scope == "github" and key in github:
            return github[key]
        if scope == "runner" and key in runner:
            return runner[key]
        if name in ("true", "false"):
            return name == "true"
        raise ReplayError(f"the replay does not know ${{{{ {name} }}}}")

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "cancelled":
            return False
        if name == "always":
            return True
        if name == "success":
            return self.job_status == "success"
        if name == "failure":
            return self.job_status == "failure"
        if name == "hashFiles":
            paths = [self.workspace / str(a) for a in args]
            return "hash" if any(p.is_file() for p in paths) else ""
        raise ReplayError(f"the replay does not know the function {name}()")

    def sha(self) -> str:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=self.workspace, capture_output=True, text=True
        )
        return proc.stdout.strip()

    def evaluate(self, expression: str) -> Any:
        return _Parser(expression, self).parse()

    def interpolate(self, value: Any) -> str:
        """A `with:`/`env:` value with every `${{ ... }}` replaced by its value."""
        text = str(value) if not isinstance(value, bool) else str(value).lower()

        def one(match: re.Match[str]) -> str:
            result = self.evaluate(match[1])
            return str(result).lower() if isinstance(result, bool) else str(result)

        return _EXPR.sub(one, text)

    def condition(self, value: Any) -> bool:
        """An `if:` (with or without `${{ }}`); without a status function, success() too."""
        if value is None:
            return self.job_status == "success"
        text = str(value).strip()
        whole = _EXPR.fullmatch(text)
        expression = whole[1] if whole else text
        result = truthy(self.evaluate(expression))
        status_functions = ("always(", "cancelled(", "failure(", "success(")
        if not any(f in expression for f in status_functions):
            result = result and self.job_status == "success"
        return result


# --- results -------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    kind: str  # "run" or "uses"
    outcome: str  # "ok", "failed", "skipped", "stand-in"
    seconds: float
    detail: str = ""


@dataclass
class JobResult:
    workflow: str
    job: str
    steps: list[StepResult]
    seconds: float
    log: str
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.skipped and all(s.outcome != "failed" for s in self.steps)

    @property
    def run_steps(self) -> list[StepResult]:
        return [s for s in self.steps if s.kind == "run"]

    def failure(self) -> str:
        failed = [s for s in self.steps if s.outcome == "failed"]
        head = f"{self.workflow} {self.job}: " + ", ".join(f"{s.name}: {s.detail}" for s in failed)
        return f"{head}\n{self.log[-6000:]}"

    def row(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "job": self.job,
            "run_steps": len(self.run_steps),
            "stand_ins": [f"{s.name}: {s.detail}" for s in self.steps if s.outcome == "stand-in"],
            "result": "skipped" if self.skipped else ("ok" if self.ok else "failed"),
            "seconds": round(self.seconds, 1),
        }


# --- the runner ----------------------------------------------------------------------


@dataclass
class Job:
    """One job's replay in progress: its environment grows as its steps run."""

    workflow: str
    job_id: str
    spec: dict[str, Any]
    top_env: dict[str, Any]
    context: Context
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def files(self) -> dict[str, Path]:
        names = ("env", "path", "output", "step_summary")
        return {name: self.context.temp / f"_github_{name}" for name in names}

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in NETWORK_ENV}
        files = self.files
        env.update(
            HOME=str(self.home),
            LANG="C.UTF-8",
            CI="true",
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(self.context.workspace),
            GITHUB_EVENT_NAME=self.context.event,
            GITHUB_REF="refs/heads/main",
            GITHUB_REF_NAME="main",
            GITHUB_REF_TYPE="branch",
            GITHUB_SHA=self.context.sha(),
            GITHUB_REPOSITORY="acme/replayed",
            GITHUB_RUN_ID="1",
            GITHUB_JOB=self.job_id,
            GITHUB_ENV=str(files["env"]),
            GITHUB_PATH=str(files["path"]),
            GITHUB_OUTPUT=str(files["output"]),
            GITHUB_STEP_SUMMARY=str(files["step_summary"]),
            RUNNER_TEMP=str(self.context.temp),
            RUNNER_OS="Linux",
            RUNNER_ARCH="X64",
        )
        for layer in (self.top_env, self.spec.get("env") or {}):
            env.update({k: self.context.interpolate(v) for k, v in layer.items()})
        return env

    def step_env(self, step: dict[str, Any]) -> dict[str, str]:
        env = {**self.base_env(), **self.env}
        env.update({k: self.context.interpolate(v) for k, v in (step.get("env") or {}).items()})
        env["PATH"] = os.pathsep.join([*self.path, SYSTEM_PATH])
        return env

    def absorb_files(self) -> None:
        """GITHUB_ENV and GITHUB_PATH lines written by a step, for the next steps."""
        files = self.files
        text = files["env"].read_text() if files["env"].exists() else ""
        lines = iter(text.splitlines())
        for line in lines:
            if "<<" in line and "=" not in line.split("<<", 1)[0]:
                name, delimiter = line.split("<<", 1)
                body: list[str] = []
                for more in lines:
                    if more == delimiter:
                        break
                    body.append(more)
                self.env[name] = "\n".join(body)
            elif "=" in line:
                name, value = line.split("=", 1)
                self.env[name] = value
        if files["path"].exists():
            for entry in reversed(files["path"].read_text().splitlines()):
                if entry and entry not in self.path:
                    self.path.insert(0, entry)

    def run_script(self, step: dict[str, Any], name: str, timeout: float) -> StepResult:
        script = self.context.temp / f"_step_{len(self.log)}.sh"
        script.write_text(step["run"])
        cwd = self.context.workspace / str(step.get("working-directory", "."))
        started = time.monotonic()
        try:
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=cwd,
                env=self.step_env(step),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
            self.log.append(f"--- {name} (timed out after {timeout:.0f}s)\n{out or ''}")
            return StepResult(name, "run", "failed", time.monotonic() - started, "timed out")
        seconds = time.monotonic() - started
        self.log.append(
            f"--- {name} (exit {proc.returncode}, {seconds:.1f}s)\n{proc.stdout}{proc.stderr}"
        )
        self.absorb_files()
        if proc.returncode:
            return StepResult(name, "run", "failed", seconds, f"exit {proc.returncode}")
        return StepResult(name, "run", "ok", seconds)


# --- stand-ins for actions -----------------------------------------------------------

UsesHandler = Callable[[Job, dict[str, str]], tuple[str, str]]


def _checkout(job: Job, inputs: dict[str, str]) -> tuple[str, str]:
    depth = inputs.get("fetch-depth", "1")
    shallow = (job.context.workspace / ".git" / "shallow").exists()
    if depth == "0" and shallow:
        return "failed", "fetch-depth 0 asks for every commit, the workspace is shallow"
    return "stand-in", "the workspace is a fresh clone of the commit"


def _setup_python(job: Job, inputs: dict[str, str]) -> tuple[str, str]:
    version = inputs.get("python-version", "")
    found = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
    if not found:
        return "failed", f"no Python {version} under {PYENV}"
    venv = job.context.temp / f"_python-{version}"
    if not venv.exists():
        subprocess.run([str(found[-1]), "-m", "venv", str(venv)], check=True, timeout=300)
    job.path.insert(0, str(venv / "bin"))
    job.env["pythonLocation"] = str(venv)
    return "stand-in", f"Python {found[-1].parent.parent.name} in a new venv"


def _cache(job: Job, inputs: dict[str, str]) -> tuple[str, str]:
    return "stand-in", "nothing restored: a fresh runner's first run"


def _setup_buildx(job: Job, inputs: dict[str, str]) -> tuple[str, str]:
    driver = inputs.get("driver", "docker-container")
    if driver == "docker":
        return "stand-in", "the engine's builder"
    return (
        "stand-in",
        f"the engine's own builder (docker driver), not {driver}: "
        "moby/buildkit cannot be pulled here",
    )


def _upload_artifact(job: Job, inputs: dict[str, str]) -> tuple[str, str]:
    path = job.context.workspace / inputs.get("path", "")
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    if path.is_file():
        files = [path]
    if not files and inputs.get("if-no-files-found") == "error":
        return "failed", f"no files at {inputs.get('path')}"
    return "stand-in", f"{len(files)} file(s) at {inputs.get('path')} kept"


def _upload_sarif(job: Job, inputs: dict[str, str]) -> tuple[str, str]:
    path = job.context.workspace / inputs.get("sarif_file", "")
    try:
        sarif = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return "failed", f"{inputs.get('sarif_file')} is not SARIF: {exc}"
    if sarif.get("version") != "2.1.0" or not isinstance(sarif.get("runs"), list):
        return "failed", f"{inputs.get('sarif_file')} is not SARIF 2.1.0"
    results = sum(len(run.get("results", [])) for run in sarif["runs"])
    return "stand-in", f"SARIF 2.1.0 with {len(sarif['runs'])} run(s), {results} result(s) read"


USES: dict[str, UsesHandler] = {
    "actions/checkout": _checkout,
    "actions/setup-python": _setup_python,
    "actions/cache": _cache,
    "docker/setup-buildx-action": _setup_buildx,
    "actions/upload-artifact": _upload_artifact,
    "github/codeql-action/upload-sarif": _upload_sarif,
}


# --- entry point ---------------------------------------------------------------------


def workspace_of(source: Path, dest: Path) -> Path:
    """A fresh clone of `source`, as actions/checkout makes (every commit). Changes not yet
    committed in `source` are copied over and committed, so a replay tests the work tree."""
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(source), str(dest)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    bare = subprocess.run(
        ["git", "rev-parse", "--is-bare-repository"], cwd=source, capture_output=True, text=True
    ).stdout.strip()
    if bare == "true":  # an `origin`: its commits are all there is
        return dest
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--modified", "--deleted", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    changed = sorted({name for name in listed.split("\0") if name})
    for name in changed:
        src, dst = source / name, dest / name
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.is_file():
            dst.unlink()
    if changed:
        git = ["git", "-C", str(dest)]
        subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
        subprocess.run(
            [*git, "commit", "-q", "--no-verify", "-m", "replay: the work tree's changes"],
            check=True,
            capture_output=True,
        )
    return dest


def replay(
    workflow: Path,
    job_id: str,
    workspace: Path,
    temp: Path,
    *,
    event: str = "push",
    matrix: Mapping[str, str] | None = None,
    vars: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    step_timeout: float = 1200,
) -> JobResult:
    """Run one job of `workflow` in `workspace` (a fresh clone); `temp` is RUNNER_TEMP."""
    spec = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    job_spec = spec["jobs"][job_id]
    temp.mkdir(parents=True, exist_ok=True)
    home = temp / "_home"
    home.mkdir(exist_ok=True)
    if USER_PIP_CONF.is_file():  # the machine's package index: network settings
        (home / ".config" / "pip").mkdir(parents=True, exist_ok=True)
        shutil.copy(USER_PIP_CONF, home / ".config" / "pip" / "pip.conf")
    context = Context(
        workspace=workspace,
        temp=temp,
        event=event,
        matrix=dict(matrix or {}),
        vars=dict(vars or {}),
        inputs=dict(inputs or {}),
        secrets=dict(secrets or {}),
    )
    top_env = {**(spec.get("env") or {}), **(extra_env or {})}
    job = Job(workflow.name, job_id, job_spec, top_env, context, home)
    started = time.monotonic()
    if "if" in job_spec and not context.condition(job_spec["if"]):
        return JobResult(workflow.name, job_id, [], 0.0, "", skipped=f"if: {job_spec['if']}")
    results: list[StepResult] = []
    for index, step in enumerate(job_spec.get("steps", [])):
        name = step.get("name") or step.get("uses") or f"step {index + 1}"
        name = context.interpolate(name)
        kind = "run" if "run" in step else "uses"
        if not context.condition(step.get("if")):
            results.append(StepResult(name, kind, "skipped", 0.0, f"if: {step.get('if')}"))
            continue
        if kind == "run":
            result = job.run_script(step, name, step_timeout)
        else:
            action = str(step["uses"]).split("@", 1)[0]
            handler = USES.get(action)
            with_ = {k: context.interpolate(v) for k, v in (step.get("with") or {}).items()}
            if handler is None:
                outcome, detail = "failed", f"no stand-in for uses: {action}"
            else:
                outcome, detail = handler(job, with_)
            result = StepResult(name, kind, outcome, 0.0, detail)
            job.log.append(f"--- {name}: {outcome} ({detail})")
        results.append(result)
        if result.outcome == "failed":
            context.job_status = "failure"
    return JobResult(workflow.name, job_id, results, time.monotonic() - started, "\n".join(job.log))


def table(results: list[JobResult]) -> str:
    """The replay table: job, run steps, result, time (and the actions' stand-ins)."""
    lines = ["| workflow | job | run steps | result | time |", "|---|---|---|---|---|"]
    for result in results:
        row = result.row()
        lines.append(
            f"| {row['workflow']} | {row['job']} | {row['run_steps']} | {row['result']} "
            f"| {row['seconds']:.1f} s |"
        )
    return "\n".join(lines)
