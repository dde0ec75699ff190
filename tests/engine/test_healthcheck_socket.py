"""The compose rule `healthcheck-socket` states a fact about the real postgres image.

On a fresh volume postgres:17's entrypoint runs its init scripts against a
temporary server that listens on the unix socket only, then restarts it. A
`pg_isready` without `-h` asks that socket: the service turns healthy and
`compose up --wait` returns while nothing listens on TCP yet. With `-h 127.0.0.1`
it turns healthy only once the real server is up. An init script that takes a few
seconds makes the window wide enough to see every time.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from python_on_whales import DockerClient

from dockwright.policy.compose import lint_compose
from tests.engine.conftest import free_port

pytestmark = pytest.mark.engine

INIT_SECONDS = 8


def stack(folder: Path, port: int, host: list[str]) -> str:
    (folder / "init").mkdir()
    (folder / "init" / "slow.sh").write_text(f"sleep {INIT_SECONDS}\n")
    test = ", ".join(f'"{w}"' for w in ["CMD", "pg_isready", *host, "-U", "app", "-d", "app"])
    text = f"""
services:
  db:
    image: postgres:17
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: app-pw
      POSTGRES_DB: app
    ports: ["127.0.0.1:{port}:5432"]
    volumes: ["./init:/docker-entrypoint-initdb.d:ro"]
    healthcheck:
      test: [{test}]
      interval: 1s
      timeout: 3s
      retries: 60
"""
    (folder / "compose.yaml").write_text(text)
    return text


@pytest.mark.parametrize(
    ("host", "finding"),
    [([], True), (["-h", "127.0.0.1"], False)],
    ids=["socket", "tcp"],
)
def test_up_wait_returns_before_tcp_only_when_the_rule_reports_it(
    tmp_path: Path, unique: str, host: list[str], finding: bool
) -> None:
    port = free_port()
    text = stack(tmp_path, port, host)
    rules = [f.rule for f in lint_compose(text, "compose.yaml") if f.rule != "literal-secret"]
    assert rules == (["healthcheck-socket"] if finding else [])
    client = DockerClient(
        compose_files=[tmp_path / "compose.yaml"], compose_project_name=f"hcsock-{unique}"
    )
    conninfo = f"host=127.0.0.1 port={port} user=app password=app-pw dbname=app"
    try:
        started = time.monotonic()
        client.compose.up(detach=True, wait=True, quiet=True)
        waited = time.monotonic() - started
        if finding:
            # Healthy while the init script still runs: TCP is not served yet.
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(conninfo, connect_timeout=5).close()
        else:
            with psycopg.connect(conninfo, connect_timeout=5) as conn:
                assert conn.execute("select current_user").fetchone() == ("app",)
            assert waited >= INIT_SECONDS, waited
    finally:
        client.compose.down(volumes=True, quiet=True)
