"""The smoke run: fresh .env, build, up, health, HTTP checks, browser journey,
restart with data kept, prod hardening, down leaving nothing.

Driven by the compose files (services, published ports, named volumes,
`x-dockwright.health_path`/`uid`) and `[tool.dockwright.smoke]`. Every run has its
own compose project (`<project>-smoke-<env>-<id>`) and free host ports (every
`type=port` variable of .env.example), so it never meets a developer's stack.
It reports through `on_event` and never prints.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockwright import stack
from dockwright.config import Project
from dockwright.engine import docker as engine
from dockwright.engine.docker import ComposeProject
from dockwright.envfile import generate_env, parse_env_text, parse_rules, validate, write_env_file
from dockwright.errors import DockwrightError, EnvFileError, SmokeError
from dockwright.flows import stack as stack_flow
from dockwright.flows.events import Say
from dockwright.repo.compose import extensions_from_files
from dockwright.repo.project import read_version
from dockwright.smoke import browser as chromium
from dockwright.smoke.checks import check_health, hardening_problems, run_http_check
from dockwright.smoke.model import Event, OnEvent, SmokeResult, Status, Step
from dockwright.smoke.settings import BrowserStep, SmokeSettings, expand

WHERE = "[tool.dockwright.smoke]"
HEALTHY_AFTER_RESTART_S = 90.0


@dataclass(frozen=True, kw_only=True)
class SmokeOptions:
    env: str = "prod"
    keep: bool = False
    run_id: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def plan_steps(settings: SmokeSettings, env: str, *, keep: bool = False) -> list[str]:
    """The steps a run takes, in order (what `--dry-run` prints)."""
    steps = [
        "env: a fresh .env from .env.example, free host ports, checked",
        f"build ({env})",
        f"up --env {env}: every service healthy",
        f"health endpoints (x-dockwright.health_path): {settings.health_shape} shape, "
        f"< {settings.health_within:g} s",
    ]
    if settings.http:
        steps.append(f"http checks ({len(settings.http)})")
    if settings.browser.steps:
        steps.append(f"browser journey ({len(settings.browser.steps)} steps)")
    if settings.restart:
        steps.append("restart the services with named volumes; data kept")
    if settings.hardening and env == "prod":
        steps.append("prod hardening (docker inspect)")
    steps.append("kept up (--keep)" if keep else "down --volumes: nothing left")
    return steps


class _Run:
    """Step bookkeeping: timings, events, and a stop after the first failure."""

    def __init__(self, result: SmokeResult, on_event: OnEvent) -> None:
        self.result = result
        self.on_event = on_event

    def say(self, name: str, message: str) -> None:
        self.on_event(Event(name=name, message=message))

    def skip(self, name: str, reason: str) -> None:
        self.on_event(Event(name=name))
        self._record(Step(name=name, status="skipped", detail=reason))

    def _record(self, step: Step) -> None:
        self.result.steps.append(step)
        self.on_event(Event(name=step.name, step=step))

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Time a step; the body may append a detail line to the yielded list."""
        self.on_event(Event(name=name))
        detail: list[str] = []
        started = time.monotonic()
        status: Status = "failed"
        try:
            yield detail
            status = "ok"
        except DockwrightError as exc:
            detail[:] = [str(exc)]
            raise
        except Exception as exc:
            detail[:] = [f"{type(exc).__name__}: {exc}"]
            raise
        finally:
            self._record(
                Step(
                    name=name,
                    status=status,
                    seconds=time.monotonic() - started,
                    detail="; ".join(detail),
                )
            )


def fresh_env(project: Project, path: Path, env: str, settings: SmokeSettings) -> dict[str, str]:
    """env.init's file (new secrets, mode 0600) with a free port for every `type=port`
    variable and the configured variables; then checked against the rules."""
    example = project.path(project.settings.env_example)
    rules = parse_rules(example.read_text(encoding="utf-8"), str(example))
    text = generate_env(rules)
    known = {"ENV": env, "VERSION": read_version(project)}
    overrides = {name: str(_free_port()) for name, rule in rules.items() if rule.kind == "port"}
    for name, value in settings.variables.get(env, {}).items():
        overrides[name] = expand(value, known, f"{WHERE}.variables.{env}.{name}")
    for name, value in overrides.items():
        line = f"{name}={value}"
        pattern = re.compile(rf"^{re.escape(name)}=.*$", re.M)
        text, found = pattern.subn(line.replace("\\", "\\\\"), text)
        if not found:
            text += f"\n{line}\n"
    write_env_file(path, text, force=False)
    parsed = parse_env_text(path.read_text(encoding="utf-8"), str(path))
    errors = [
        p for p in validate(parsed, rules, example_filename=str(example)) if p.level == "error"
    ]
    if errors:
        raise EnvFileError(f"the generated .env breaks a rule: {errors[0]}")
    return parsed.values()


def _build_prod(project: Project, env_file: Path) -> dict[str, str]:
    """The prod images through the build task's own functions, the compose files read
    with the run's fresh .env; returns the image each service got (`repository:tag`)."""
    from dockwright.flows.build import execute, prod_plan, require_ok

    result = execute(prod_plan(project, env_file=env_file), project)
    require_ok(result, "see build/report.json")
    return {s.service: s.refs[0] for s in result.services}


def _run_built(folder: Path, images: dict[str, str]) -> Path:
    """A compose override that runs exactly the images just built. Without it, a
    compose file naming a fixed tag (`image: ghcr.io/acme/site:latest`, where no
    `${APP_VERSION}` picks the build's tag) would run, or pull, another image."""
    path = folder / "compose.smoke-images.yaml"
    services = {service: {"image": ref} for service, ref in images.items()}
    path.write_text(json.dumps({"services": services}, indent=2) + "\n", encoding="utf-8")
    return path


def _volume_services(config: dict[str, Any]) -> list[str]:
    """Services that mount a named volume: their data must survive a restart."""
    found = []
    for name, service in (config.get("services") or {}).items():
        if any(v.get("type") == "volume" for v in service.get("volumes") or ()):
            found.append(name)
    return found


def _wait_healthy(project_name: str, services: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    states: dict[str, stack.ContainerState] = {}
    while time.monotonic() < deadline:
        found = engine.project_containers(project_name)
        states = stack.by_service(stack.container_state(c) for c in found)
        if all(s in states and states[s].health in ("healthy", "") for s in services):
            return
        time.sleep(0.25)
    health = {s: states[s].health if s in states else "missing" for s in services}
    raise SmokeError(f"not healthy {timeout:.0f} s after the restart: {health}")


class Smoke:
    """One run against a project; `run()` returns the finished SmokeResult."""

    def __init__(self, project: Project, options: SmokeOptions, on_event: OnEvent) -> None:
        self.project = project
        self.settings = project.settings.smoke
        self.env = options.env
        self.keep = options.keep
        self.run_id = options.run_id or uuid.uuid4().hex[:8]
        self.name = f"{project.name}-smoke-{self.env}-{self.run_id}"
        self.artifacts = project.path(self.settings.artifacts)
        self.result = SmokeResult(env=self.env, project=self.name)
        self.run = _Run(self.result, on_event)
        self.values: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self.extensions: dict[str, dict[str, Any]] = {}
        self.browser: chromium.Chromium | str = ""

    def execute(self) -> SmokeResult:
        workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        cp: ComposeProject | None = None
        unexpected: Exception | None = None
        try:
            cp = self._up(workdir / ".env")
            self._checks(cp)
        except DockwrightError:
            pass  # recorded in its step
        except Exception as exc:  # a bug: still take the stack down, then show it
            unexpected = exc
        finally:
            with suppress(DockwrightError):  # recorded in its step
                self._down(cp)
            shutil.rmtree(workdir, ignore_errors=True)
            self._write_timings()
        if unexpected is not None:
            raise unexpected
        return self.result

    # -- steps -------------------------------------------------------------------------------

    def _up_event(self, event: stack_flow.UpEvent) -> None:
        """What `up` says, in the smoke's own stream (the smoke's steps are its table)."""
        if isinstance(event, Say):
            self.run.say("up", event.message)
        elif isinstance(event, stack_flow.BuildLine):
            self.run.say("build", event.line)
        elif isinstance(event, stack_flow.Failed) and event.service:
            for line in event.logs:
                self.run.say(event.service, line)

    def _up(self, env_file: Path) -> ComposeProject:
        run, version = self.run, read_version(self.project)
        with run.step("env: fresh .env, checked"):
            values = fresh_env(self.project, env_file, self.env, self.settings)
        self.values = {**values, "RUN_ID": self.run_id, "ENV": self.env, "VERSION": version}
        with run.step(f"build ({self.env})") as detail:
            built = _build_prod(self.project, env_file) if self.env == "prod" else {}
            tag = next(iter(built.values())).rsplit(":", 1)[1] if built else ""
            plan = stack_flow.plan_up(
                self.project, self.env, env_file=env_file, version=tag, name=self.name, build=False
            )
            if built:
                files = (*plan.files, _run_built(env_file.parent, built))
                plan = dataclasses.replace(plan, files=files)
            cp: ComposeProject = stack_flow.compose_project(self.project, plan)
            if self.env == "dev":
                engine.stack_build(cp, lambda line: run.say("build", line))
            detail.append(f"images :{plan.version}")
        with run.step(f"up --env {self.env}"):
            rows = stack_flow.bring_up(self.project, plan, on_event=self._up_event)
        self.result.services = [r.as_dict() for r in rows]
        self.urls = {r.service: r.url for r in rows if r.url.startswith("http://")}
        self.extensions = extensions_from_files(list(plan.files))
        return cp

    def _checks(self, cp: ComposeProject) -> None:
        s, run = self.settings, self.run
        with run.step(f"health endpoints ({s.health_shape}, < {s.health_within:g} s)") as detail:
            self._health(detail)
        if s.http:
            with run.step(f"http checks ({len(s.http)})"):
                self._http()
        if s.browser.steps:
            self.browser = chromium.find_chromium(s.browser.chromium, os.environ)
            name = "browser journey"
            if isinstance(self.browser, str):
                run.skip(name, self.browser)
            else:
                with run.step(f"{name} ({self.browser.source})"):
                    self._journey(s.browser.steps, "browser.steps")
        if s.restart:
            self._restart(cp)
        if s.hardening and self.env == "prod":
            with run.step("prod hardening (docker inspect)"):
                self._hardening()

    def _health(self, detail: list[str]) -> None:
        checked = []
        for service, base in self.urls.items():
            path = self.extensions.get(service, {}).get("health_path")
            if not path:
                continue
            took = check_health(
                f"{base}{path}",
                shape=self.settings.health_shape,
                version=self.values["VERSION"],
                within=self.settings.health_within,
            )
            checked.append(f"{service} {took * 1000:.0f} ms")
        detail.append(", ".join(checked) or "no service declares x-dockwright.health_path")

    def _base(self, service: str, where: str) -> str:
        if service not in self.urls:
            raise SmokeError(
                f"{where}: service {service!r} publishes no HTTP port (published: "
                f"{', '.join(sorted(self.urls)) or 'none'}); name one with x-dockwright.health_path"
            )
        return self.urls[service]

    def _http(self) -> None:
        for index, check in enumerate(self.settings.http):
            where = f"{WHERE}.http[{index}]"
            run_http_check(check, self._base(check.service, where), self.values, where)

    def _journey(self, steps: tuple[BrowserStep, ...], key: str) -> None:
        assert not isinstance(self.browser, str)
        where = f"{WHERE}.{key}"
        shots = chromium.run_journey(
            base=self._base(self.settings.browser.service, f"{WHERE}.browser.service"),
            steps=steps,
            values=self.values,
            chromium=self.browser,
            artifacts=self.artifacts,
            timeout=self.settings.browser.timeout,
            where=where,
            on_message=lambda m: self.run.say("browser", m),
        )
        self.result.artifacts += [self._shown(p) for p in shots]

    def _restart(self, cp: ComposeProject) -> None:
        services = _volume_services(engine.stack_config(cp))
        name = f"restart {', '.join(services)}; data kept"
        if not services:
            self.run.skip("restart", "no service mounts a named volume")
            return
        with self.run.step(name) as detail:
            engine.stack_restart(cp, services)
            _wait_healthy(self.name, list(self.urls) + services, HEALTHY_AFTER_RESTART_S)
            self._health([])
            if self.settings.http:
                self._http()
            after = self.settings.browser.after_restart
            if after and not isinstance(self.browser, str):
                self._journey(after, "browser.after_restart")
                detail.append("browser.after_restart passed")
            elif after:
                detail.append(f"browser.after_restart skipped: {self.browser}")

    def _hardening(self) -> None:
        problems = []
        for data in engine.project_containers(self.name):
            c = stack.container_state(data)
            uid = self.extensions.get(c.service, {}).get("uid")
            found = hardening_problems(
                data, engine.process_uids(c.id), None if uid is None else int(uid)
            )
            problems += [f"{c.service}: {p}" for p in found]
        if problems:
            raise SmokeError("; ".join(problems))

    def _down(self, cp: ComposeProject | None) -> None:
        if self.keep and cp is not None:
            self.run.skip("down", f"kept up (--keep): `docker compose -p {self.name} down -v`")
            return
        with self.run.step("down --volumes: nothing left"):
            if cp is not None:
                left = stack_flow.take_down(self.project, cp, volumes=True)
            else:
                left = engine.project_resources(self.name)
            if any(left.values()):
                raise SmokeError(f"left behind after down: {left}")

    def _write_timings(self) -> None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"timings-{self.env}.json"
        self.result.artifacts.append(self._shown(path))
        path.write_text(json.dumps(self.result.as_dict(), indent=2) + "\n", encoding="utf-8")

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.project.root))
        except ValueError:
            return str(path)


def run_smoke(project: Project, options: SmokeOptions, on_event: OnEvent) -> SmokeResult:
    """Run the smoke; the stack is taken down at the end whatever happened (unless
    `keep` and it came up). Failures are recorded in the result's steps."""
    return Smoke(project, options, on_event).execute()
