"""Adopting dockwright in repositories that have none of its files, with the `dockwright`
command of a wheel installed in a clean venv (no tasks.py, nothing from this checkout).

The wheel is built once per session from a copy of the package sources, so
setuptools' build/ never lands in this checkout; the venv resolves the
dependencies from the normal index, like a user's `pip install`. Each fixture
repository is copied into its own temporary git repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import tomllib
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from python_on_whales import docker

from dockwright.envfile import parse_rules
from tests.conftest import ROOT
from tests.engine.conftest import Installed, free_port
from tests.engine.test_build_and_check import image_tags, remove_images

pytestmark = pytest.mark.engine
FIXTURES = ROOT / "tests" / "fixtures" / "adopt"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]


def make_repo(tmp: Path, fixture: str) -> Path:
    """The fixture as a fresh git repository named `<fixture>-<unique>` (the project name)."""
    repo = tmp / f"{fixture}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(FIXTURES / fixture, repo)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    commit(repo, "before dockwright")
    return repo


def commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)


def changed(repo: Path) -> str:
    """`git status` apart from build/, where dockwright writes its reports."""
    return subprocess.run(
        ["git", "status", "--porcelain", "--", ".", ":!build"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def remove_project(name: str) -> None:
    """Containers, networks, volumes and images of compose project / image prefix `name`."""
    label = f"com.docker.compose.project={name}"
    for container in docker.container.list(all=True, filters=[("label", label)]):
        container.remove(force=True, volumes=True)
    for network in docker.network.list(filters=[("label", label)]):
        network.remove()
    for volume in docker.volume.list(filters=[("label", label)]):
        volume.remove()
    remove_images(f"{name}-")


def failing(data: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    return {
        svc: sorted(v["rule"] for v in vs if v["status"] == "FAIL")
        for svc, vs in data.items()
        if svc != "@compose"
    }


def test_installed_package_is_the_wheel(installed: Installed, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "import dockwright; print(dockwright.__file__)",
        ],
        cwd=tmp_path,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith(str(installed.venv))
    version = installed.run(tmp_path, "--version")
    assert (version.returncode, version.stdout.split()[0]) == (0, "dockwright")


# -- fixture 1: one service, Dockerfile + docker-compose.yml, no pyproject.toml ------------


@dataclass(kw_only=True)
class Adopted:
    repo: Path
    steps: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def step(self, installed: Installed, name: str, *args: str) -> None:
        started = time.monotonic()
        self.steps[name] = installed.run(self.repo, *args)
        self.seconds[name] = time.monotonic() - started


@pytest.fixture(scope="module")
def single(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adopted]:
    adopted = Adopted(repo=make_repo(tmp_path_factory.mktemp("adopt"), "single"))
    try:
        adopted.step(installed, "init", "init")
        commit(adopted.repo, "adopt dockwright")
        adopted.step(installed, "build", "build", "--all", "--no-check", "--json")
        adopted.step(installed, "check", "check", "--json")
        yield adopted
    finally:
        remove_project(adopted.repo.name)


class TestAdoptSingleService:
    """A Dockerfile and docker-compose.yml at the root: init, build, check, up, down."""

    def test_init_writes_dockwright_toml_and_noxfile_but_no_tasks_py(self, single: Adopted) -> None:
        assert single.steps["init"].returncode == 0, single.steps["init"].stderr
        settings = tomllib.loads((single.repo / "dockwright.toml").read_text())
        assert settings == {"project": single.repo.name, "compose_files": ["docker-compose.yml"]}
        for absent in ("pyproject.toml", "tasks.py"):
            assert not (single.repo / absent).exists()
        assert (single.repo / "noxfile.py").is_file()
        assert (single.repo / "VERSION").read_text() == "0.1.0\n"
        rules = parse_rules((single.repo / ".env.example").read_text(), ".env.example")
        assert {n: (r.kind, r.default) for n, r in rules.items()} == {
            "WEB_PORT": ("port", "8080"),
            "GREETING": ("str", "hello"),
        }

    def test_build_all(self, single: Adopted) -> None:
        proc = single.steps["build"]
        assert proc.returncode == 0, proc.stderr
        (service,) = json.loads(proc.stdout)["services"]
        assert (service["service"], service["ok"]) == ("web", True)

    def test_check_reports_root_user_and_no_healthcheck(self, single: Adopted) -> None:
        proc = single.steps["check"]
        assert proc.returncode == 5, proc.stderr
        data = json.loads(proc.stdout)
        assert data["@compose"] == []
        assert failing(data) == {"web": ["healthcheck", "user"]}

    def test_up_serves_the_app_and_down_removes_it(
        self, single: Adopted, installed: Installed
    ) -> None:
        listed = installed.run(single.repo, "--list").stdout.split()
        assert {"up", "down"} <= set(listed)
        assert installed.run(single.repo, "env.init").returncode == 0
        port = free_port()
        env = single.repo / ".env"
        env.write_text(
            "".join(
                f"WEB_PORT={port}\n" if line.startswith("WEB_PORT=") else line
                for line in env.read_text().splitlines(keepends=True)
            )
        )
        up = installed.run(single.repo, "up")
        assert up.returncode == 0, up.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.read() == b"hello"
        down = installed.run(single.repo, "down")
        assert down.returncode == 0, down.stderr
        label = f"com.docker.compose.project={single.repo.name}"
        assert docker.container.list(all=True, filters=[("label", label)]) == []


# -- fixture 2: backend, frontend, db; other stage names; compose habits to report --------


@pytest.fixture(scope="module")
def shop(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adopted]:
    adopted = Adopted(repo=make_repo(tmp_path_factory.mktemp("adopt"), "shop"))
    try:
        adopted.step(installed, "dry-run", "init", "--dry-run")
        adopted.steps["dry-run-changed"] = subprocess.CompletedProcess(
            [], 0, changed(adopted.repo), ""
        )
        adopted.step(installed, "init", "init")
        commit(adopted.repo, "adopt dockwright")
        # --no-cache: a first build, as in a repository the engine has never seen.
        adopted.step(installed, "build", "build", "--all", "--no-cache", "--no-check", "--json")
        adopted.step(installed, "check", "check", "--json")
        adopted.step(installed, "check-human", "check")
        yield adopted
    finally:
        remove_project(adopted.repo.name)


SHOP_FINDINGS = [
    ("container-name", "backend", "docker-compose.yml:6"),
    ("literal-secret", "backend", "docker-compose.yml:8"),
    ("literal-secret", "backend", "docker-compose.yml:9"),
    ("ports-all-interfaces", "backend", "docker-compose.yml:12"),
    ("container-name", "frontend", "docker-compose.yml:17"),
    ("ports-all-interfaces", "frontend", "docker-compose.yml:21"),
    ("literal-secret", "db", "docker-compose.yml:27"),
    ("ports-all-interfaces", "db", "docker-compose.yml:30"),
    ("healthcheck-socket", "db", "docker-compose.yml:35"),
]


class TestAdoptThreeServices:
    """backend (Python), frontend (Node), db: stages `development`/`runner`, findings reported."""

    def test_dry_run_shows_every_file_and_writes_nothing(self, shop: Adopted) -> None:
        proc = shop.steps["dry-run"]
        assert proc.returncode == 0, proc.stderr
        headers = [line for line in proc.stdout.splitlines() if line.startswith("--- ")]
        assert headers == [
            "--- pyproject.toml (append) ---",
            "--- tasks.py (create) ---",
            "--- noxfile.py (create) ---",
            "--- .github/workflows/dockwright.yml (create) ---",
            "--- VERSION (create) ---",
            "--- CHANGELOG.md (create) ---",
            "--- .env.example (create) ---",
        ]
        assert 'targets = { dev = "development", prod = "runner" }' in proc.stdout
        assert shop.steps["dry-run-changed"].stdout == ""

    def test_init_appends_settings_to_pyproject(self, shop: Adopted) -> None:
        assert shop.steps["init"].returncode == 0, shop.steps["init"].stderr
        data = tomllib.loads((shop.repo / "pyproject.toml").read_text())
        assert data["project"]["name"] == "shop"
        assert data["tool"]["ruff"] == {"line-length": 100}
        assert data["tool"]["dockwright"] == {
            "project": shop.repo.name,
            "compose_files": ["docker-compose.yml"],
            "dev_files": ["docker-compose.override.yml"],
            "prod_files": ["docker-compose.prod.yml"],
            "targets": {"dev": "development", "prod": "runner"},
        }

    def test_init_writes_entry_points_version_changelog_and_env_example(
        self, shop: Adopted
    ) -> None:
        assert "from dockwright.tasks import ns" in (shop.repo / "tasks.py").read_text()
        assert "from dockwright.sessions import *" in (shop.repo / "noxfile.py").read_text()
        assert (shop.repo / "VERSION").read_text() == "0.1.0\n"
        assert "## [Unreleased]" in (shop.repo / "CHANGELOG.md").read_text()
        text = (shop.repo / ".env.example").read_text()
        rules = parse_rules(text, ".env.example")
        assert {n for n, r in rules.items() if r.secret} == {
            "DATABASE_URL",
            "SECRET_KEY",
            "POSTGRES_PASSWORD",
        }
        assert (rules["DB_PORT"].kind, rules["LOG_LEVEL"].default) == ("port", "info")
        assert "shop-db-pass" not in text and "not-so-secret-key" not in text

    def test_init_again_keeps_every_file(self, shop: Adopted, installed: Installed) -> None:
        proc = installed.run(shop.repo, "init")
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.count("keep ") == 7
        assert changed(shop.repo) == ""

    def test_build_all_builds_the_runner_stages(self, shop: Adopted, installed: Installed) -> None:
        proc = shop.steps["build"]
        assert proc.returncode == 0, proc.stderr
        services = json.loads(proc.stdout)["services"]
        assert [(s["service"], s["ok"]) for s in services] == [
            ("backend", True),
            ("frontend", True),
        ]
        # Only the runner stage sets USER: the prod build is the repo's `runner`.
        backend = docker.image.inspect(services[0]["tags"][0])
        assert backend.config.user == "1001:1001"
        # From `pip install` to the first build (shown with pytest -s or -rP).
        print(
            f"pip install {installed.install_seconds:.1f}s + init {shop.seconds['init']:.1f}s + "
            f"first build --all {shop.seconds['build']:.1f}s"
        )

    @pytest.mark.parametrize(
        ("args", "stage"),
        [(("backend",), "runner"), (("--target", "dev", "frontend"), "development")],
        ids=["prod-is-runner", "dev-is-development"],
    )
    def test_bare_service_names_select_services(
        self, shop: Adopted, installed: Installed, args: tuple[str, ...], stage: str
    ) -> None:
        proc = installed.run(shop.repo, "build", *args, "--dry-run")
        assert proc.returncode == 0, proc.stderr
        targets = json.loads(proc.stdout)["target"]
        assert [(name, t["target"]) for name, t in targets.items()] == [(args[-1], stage)]

    def test_check_lists_exactly_the_expected_findings(self, shop: Adopted) -> None:
        proc = shop.steps["check"]
        assert proc.returncode == 5, proc.stderr
        data = json.loads(proc.stdout)
        found = [(f["rule"], f["service"], f["where"]) for f in data["@compose"]]
        assert found == SHOP_FINDINGS
        assert failing(data) == {"backend": [], "frontend": ["user"]}

    def test_check_output_says_where_and_what_to_do_never_the_secrets(self, shop: Adopted) -> None:
        proc = shop.steps["check-human"]
        assert proc.returncode == 5
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith(
            "error: policy failed: backend: container-name (docker-compose.yml:6);"
        )
        assert "frontend: user (user root (unset) (uid 0))" in last
        output = proc.stdout + proc.stderr
        assert "127.0.0.1:8000:8000" in output
        assert "shop-db-pass" not in output and "not-so-secret-key" not in output

    def test_waiver_with_reason_turns_a_compose_finding_into_waived(
        self, shop: Adopted, installed: Installed
    ) -> None:
        compose = shop.repo / "docker-compose.yml"
        original = compose.read_text()
        try:
            compose.write_text(
                original.replace(
                    "    container_name: shop-frontend\n",
                    "    container_name: shop-frontend\n"
                    "    x-dockwright:\n"
                    "      waivers: {container-name: 'the runbook names it; one stack per host'}\n",
                )
            )
            proc = installed.run(shop.repo, "check", "-s", "frontend", "--json")
            assert proc.returncode == 5, proc.stderr
            compose_findings = json.loads(proc.stdout)["@compose"]
            assert [(f["rule"], f["status"]) for f in compose_findings] == [
                ("container-name", "WAIVED"),
                ("ports-all-interfaces", "FAIL"),
            ]
        finally:
            compose.write_text(original)

    def test_invoke_with_the_written_tasks_py_has_the_same_tasks(
        self, shop: Adopted, installed: Installed
    ) -> None:
        proc = subprocess.run(
            [str(installed.venv / "bin" / "invoke"), "--list"],
            cwd=shop.repo,
            env=installed.env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        assert {"init", "build", "check"} <= set(proc.stdout.split())


# -- fixture 3: one image run by name (no build:), a Node static site, no Python at all ---


SITE_IMAGE = "ghcr.io/acme/site"


@pytest.fixture(scope="module")
def site(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adopted]:
    adopted = Adopted(repo=make_repo(tmp_path_factory.mktemp("adopt"), "site"))
    try:
        adopted.step(installed, "dry-run", "init", "--dry-run")
        adopted.steps["dry-run-changed"] = subprocess.CompletedProcess(
            [], 0, changed(adopted.repo), ""
        )
        adopted.step(installed, "init", "init")
        commit(adopted.repo, "adopt dockwright")
        adopted.step(installed, "check-unbuilt", "check", "--json")
        adopted.step(installed, "build", "build", "--all")
        adopted.step(installed, "check", "check", "--json")
        adopted.step(installed, "tags", "tags", "1.0.0", "--published", "")
        adopted.step(installed, "version", "version")
        yield adopted
    finally:
        remove_project(adopted.repo.name)
        remove_images(f"{SITE_IMAGE}:")


def run_tool(
    repo: Path, *argv: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)


class TestAdoptSingleImageRunByName:
    """`image: ghcr.io/acme/site:latest` without build:, a root Dockerfile, a changelog in
    another format: init maps the Dockerfile, infers the registry and the version, and
    build, check, tags and version work; the noxfile and workflow it writes are valid."""

    def test_dry_run_shows_every_file_and_writes_nothing(self, site: Adopted) -> None:
        proc = site.steps["dry-run"]
        assert proc.returncode == 0, proc.stderr
        headers = [line for line in proc.stdout.splitlines() if line.startswith("--- ")]
        assert headers == [
            "--- dockwright.toml (create) ---",
            "--- compose.dockwright.yaml (create) ---",
            "--- noxfile.py (create) ---",
            "--- .github/workflows/dockwright.yml (create) ---",
            "--- VERSION (create) ---",
            "--- CHANGELOG.md (update) ---",
            "--- .env.example (create) ---",
        ]
        assert "@@ line 5 @@\n+## [Unreleased]\n+\n ## v1.4.2 - 2026-03-01" in proc.stdout
        assert site.steps["dry-run-changed"].stdout == ""

    def test_init_maps_the_dockerfile_and_infers_registry_and_version(self, site: Adopted) -> None:
        assert site.steps["init"].returncode == 0, site.steps["init"].stderr
        settings = tomllib.loads((site.repo / "dockwright.toml").read_text())
        assert settings == {
            "project": site.repo.name,
            "compose_files": ["docker-compose.yml", "compose.dockwright.yaml"],
            "registry": "ghcr",
            "registries": {
                "ghcr": {
                    "url": "ghcr.io",
                    "namespace": "acme",
                    "username_env": "REGISTRY_USERNAME",
                    "token_env": "REGISTRY_TOKEN",
                }
            },
        }
        assert (site.repo / "VERSION").read_text() == "1.4.2\n"
        changelog = (site.repo / "CHANGELOG.md").read_text()
        fixture = (FIXTURES / "site" / "CHANGELOG.md").read_text()
        assert changelog == fixture.replace("## v1.4.2", "## [Unreleased]\n\n## v1.4.2", 1)
        for absent in ("pyproject.toml", "tasks.py"):
            assert not (site.repo / absent).exists()

    def test_check_before_any_build_runs_the_compose_rules_only(self, site: Adopted) -> None:
        proc = site.steps["check-unbuilt"]
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == {"@compose": []}
        assert "image rules skipped: nothing built yet; `invoke build -s site`" in proc.stderr

    def test_build_all_builds_the_image_compose_names_and_checks_it(self, site: Adopted) -> None:
        proc = site.steps["build"]
        assert proc.returncode == 0, proc.stderr
        report = json.loads((site.repo / "build" / "report.json").read_text())
        (service,) = report["services"]
        assert (service["service"], service["ok"]) == ("site", True)
        assert service["image"].startswith(f"{SITE_IMAGE}:sha-")

    def test_check_passes_every_rule(self, site: Adopted) -> None:
        proc = site.steps["check"]
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert data["@compose"] == []
        assert failing(data) == {"site": []}

    def test_tags_and_version(self, site: Adopted) -> None:
        tags = site.steps["tags"]
        assert tags.returncode == 0, tags.stderr
        sha = subprocess.run(
            ["git", "rev-parse", "--short=7", "HEAD"],
            cwd=site.repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert tags.stdout.split() == ["1.0.0", "1.0", "1", "latest", f"sha-{sha}"]
        version = site.steps["version"]
        assert version.returncode == 0, version.stderr
        assert version.stdout.split() == ["1.4.2"]

    def test_up_builds_from_the_override_and_serves_the_site(
        self, site: Adopted, installed: Installed
    ) -> None:
        assert installed.run(site.repo, "env.init").returncode == 0
        port = free_port()
        env = site.repo / ".env"
        env.write_text(
            "".join(
                f"SITE_PORT={port}\n" if line.startswith("SITE_PORT=") else line
                for line in env.read_text().splitlines(keepends=True)
            )
        )
        up = installed.run(site.repo, "up")
        try:
            assert up.returncode == 0, up.stderr
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                assert b"<h1>Acme</h1>" in response.read()
        finally:
            down = installed.run(site.repo, "down")
        assert down.returncode == 0, down.stderr

    def test_noxfile_lists_dockwright_sessions(self, site: Adopted, installed: Installed) -> None:
        proc = run_tool(site.repo, str(installed.venv / "bin" / "nox"), "-l", env=installed.env)
        assert proc.returncode == 0, proc.stderr
        assert "smoke" in proc.stdout

    @pytest.mark.parametrize(
        "tool", [("actionlint",), ("zizmor", "--offline")], ids=["actionlint", "zizmor"]
    )
    def test_workflow_passes(self, site: Adopted, tool: tuple[str, ...]) -> None:
        workflow = ".github/workflows/dockwright.yml"
        assert (site.repo / workflow).is_file()
        binary = str(ROOT / ".venv" / "bin" / tool[0])
        proc = run_tool(site.repo, binary, *tool[1:], workflow)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# -- fixture 3 again: `dockwright init`, then `nox -s smoke` with a browser journey -------


NOX = ROOT / ".venv" / "bin" / "nox"
# What an adopter appends to the dockwright.toml init wrote. The site has no health
# endpoint of its own: its health_path is "/", where any HTTP 200 will do (the seed
# shape wants a JSON body). SITE_TITLE goes through the run's .env into the page.
SITE_SMOKE = """
# `dockwright smoke` (`nox -s smoke`): the site's page, in Chromium.
[smoke]
health_shape = "http-200"
variables = { prod = { SITE_TITLE = "Acme ${VERSION}" } }

[[smoke.http]]
service = "site"
path = "/"
contains = "<h1>Acme ${VERSION}</h1>"

[smoke.browser]
service = "site"
steps = [
  { action = "goto", url = "/" },
  { action = "wait_for", selector = "h1", text = "Acme ${VERSION}" },
  { action = "screenshot", path = "home-${ENV}.png" },
]
"""
# And to the site's service in docker-compose.yml: where its HTTP answers (the smoke
# and `dockwright ps` show published ports as URLs only for services naming one), the
# prod hardening the smoke checks (a static site needs no writable root), an init that
# passes SIGTERM on (node as PID 1 ignores it: every stop would wait 10 s), and a
# healthcheck probed every second while it starts (the Dockerfile's waits 30 s).
SITE_COMPOSE_SMOKE = """\
    init: true
    healthcheck:
      start_interval: 1s
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    x-dockwright:
      health_path: /
"""


@dataclass(frozen=True, kw_only=True)
class Smoked:
    repo: Path
    init: subprocess.CompletedProcess[str]
    nox: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def output(self) -> str:
        return self.nox.stdout + self.nox.stderr

    @property
    def artifacts(self) -> Path:
        return self.repo / "artifacts" / "smoke"

    def timings(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.artifacts / "timings-prod.json").read_text())
        return data


def compose_projects(prefix: str) -> set[str]:
    """Compose projects named `prefix...` that still have a container, network or volume."""
    label = '{{.Label "com.docker.compose.project"}}'
    found: set[str] = set()
    for kind in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
        argv = ["docker", *kind, "--filter", "label=com.docker.compose.project", "--format", label]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        found |= {name for name in out.split() if name.startswith(prefix)}
    return found


@pytest.fixture(scope="class")
def smoked(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Smoked]:
    """A fresh copy of the site: init, the smoke settings above, then `nox -s smoke` with
    our venv's nox, as a user runs it. The session's venv lands in the copy's .nox/."""
    repo = make_repo(tmp_path_factory.mktemp("adopt-smoke"), "site")
    images_before = image_tags(f"{SITE_IMAGE}:")
    try:
        init = installed.run(repo, "init")
        with (repo / "dockwright.toml").open("a") as settings:
            settings.write(SITE_SMOKE)
        compose = repo / "docker-compose.yml"
        compose.write_text(compose.read_text() + SITE_COMPOSE_SMOKE)
        commit(repo, "adopt dockwright, with a smoke")
        chromium = os.environ.get("DOCKWRIGHT_CHROMIUM") or shutil.which("chromium") or ""
        env = {**installed.env, "DOCKWRIGHT_CHROMIUM": chromium, "COLUMNS": "200"}
        started = time.monotonic()
        nox = run_tool(repo, str(NOX), "-s", "smoke", env=env, timeout=1200)
        seconds = time.monotonic() - started
        # From `nox -s smoke` to its end (shown with pytest -s or -rP).
        print(f"nox -s smoke: {seconds:.1f}s, exit {nox.returncode}\n{nox.stdout}{nox.stderr}")
        yield Smoked(repo=repo, init=init, nox=nox, seconds=seconds)
    finally:
        for project in compose_projects(f"{repo.name}-"):
            remove_project(project)
        leaked = image_tags(f"{SITE_IMAGE}:") - images_before
        if leaked:
            subprocess.run(["docker", "image", "rm", "-f", *leaked], capture_output=True)


class TestAdoptSiteSmokeWithBrowser:
    """The Node site (no Python at all) after `dockwright init`: `nox -s smoke` installs
    dockwright (from this checkout) and playwright into the session's venv, builds the
    prod image, runs it, and a headless Chromium loads the page and screenshots it."""

    def test_init_then_nox_smoke_passes(self, smoked: Smoked) -> None:
        assert smoked.init.returncode == 0, smoked.init.stderr
        assert not (smoked.repo / "pyproject.toml").exists()
        assert smoked.nox.returncode == 0, smoked.output[-4000:]
        assert "Session smoke was successful" in smoked.output

    def test_the_session_installs_dockwright_from_this_checkout_and_playwright(
        self, smoked: Smoked
    ) -> None:
        assert f"pip install -e {ROOT} playwright==" in smoked.output
        (site_packages,) = (smoked.repo / ".nox" / "smoke" / "lib").glob("python3*/site-packages")
        (dist,) = site_packages.glob("dockwright-*.dist-info")
        direct_url = json.loads((dist / "direct_url.json").read_text())
        assert direct_url == {"dir_info": {"editable": True}, "url": ROOT.as_uri()}
        assert list(site_packages.glob("playwright-*.dist-info"))

    def test_steps_table_shows_every_step_and_the_browser_journey_ran(self, smoked: Smoked) -> None:
        steps = {s["step"].split(" (")[0]: s for s in smoked.timings()["steps"]}
        assert {name: s["status"] for name, s in steps.items()} == {
            "env: fresh .env, checked": "ok",
            "build": "ok",
            "up --env prod": "ok",
            "health endpoints": "ok",
            "http checks": "ok",
            "browser journey": "ok",
            "restart": "skipped",
            "prod hardening": "ok",
            "down --volumes: nothing left": "ok",
        }
        assert steps["health endpoints"]["detail"].startswith("site ")
        rows = [line for line in smoked.output.splitlines() if "browser journey (" in line]
        # The progress line (» browser journey ...) and the table's row.
        assert any("│" in row and " ok " in f"{row} " for row in rows), "\n".join(rows)
        assert not any("skipped" in row for row in rows)

    def test_down_leaves_nothing_of_the_run(self, smoked: Smoked) -> None:
        project = smoked.timings()["project"]
        assert project.startswith(f"{smoked.repo.name}-smoke-prod-")
        label = f"label=com.docker.compose.project={project}"
        for kind in (["ps", "-a"], ["network", "ls"], ["volume", "ls"]):
            argv = ["docker", *kind, "-q", "--filter", label]
            left = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            assert left.split() == [], (kind, left)

    def test_timings_and_screenshot_are_in_the_artifacts_folder(self, smoked: Smoked) -> None:
        timings = smoked.timings()
        assert timings["ok"] is True
        assert sorted(timings["artifacts"]) == [
            "artifacts/smoke/home-prod.png",
            "artifacts/smoke/timings-prod.json",
        ]
        shot = smoked.artifacts / "home-prod.png"
        assert shot.read_bytes()[:4] == b"\x89PNG"
