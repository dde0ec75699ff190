"""The offline harness gives real base images, a real compose and a real registry:2."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from python_on_whales import DockerClient, docker

from tests.engine.conftest import free_port

pytestmark = pytest.mark.engine


class TestPythonStandIn:
    """`FROM python:3.13-slim` resolves through the mirror and pip works in a build."""

    def test_build_pip_installs_a_package_and_runs_it(
        self, tmp_path: Path, unique: str, ca_bundle: Path
    ) -> None:
        (tmp_path / "Dockerfile").write_text(
            "FROM python:3.13-slim\n"
            "RUN python -m venv /opt/venv\n"
            "RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem "
            "PIP_CERT=/run/secrets/ca.pem /opt/venv/bin/pip install -q six==1.16.0\n"
            'CMD ["/opt/venv/bin/python", "-c", '
            '"import six, sys; print(six.__version__, sys.version_info[:2])"]\n'
        )
        tag = f"dockwright-test/harness-py:{unique}"
        docker.buildx.build(
            tmp_path, tags=[tag], load=True, secrets=[f"id=ca,src={ca_bundle}"], progress=False
        )
        try:
            output = docker.run(tag, remove=True)
            assert output == "1.16.0 (3, 13)"
            # The CA reached the build as a secret, never as a layer.
            history = docker.image.inspect(tag).config
            assert "BEGIN CERTIFICATE" not in str(history)
        finally:
            docker.image.remove(tag, force=True)


class TestPostgresStandIn:
    """`image: postgres:17` initialises from POSTGRES_* and passes pg_isready."""

    def test_compose_up_wait_then_connect_from_host(self, tmp_path: Path, unique: str) -> None:
        port = free_port()
        (tmp_path / "compose.yaml").write_text(
            f"""
services:
  db:
    image: postgres:17
    environment:
      POSTGRES_USER: harness
      POSTGRES_PASSWORD: harness-pw
      POSTGRES_DB: harnessdb
    ports: ["127.0.0.1:{port}:5432"]
    healthcheck:
      # Over TCP: during initdb the entrypoint runs a socket-only server that
      # already answers pg_isready on the unix socket, then restarts it.
      test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "harness", "-d", "harnessdb"]
      interval: 1s
      timeout: 3s
      retries: 30
    volumes: [data:/var/lib/postgresql/data]
volumes:
  data: {{}}
"""
        )
        stack = DockerClient(
            compose_files=[tmp_path / "compose.yaml"], compose_project_name=f"harness-{unique}"
        )
        try:
            stack.compose.up(detach=True, wait=True, quiet=True)
            conninfo = (
                f"host=127.0.0.1 port={port} user=harness password=harness-pw dbname=harnessdb"
            )
            with psycopg.connect(conninfo, connect_timeout=10) as conn:
                row = conn.execute("select current_database(), current_user").fetchone()
                assert row == ("harnessdb", "harness")
                version = conn.execute("show server_version_num").fetchone()
                assert version is not None and str(version[0]).startswith("17")
        finally:
            stack.compose.down(volumes=True, quiet=True)


class TestRegistryStandIn:
    """registry:2 serves on :5000 and images push and pull through it."""

    def test_push_and_pull_through_registry_container(self, unique: str) -> None:
        port = free_port()
        registry = docker.run(
            "registry:2",
            detach=True,
            remove=True,
            publish=[("127.0.0.1:" + str(port), 5000)],
            name=f"harness-registry-{unique}",
        )
        ref = f"127.0.0.1:{port}/harness/python:{unique}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    docker.image.tag("python:3.13-slim", ref)
                    docker.image.push(ref, quiet=True)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            docker.image.remove(ref)
            docker.image.pull(ref, quiet=True)
            pulled = docker.image.inspect(ref)
            assert pulled.id == docker.image.inspect("python:3.13-slim").id
            assert pulled.config.labels["org.dockwright.fixture"] == "true"
        finally:
            docker.image.remove(ref, force=True)
            registry.stop()
