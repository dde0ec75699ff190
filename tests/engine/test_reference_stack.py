"""The reference stack (services/, docker/, compose/) on a real engine.

Images are built once per module with plain ``docker compose build`` (not
dockwright's own build task, which has its own tests), under a throwaway
registry prefix and version so nothing collides with real tags. Every stack
runs under a unique compose project and is removed with its volumes, always.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.engine

COMPOSE_DIR = ROOT / "compose"
SERVICES = ("backend", "frontend")
# .env values that may appear in an image by design or by coincidence: the
# version and registry are its tag and labels; ENVIRONMENT is a common word
# ("production" is also NODE_ENV); ports are short numbers that can occur in
# digests and timestamps; the CA bundle is a well-known host path. Every other
# value (secrets, user and database names) must not appear.
NOT_CHECKED_FOR_LEAKS = {
    "APP_VERSION",
    "DOCKWRIGHT_REGISTRY",
    "ENVIRONMENT",
    "DOCKWRIGHT_CA_BUNDLE",
}
UP_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ca_bundle() -> str:
    for candidate in (
        os.environ.get("DOCKWRIGHT_CA_BUNDLE"),
        os.environ.get("SSL_CERT_FILE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    raise AssertionError("no CA bundle on this host: set DOCKWRIGHT_CA_BUNDLE")


@dataclass(frozen=True, kw_only=True)
class Stack:
    """A compose project: its files, its .env and how to reach it."""

    project: str
    env_file: Path
    env: dict[str, str]
    files: tuple[Path, ...]
    cwd: Path = ROOT

    @property
    def frontend(self) -> str:
        return f"http://127.0.0.1:{self.env['FRONTEND_PORT']}"

    @property
    def backend(self) -> str:
        return f"http://127.0.0.1:{self.env['BACKEND_PORT']}"

    def compose(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        command = ["docker", "compose", "-p", self.project, "--env-file", str(self.env_file)]
        for file in self.files:
            command += ["-f", str(file)]
        environment = {
            **os.environ,
            "DOCKWRIGHT_ENV_FILE": str(self.env_file),
            "DOCKWRIGHT_CA_BUNDLE": ca_bundle(),
        }
        return subprocess.run(
            [*command, *args],
            cwd=self.cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def check(self, *args: str, timeout: float = 600) -> str:
        result = self.compose(*args, timeout=timeout)
        if result.returncode != 0:
            logs = self.compose("logs", "--no-color", "--tail", "40").stdout
            raise AssertionError(
                f"docker compose {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stderr[-3000:]}\n--- logs ---\n{logs[-4000:]}"
            )
        return result.stdout

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=120)

    def image(self, service: str) -> str:
        registry, version = self.env["DOCKWRIGHT_REGISTRY"], self.env["APP_VERSION"]
        return f"{registry}/{service}:{version}"


def write_env(path: Path, tag: str) -> dict[str, str]:
    """A complete .env with unguessable values, so a leak is recognisable."""
    env = {
        "JWT_SECRET": f"jwt-{secrets.token_hex(24)}",
        "ADMIN_USERNAME": f"user-{tag}",
        "ADMIN_PASSWORD": f"pw-{secrets.token_hex(12)}",
        "ENVIRONMENT": "production",
        "DATABASE_URL": "",
        "POSTGRES_USER": f"pguser-{tag}",
        "POSTGRES_PASSWORD": f"pgpw-{secrets.token_hex(12)}",
        "POSTGRES_DB": f"pgdb-{tag}",
        "BACKEND_PORT": str(free_port()),
        "FRONTEND_PORT": str(free_port()),
        "POSTGRES_PORT": str(free_port()),
        "APP_VERSION": f"0.0.0-test.{tag}",
        "DOCKWRIGHT_REGISTRY": f"dockwright-test-{tag}",
        "REGISTRY_PORT": str(free_port()),
        "DOCKWRIGHT_CA_BUNDLE": ca_bundle(),
    }
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    return env


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def sign_in(base: str, env: dict[str, str]) -> dict[str, str]:
    body = {"username": env["ADMIN_USERNAME"], "password": env["ADMIN_PASSWORD"]}
    response = httpx.post(f"{base}/api/auth/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def wait_for(url: str, *, timeout: float, expect: str | None = None, **kwargs: Any) -> str:
    """Poll url until it answers 200 (and contains expect); return the body."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2, **kwargs)
            last = f"{response.status_code} {response.text[:200]}"
            if response.status_code == 200 and (expect is None or expect in response.text):
                return response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready within {timeout} s; last answer: {last}")


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory, tag: str) -> Iterator[Stack]:
    """The prod stack's description, with its images built (removed afterwards)."""
    folder = tmp_path_factory.mktemp("prod")
    stack = Stack(
        project=f"dwref-prod-{tag}",
        env_file=folder / ".env",
        env=write_env(folder / ".env", tag),
        files=(COMPOSE_DIR / "compose.yaml", COMPOSE_DIR / "compose.prod.yaml"),
    )
    try:
        stack.check("build", timeout=900)
        yield stack
    finally:
        stack.down()
        docker("image", "rm", "--force", *(stack.image(s) for s in SERVICES))


@pytest.fixture(scope="module")
def prod_up(prod: Stack) -> Iterator[Stack]:
    """The prod stack running and healthy."""
    try:
        prod.check("up", "--wait", "--wait-timeout", str(UP_TIMEOUT_S), "--no-build")
        yield prod
    finally:
        prod.down()


@pytest.fixture
def dev(tmp_path: Path, tag: str) -> Iterator[Stack]:
    """The dev stack, from a copy of compose/, docker/ and services/ (edited by tests)."""
    for folder in ("compose", "docker", "services"):
        shutil.copytree(
            ROOT / folder,
            tmp_path / folder,
            ignore=shutil.ignore_patterns("node_modules", "__pycache__", "dist"),
        )
    # Unique dev image names in the copy: never touch a developer's own :dev images.
    dev_file = tmp_path / "compose" / "compose.dev.yaml"
    text = dev_file.read_text().replace("image: dockwright-ref/", f"image: dwref-{tag}/")
    dev_file.write_text(text)
    stack = Stack(
        project=f"dwref-dev-{tag}",
        env_file=tmp_path / ".env",
        env=write_env(tmp_path / ".env", tag),
        files=(tmp_path / "compose" / "compose.yaml", tmp_path / "compose" / "compose.dev.yaml"),
        cwd=tmp_path,
    )
    try:
        yield stack
    finally:
        stack.down()
        docker("image", "rm", "--force", *(f"dwref-{tag}/{s}:dev" for s in SERVICES))


# -- the prod stack ----------------------------------------------------------------------


class TestProdStack:
    """compose.yaml + compose.prod.yaml: healthy, working, persistent, hardened."""

    def test_all_services_healthy(self, prod_up: Stack) -> None:
        states = [json.loads(line) for line in prod_up.check("ps", "--format", "json").splitlines()]
        assert {s["Service"]: s["Health"] for s in states} == {
            "backend": "healthy",
            "frontend": "healthy",
            "db": "healthy",
        }

    def test_todos_through_frontend_proxy_survive_backend_and_db_restart(
        self, prod_up: Stack
    ) -> None:
        auth = sign_in(prod_up.frontend, prod_up.env)
        created = httpx.post(
            f"{prod_up.frontend}/api/todos", json={"title": "survive restarts"}, headers=auth
        )
        assert created.status_code == 201, created.text
        todo = created.json()
        listed = httpx.get(f"{prod_up.frontend}/api/todos", headers=auth).json()
        assert todo in listed

        prod_up.check("restart", "db", "backend")
        wait_for(f"{prod_up.backend}/health", timeout=60)
        todos = f"{prod_up.frontend}/api/todos"
        wait_for(todos, timeout=30, expect="survive restarts", headers=auth)
        again = httpx.get(f"{prod_up.frontend}/api/todos/{todo['id']}", headers=auth)
        assert again.status_code == 200
        assert again.json() == todo

    def test_health_endpoints_share_one_shape(self, prod_up: Stack) -> None:
        for url in (f"{prod_up.backend}/health", f"{prod_up.frontend}/api/health"):
            body = httpx.get(url).json()
            assert set(body) == {"status", "timestamp", "version", "uptime"}, url
            assert body["status"] == "healthy"
            assert body["version"] == prod_up.env["APP_VERSION"]
        deep = httpx.get(f"{prod_up.frontend}/api/health", params={"deep": "1"})
        assert deep.status_code == 200

    def test_page_has_stable_ids_for_browser_tests(self, prod_up: Stack) -> None:
        page = httpx.get(prod_up.frontend)
        assert page.status_code == 200
        for element in ("username", "password", "login", "new-todo", "add", "todo-list"):
            assert f'id="{element}"' in page.text
        script = httpx.get(f"{prod_up.frontend}/app.js")
        assert script.status_code == 200 and "\n" not in script.text.strip(), "not minified"

    def test_containers_are_hardened(self, prod_up: Stack) -> None:
        for service in SERVICES:
            container_id = prod_up.check("ps", "-q", service).strip()
            info = json.loads(docker("inspect", container_id).stdout)[0]
            host = info["HostConfig"]
            assert host["ReadonlyRootfs"] is True, service
            assert host["CapDrop"] == ["ALL"], service
            assert "no-new-privileges:true" in host["SecurityOpt"], service
            assert host["Memory"] > 0, service
            assert host["RestartPolicy"]["Name"] == "unless-stopped", service
            assert info["Config"]["User"] == "1001:1001", service
            bindings = [b for ports in host["PortBindings"].values() for b in ports]
            assert bindings and all(b["HostIp"] == "127.0.0.1" for b in bindings), service


# -- the images -------------------------------------------------------------------------


def x_dockwright(service: str) -> dict[str, Any]:
    # Read from the file: `docker compose config` (2.26) drops service-level x-* keys.
    config = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text())
    return dict(config["services"][service]["x-dockwright"])


def inspect_image(reference: str) -> dict[str, Any]:
    result = docker("image", "inspect", reference)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)[0])


@pytest.mark.parametrize("service", SERVICES)
class TestImages:
    """The built runtime images against the x-dockwright promises of compose.yaml."""

    def test_size_within_budget(self, prod: Stack, service: str) -> None:
        budget_mb = x_dockwright(service)["size_budget_mb"]
        size = inspect_image(prod.image(service))["Size"]
        assert size <= budget_mb * 1_000_000, f"{service}: {size / 1e6:.1f} MB > {budget_mb} MB"

    def test_runs_as_declared_uid(self, prod: Stack, service: str) -> None:
        uid = x_dockwright(service)["uid"]
        assert inspect_image(prod.image(service))["Config"]["User"] == f"{uid}:{uid}"
        result = docker("run", "--rm", "--entrypoint", "id", prod.image(service), "-u")
        assert result.stdout.strip() == str(uid)

    def test_exposes_port_and_tuned_healthcheck(self, prod: Stack, service: str) -> None:
        config = inspect_image(prod.image(service))["Config"]
        port = x_dockwright(service)["port"]
        assert f"{port}/tcp" in config["ExposedPorts"]
        health = config["Healthcheck"]
        seconds = 1_000_000_000
        assert (health["Interval"], health["Timeout"], health["StartPeriod"]) == (
            30 * seconds,
            10 * seconds,
            40 * seconds,
        )
        assert health["StartInterval"] == 1 * seconds and health["Retries"] == 3
        assert "curl" not in " ".join(health["Test"])

    def test_oci_labels_from_build_args(self, prod: Stack, service: str) -> None:
        labels = inspect_image(prod.image(service))["Config"]["Labels"]
        assert labels["org.opencontainers.image.version"] == prod.env["APP_VERSION"]
        assert labels["org.opencontainers.image.title"] == f"dockwright-ref-{service}"
        for key in ("created", "revision", "source"):
            assert f"org.opencontainers.image.{key}" in labels

    def test_no_env_value_in_history_or_metadata(self, prod: Stack, service: str) -> None:
        reference = prod.image(service)
        evidence = docker("history", "--no-trunc", "--format", "{{json .}}", reference).stdout
        evidence += json.dumps(inspect_image(reference))
        leaked = [
            key
            for key, value in prod.env.items()
            if value
            and value in evidence
            and key not in NOT_CHECKED_FOR_LEAKS
            and not key.endswith("_PORT")
        ]
        assert leaked == [], f"{service} image carries values of {leaked}"

    def test_no_build_tools_or_package_caches(self, prod: Stack, service: str) -> None:
        probe = (
            "for t in gcc cc make g++ curl wget; do command -v $t; done;"
            " ls -d /root/.cache/pip /root/.npm /app/node_modules 2>/dev/null; true"
        )
        result = docker("run", "--rm", "--entrypoint", "sh", prod.image(service), "-c", probe)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == ""


class TestBadSettings:
    """The real images refuse bad settings with one line on stderr and exit 78."""

    @pytest.mark.parametrize(
        ("environment", "expected"),
        [
            pytest.param(
                {"ADMIN_PASSWORD": "password123"},
                "todo-api: configuration error: JWT_SECRET is not set; "
                "set it to a random string of at least 32 characters",
                id="jwt-missing",
            ),
            pytest.param(
                {"JWT_SECRET": "too-short", "ADMIN_PASSWORD": "password123"},
                "todo-api: configuration error: JWT_SECRET is too short (9 characters); "
                "use at least 32 random characters",
                id="jwt-short",
            ),
            pytest.param(
                {"JWT_SECRET": "j" * 32, "ADMIN_PASSWORD": "password123", "PORT": "80000"},
                "todo-api: configuration error: PORT='80000' is not a valid TCP port; "
                "use an integer from 1 to 65535",
                id="port",
            ),
        ],
    )
    def test_backend(self, prod: Stack, environment: dict[str, str], expected: str) -> None:
        flags = [part for key, value in environment.items() for part in ("-e", f"{key}={value}")]
        result = docker("run", "--rm", *flags, prod.image("backend"))
        assert result.returncode == 78
        assert result.stderr.splitlines() == [expected]
        assert "Traceback" not in result.stdout + result.stderr

    def test_frontend_bad_port(self, prod: Stack) -> None:
        result = docker("run", "--rm", "-e", "PORT=web", prod.image("frontend"))
        assert result.returncode == 78
        assert result.stderr.splitlines() == [
            "todo-frontend: configuration error: PORT='web' is not a valid TCP port; "
            "use an integer from 1 to 65535"
        ]


# -- the dev stack ------------------------------------------------------------------------


def test_dev_stack_reloads_backend_source_within_5s(dev: Stack) -> None:
    dev.check("up", "--build", "--wait", "--wait-timeout", str(UP_TIMEOUT_S))
    about = httpx.get(f"{dev.backend}/api").json()
    assert about["name"] == "dockwright-ref backend"

    source = dev.cwd / "services" / "backend" / "todo_api" / "main.py"
    text = source.read_text()
    assert 'SERVICE_NAME = "dockwright-ref backend"' in text
    edited_at = time.monotonic()
    source.write_text(text.replace('"dockwright-ref backend"', '"hot-reloaded backend"'))
    wait_for(f"{dev.backend}/api", timeout=5, expect="hot-reloaded backend")
    assert time.monotonic() - edited_at <= 5

    # The frontend serves src/ straight from the bind mount: no rebuild either.
    page = dev.cwd / "services" / "frontend" / "src" / "index.html"
    page.write_text(page.read_text().replace("<h1>Todos</h1>", "<h1>Edited todos</h1>"))
    wait_for(dev.frontend, timeout=5, expect="Edited todos")
