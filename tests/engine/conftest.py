"""Helpers for engine tests: unique names, free ports, the host CA bundle, and
dockwright installed from its wheel into a clean venv (the adoption tests' `installed`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture
def unique() -> str:
    """A short unique suffix for project, image and container names."""
    return uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def ca_bundle() -> Path:
    """The host trust store: the TLS-intercepting proxy's CA is in it."""
    for candidate in (
        os.environ.get("DOCKWRIGHT_CA_BUNDLE"),
        os.environ.get("SSL_CERT_FILE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise AssertionError("no CA bundle on this host: set SSL_CERT_FILE")


def committed_repo(root: Path, files: dict[str, str]) -> Path:
    """A new git repository at `root` holding `files`, the 3-line tasks.py, one commit."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    shutil.copy(ROOT / "tasks.py", root / "tasks.py")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "fixture"], cwd=root, check=True)
    return root


def remove_repository(repository: str) -> None:
    """Every tag of an image repository (`dwx-1234/app`) the test built."""
    tags = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repository],
        capture_output=True,
        text=True,
    ).stdout.split()
    if tags:
        subprocess.run(["docker", "image", "rm", "-f", *tags], capture_output=True)


@dataclass(frozen=True, kw_only=True)
class Installed:
    """dockwright installed from its wheel into a clean venv."""

    venv: Path
    env: dict[str, str]
    install_seconds: float
    wheel: Path

    def run(self, repo: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "dockwright"), *args],
            cwd=repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("dockwright-wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp / "dist").glob("dockwright-*.whl")
    venv = tmp / "venv"
    started = time.monotonic()
    subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True, timeout=120)
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    seconds = time.monotonic() - started
    ours = str(ROOT / ".venv" / "bin")
    path = [str(venv / "bin"), *(p for p in os.environ["PATH"].split(os.pathsep) if p != ours)]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "DOCKWRIGHT_ENV")
    }
    return Installed(
        venv=venv, env={**env, "PATH": os.pathsep.join(path)}, install_seconds=seconds, wheel=wheel
    )
