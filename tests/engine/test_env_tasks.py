"""`invoke env.check` and `invoke env.init` through the real CLI, in a throwaway project.

No Docker engine is needed (so no `engine` marker): these run the installed
command line end to end, with the repository's own `.env.example`.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dockwright.envfile import parse_env_text
from tests.conftest import ROOT

# The secret variables of the repository's .env.example.
SECRETS = ("JWT_SECRET", "ADMIN_PASSWORD", "POSTGRES_PASSWORD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(ROOT / ".env.example", folder / ".env.example")
    shutil.copy(ROOT / "tasks.py", folder / "tasks.py")
    (folder / "dockwright.toml").write_text('project = "envtest"\n')
    return folder


def invoke(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )


def values(path: Path) -> dict[str, str]:
    return parse_env_text(path.read_text(), str(path)).values()


def rule_line(repo: Path, name: str) -> int:
    """Line of `name` in .env.example, where a missing required variable is reported."""
    lines = (repo / ".env.example").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{name}="))


class TestInit:
    """env.init writes a valid .env with new secrets, mode 0600, and never clobbers one."""

    def test_writes_private_file_with_fresh_secrets(self, repo: Path) -> None:
        proc = invoke(repo, "env.init")
        assert proc.returncode == 0, proc.stderr
        env = repo / ".env"
        assert stat.S_IMODE(env.stat().st_mode) == 0o600
        written, example = values(env), values(repo / ".env.example")
        for name in SECRETS:
            assert len(written[name]) >= 32 and written[name] != example[name]
            assert written[name] not in proc.stdout + proc.stderr
        assert written["ENVIRONMENT"] == "production"  # the rule's default, not the example
        assert "wrote .env (mode 600) from .env.example" in proc.stderr
        assert "new secrets: JWT_SECRET, ADMIN_PASSWORD, POSTGRES_PASSWORD" in proc.stderr
        assert invoke(repo, "env.check").returncode == 0

    def test_two_runs_give_different_secrets(self, repo: Path, tmp_path: Path) -> None:
        assert invoke(repo, "env.init", "--env-file", "one.env").returncode == 0
        assert invoke(repo, "env.init", "--env-file", str(tmp_path / "two.env")).returncode == 0
        one, two = values(repo / "one.env"), values(tmp_path / "two.env")
        assert all(one[name] != two[name] for name in SECRETS)

    def test_refuses_to_overwrite_without_force(self, repo: Path) -> None:
        (repo / ".env").write_text("JWT_SECRET=mine\n")
        proc = invoke(repo, "env.init")
        assert proc.returncode == 6
        assert proc.stderr.strip().splitlines()[-1] == (
            "error: .env already exists; pass --force to replace it (the old one is kept)"
        )
        assert (repo / ".env").read_text() == "JWT_SECRET=mine\n"
        assert list(repo.glob(".env.bak-*")) == []

    def test_force_keeps_a_private_backup(self, repo: Path) -> None:
        (repo / ".env").write_text("JWT_SECRET=mine\n")
        proc = invoke(repo, "env.init", "--force")
        assert proc.returncode == 0, proc.stderr
        [backup] = repo.glob(".env.bak-*")
        assert re.fullmatch(r"\.env\.bak-\d{8}-\d{6}", backup.name)
        assert backup.read_text() == "JWT_SECRET=mine\n"
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert stat.S_IMODE((repo / ".env").stat().st_mode) == 0o600
        assert f"the previous file is kept as {backup.name} (mode 0600)" in proc.stderr
        assert "mine" not in proc.stderr

    def test_dry_run_writes_nothing_and_shows_no_secret(self, repo: Path) -> None:
        proc = invoke(repo, "env.init", "--dry-run")
        assert proc.returncode == 0, proc.stderr
        assert not (repo / ".env").exists()
        assert "  JWT_SECRET=<new secret>" in proc.stderr
        assert "  ADMIN_USERNAME=admin" in proc.stderr


BAD_ENV = """\
JWT_SECRET=too-short-secret-value
ADMIN_PASSWORD=
ENVIRONMENT=staging
DATABASE_URL=mysql://todo:hunter2-db-password@db/todo
BACKEND_PORT=80000
APP_VERSION=1.x
EXTRA_SETTING=1
this line is broken
POSTGRES_PASSWORD='unterminated-pg-password
"""


class TestCheck:
    """env.check reports every problem at once as FILE:LINE VARIABLE: message."""

    def test_valid_file(self, repo: Path) -> None:
        invoke(repo, "env.init")
        proc = invoke(repo, "env.check")
        assert (proc.returncode, proc.stderr.strip()) == (0, ".env is valid")

    def test_every_problem_at_once_secrets_masked(self, repo: Path) -> None:
        (repo / ".env").write_text(BAD_ENV)
        proc = invoke(repo, "env.check")
        assert proc.returncode == 6
        lines = proc.stderr.strip().splitlines()
        assert lines == [
            ".env:1 JWT_SECRET: is shorter than 32 characters",
            ".env:2 ADMIN_PASSWORD: required but empty",
            ".env:3 ENVIRONMENT: 'staging' is not one of: development, production",
            ".env:4 DATABASE_URL: is not a Postgres URL: does not start with postgresql:// "
            "(expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE)",
            ".env:5 BACKEND_PORT: '80000' is not a port number (1-65535)",
            ".env:6 APP_VERSION: '1.x' is not a semantic version "
            "(expected MAJOR.MINOR.PATCH, e.g. 1.4.2)",
            ".env:7 EXTRA_SETTING: warning: not documented in .env.example "
            "(a typo, or add it there)",
            ".env:8: not a KEY=value line",
            ".env:9 POSTGRES_PASSWORD: unterminated single quote",
            # The broken line sets nothing, so the variable is missing too.
            f".env.example:{rule_line(repo, 'POSTGRES_PASSWORD')} POSTGRES_PASSWORD: "
            "required but missing from .env",
            "error: .env: 9 errors and 1 warning; fix the lines above "
            "(the rules are in .env.example)",
        ]
        for secret in ("too-short-secret-value", "hunter2", "unterminated-pg-password"):
            assert secret not in proc.stdout + proc.stderr

    def test_missing_required_variable_points_at_its_rule(self, repo: Path) -> None:
        invoke(repo, "env.init")
        env = repo / ".env"
        env.write_text(
            "\n".join(line for line in env.read_text().splitlines() if "JWT" not in line)
        )
        proc = invoke(repo, "env.check")
        assert proc.returncode == 6
        where = f".env.example:{rule_line(repo, 'JWT_SECRET')}"
        assert f"{where} JWT_SECRET: required but missing from .env" in proc.stderr.splitlines()

    def test_warnings_alone_pass(self, repo: Path) -> None:
        invoke(repo, "env.init")
        with (repo / ".env").open("a") as handle:
            handle.write("UNDOCUMENTED=1\n")
        proc = invoke(repo, "env.check")
        assert proc.returncode == 0, proc.stderr
        assert "UNDOCUMENTED: warning: not documented in .env.example" in proc.stderr
        assert proc.stderr.strip().endswith(".env is valid (1 warning)")

    def test_missing_file_says_how_to_make_one(self, repo: Path) -> None:
        proc = invoke(repo, "env.check", "--env-file", "prod.env")
        assert proc.returncode == 6
        assert proc.stderr.strip() == (
            "error: prod.env does not exist; write one from .env.example with `invoke env.init`"
        )
