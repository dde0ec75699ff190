"""The end-to-end smoke (`nox -s smoke [-- --env dev]`) on real containers.

Runs what a person runs, through dockwright's own task functions: a fresh
.env (env.init + env.check), the build, `up`, then checks from outside
(health endpoints, the API through the frontend's /api proxy, a headless
Chromium, a restart of backend and db, prod hardening, hot reload in dev),
and always `down --volumes` at the end, checking nothing is left.

Every run uses its own compose project name (`dwsmoke-<env>-<id>`) and free
host ports, so it never meets a developer's stack or the tests. The dev run
works on a temporary copy of the repository, because it edits a source file.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from dockwright import stack
from dockwright.compose import extensions_from_files
from dockwright.config import Project, load_project
from dockwright.engine import docker as engine
from dockwright.engine.docker import ComposeProject
from dockwright.envfile import generate_env, parse_env_text, parse_rules, write_env_file
from dockwright.errors import DockwrightError
from dockwright.project import read_version
from dockwright.stack import Row, UpPlan
from dockwright.tasks.build import execute, make_plan
from dockwright.tasks.env import require_valid_env
from dockwright.tasks.stack import bring_up, compose_project, plan_up, take_down
from tests.conftest import ROOT
from tests.smoke import client

ARTIFACTS = ROOT / "artifacts" / "smoke"
RESTARTED = ("backend", "db")
HOT_RELOAD_LIMIT_S = 5.0
console = Console(stderr=True, highlight=False, width=120)


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    ok: bool = False
    detail: str = ""


@dataclass
class Smoke:
    """One smoke run: its steps and timings, and what it learned along the way."""

    env: str
    run_id: str
    steps: list[Step] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        record = Step(name=name)
        self.steps.append(record)
        console.print(f"[bold]» {name}[/]")
        started = time.monotonic()
        try:
            yield record
            record.ok = True
        except BaseException as exc:
            record.detail = one_line(exc)
            raise
        finally:
            record.seconds = time.monotonic() - started
            mark = "[green]ok[/]" if record.ok else f"[red]FAILED[/] {record.detail}"
            console.print(f"  {mark} ({record.seconds:.1f}s)")

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "project": f"dwsmoke-{self.env}-{self.run_id}",
            "ok": self.ok,
            "total_s": round(sum(s.seconds for s in self.steps), 2),
            "steps": [
                {"step": s.name, "seconds": round(s.seconds, 2), "ok": s.ok, "detail": s.detail}
                for s in self.steps
            ],
            "services": [r.as_dict() for r in self.rows],
            **self.extra,
        }


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- set-up ------------------------------------------------------------------------------------


def copy_repo(dest: Path, source: Project) -> Project:
    """A copy of what the dev stack needs (compose, Dockerfiles, sources, settings)."""
    for folder in ("compose", "docker", "services"):
        shutil.copytree(
            source.root / folder,
            dest / folder,
            ignore=shutil.ignore_patterns("node_modules", "__pycache__", "dist"),
        )
    s = source.settings
    for name in (s.env_example, s.version_file):
        shutil.copy(source.path(name), dest / name)

    def toml_list(items: tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    (dest / "dockwright.toml").write_text(
        f"project = {json.dumps(source.name)}\n"
        f"compose_files = {toml_list(s.compose_files)}\n"
        f"dev_files = {toml_list(s.dev_files)}\n"
        f"prod_files = {toml_list(s.prod_files)}\n"
    )
    return load_project(dest)


def init_env(project: Project, path: Path, env: str) -> dict[str, str]:
    """env.init (fresh secrets, mode 0600) with free host ports, then env.check."""
    example = project.path(project.settings.env_example)
    text = generate_env(parse_rules(example.read_text(encoding="utf-8"), str(example)))
    overrides = {
        "BACKEND_PORT": str(free_port()),
        "FRONTEND_PORT": str(free_port()),
        "POSTGRES_PORT": str(free_port()),
        # The backend reads APP_VERSION from this file (env_file:): keep it = VERSION.
        "APP_VERSION": read_version(project),
        "ENVIRONMENT": "production" if env == "prod" else "development",
    }
    for name, value in overrides.items():
        text = re.sub(rf"^{name}=.*$", f"{name}={value}", text, flags=re.MULTILINE)
    write_env_file(path, text, force=False)
    require_valid_env(project, path)
    return parse_env_text(path.read_text(encoding="utf-8"), str(path)).values()


def build_prod(project: Project) -> str:
    """The prod images through the build task's own functions; returns their tag."""
    plan = make_plan(
        project, [], target="prod", platform="", builder="", ca_bundle="", no_cache=False
    )
    result = execute(plan, project, quiet=True)
    failed = [s.service for s in result.services if not s.ok]
    assert not failed, f"build failed for {', '.join(failed)}; see build/report.json"
    tag = result.services[0].refs[0].rsplit(":", 1)[1]
    hits = sum(s.cached for s in result.services)
    steps = sum(s.steps for s in result.services)
    console.print(f"  built {', '.join(plan.services)} as :{tag} ({hits}/{steps} steps cached)")
    return tag


def build_dev(project: Project, plan: UpPlan) -> None:
    tail: list[str] = []
    try:
        engine.stack_build(compose_project(project, plan), lambda line: tail.append(line))
    except DockwrightError:
        console.print("\n".join(tail[-40:]), markup=False)
        raise


# -- checks ------------------------------------------------------------------------------------


def urls(rows: list[Row]) -> dict[str, str]:
    return {r.service: r.url for r in rows if r.url.startswith("http://")}


def wait_healthy(name: str, services: list[str], timeout: float = 90) -> None:
    """After a restart: every service healthy again (restart loops are tolerated)."""
    deadline = time.monotonic() + timeout
    states: dict[str, stack.ContainerState] = {}
    while time.monotonic() < deadline:
        states = stack.by_service(stack.container_state(c) for c in engine.project_containers(name))
        if all(s in states and states[s].health in ("healthy", "") for s in services):
            return
        time.sleep(0.25)
    health = {s: states[s].health if s in states else "missing" for s in services}
    raise AssertionError(f"not healthy {timeout:.0f} s after the restart: {health}")


def eventually(check: Any, timeout: float) -> Any:
    """Call `check` until it stops raising AssertionError/HTTPError, at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, httpx.HTTPError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def check_hardening(name: str, extensions: dict[str, dict[str, Any]]) -> None:
    states = engine.project_containers(name)
    assert states, "no container to inspect"
    problems = []
    for data in states:
        c = stack.container_state(data)
        uid = extensions.get(c.service, {}).get("uid")
        found = client.hardening_problems(
            client.inspect(c.id), client.process_uids(c.id), None if uid is None else int(uid)
        )
        problems += [f"{c.service}: {p}" for p in found]
    assert not problems, "; ".join(problems)


def check_hot_reload(project: Project, backend: str) -> float:
    """Edit the backend's source in the copy; the answer must change within 5 s."""
    source = project.root / "services" / "backend" / "todo_api" / "main.py"
    text = source.read_text(encoding="utf-8")
    assert re.search(r'^SERVICE_NAME = ".*"$', text, re.MULTILINE), f"no SERVICE_NAME in {source}"
    name = f"hot-reloaded {uuid.uuid4().hex[:6]}"
    edited = time.monotonic()
    source.write_text(
        re.sub(r'^SERVICE_NAME = ".*"$', f'SERVICE_NAME = "{name}"', text, flags=re.MULTILINE)
    )

    def answered() -> None:
        assert httpx.get(f"{backend}/api", timeout=1).json()["name"] == name, "old answer"

    eventually(answered, HOT_RELOAD_LIMIT_S)
    seconds = time.monotonic() - edited
    assert seconds <= HOT_RELOAD_LIMIT_S, f"reloaded after {seconds:.1f} s"
    return seconds


# -- the run --------------------------------------------------------------------------------------


def run(env: str) -> Smoke:
    smoke = Smoke(env=env, run_id=uuid.uuid4().hex[:8])
    name = f"dwsmoke-{env}-{smoke.run_id}"
    workdir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    repo = load_project(ROOT)
    cp: ComposeProject | None = None
    try:
        project = repo if env == "prod" else copy_repo(workdir / "repo", repo)
        env_file = workdir / ".env" if env == "prod" else project.root / ".env"
        version = read_version(project)
        with smoke.step("env.init + env.check"):
            values = init_env(project, env_file, env)
        user, password = values["ADMIN_USERNAME"], values["ADMIN_PASSWORD"]
        with smoke.step(f"build ({env})"):
            tag = build_prod(project) if env == "prod" else ""
            plan = plan_up(project, env, env_file=env_file, version=tag, name=name, build=False)
            cp = compose_project(project, plan)
            if env == "dev":
                build_dev(project, plan)
        with smoke.step(f"up --env {env}"):
            smoke.rows = bring_up(project, plan)
        found = urls(smoke.rows)
        extensions = extensions_from_files(list(plan.files))
        with smoke.step("health endpoints (seed shape, < 1 s)"):
            for service, base in found.items():
                path = extensions.get(service, {}).get("health_path")
                if path:
                    client.check_health(f"{base}{path}", version)
        frontend = found["frontend"]
        with smoke.step("API round trip via /api proxy"):
            kept = client.api_round_trip(frontend, user, password, smoke.run_id)
        with smoke.step("browser: sign in, add, see it"):
            shot = ARTIFACTS / f"todo-{env}.png"
            title = f"added in Chromium {smoke.run_id}"
            client.browser_add_todo(frontend, user, password, title, shot)
            smoke.extra["screenshot"] = str(shot.relative_to(ROOT))
        with smoke.step(f"restart {' and '.join(RESTARTED)}; data kept"):
            engine.stack_restart(cp, list(RESTARTED))
            wait_healthy(name, [r.service for r in smoke.rows])

            def still_there() -> None:
                titles = [t["title"] for t in client.todos(frontend, user, password)]
                assert kept["title"] in titles and title in titles, "todos lost in the restart"

            eventually(still_there, 15)
        if env == "prod":
            with smoke.step("prod hardening (docker inspect)"):
                check_hardening(name, extensions)
        else:
            with smoke.step("hot reload of backend source (< 5 s)"):
                smoke.extra["hot_reload_s"] = round(check_hot_reload(project, found["backend"]), 2)
    except Exception as exc:  # reported in the step table; the traceback helps with test code
        if not isinstance(exc, AssertionError | DockwrightError):
            traceback.print_exc()
    finally:
        with smoke.step("down --volumes (nothing left)"):
            down(name, cp)
        shutil.rmtree(workdir, ignore_errors=True)
    return smoke


def down(name: str, cp: ComposeProject | None) -> None:
    if cp is not None:
        left = take_down(load_project(ROOT), cp, volumes=True)
    else:
        left = engine.project_resources(name)
    assert left == {"containers": [], "networks": [], "volumes": []}, f"left behind: {left}"


def report(smoke: Smoke) -> Path:
    steps = Table(title=f"smoke ({smoke.env}, dwsmoke-{smoke.env}-{smoke.run_id})")
    steps.add_column("step")
    steps.add_column("seconds", justify="right")
    steps.add_column("result")
    for s in smoke.steps:
        steps.add_row(s.name, f"{s.seconds:.1f}", "[green]ok[/]" if s.ok else f"[red]{s.detail}[/]")
    total = sum(s.seconds for s in smoke.steps)
    steps.add_row("[bold]total[/]", f"[bold]{total:.1f}[/]", "")
    console.print(steps)
    if smoke.rows:
        services = Table(title="up to healthy")
        for column in ("service", "after up", "after its start"):
            services.add_column(column, justify="left" if column == "service" else "right")
        for r in smoke.rows:
            services.add_row(r.service, seconds(r.since_up), seconds(r.since_start))
        console.print(services)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / ("timings.json" if smoke.env == "prod" else f"timings-{smoke.env}.json")
    path.write_text(json.dumps(smoke.as_dict(), indent=2) + "\n")
    console.print(f"timings written to {path.relative_to(ROOT)}")
    return path


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.smoke", description=__doc__)
    parser.add_argument("--env", choices=("prod", "dev"), default="prod")
    args = parser.parse_args(argv)
    smoke = run(args.env)
    report(smoke)
    return 0 if smoke.ok else 1
