"""`nox -s lint` hadolints the Dockerfiles `dockwright build` builds, wherever the
compose files put them: `python -m dockwright.sessions dockerfiles` (what the lint
session runs in its venv) on repositories made in tmp_path, through the real
`docker compose config` (the CLI only: no container starts).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

FROM = "FROM node:20-slim\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def dockerfiles(repo: Path) -> list[str]:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "dockwright.sessions", "dockerfiles"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout))


class TestDockerfilesFromCompose:
    """The Dockerfiles come from the compose files' build: sections, resolved as compose does."""

    @pytest.mark.parametrize(
        ("files", "expected"),
        [
            pytest.param(
                {
                    "compose.yaml": "services:\n"
                    "  web:\n    build: {context: web, dockerfile: Containerfile}\n"
                    "  cache:\n    image: redis:7\n",
                    "web/Containerfile": FROM,
                },
                ["web/Containerfile"],
                id="context-and-dockerfile-at-the-root",
            ),
            pytest.param(
                {
                    "compose/compose.yaml": "services:\n  api:\n    build:\n"
                    "      context: ../services/api\n"
                    "      dockerfile: ../../docker/api.Dockerfile\n",
                    "docker/api.Dockerfile": FROM,
                },
                ["docker/api.Dockerfile"],
                id="compose-folder-relative-paths",
            ),
            pytest.param(
                {
                    "dockwright.toml": 'compose_files = ["deploy/stack.yml"]\n',
                    "deploy/stack.yml": "services:\n  app:\n    build: ../app\n"
                    "  worker:\n    build: {context: ../app}\n",
                    "app/Dockerfile": FROM,
                },
                ["app/Dockerfile"],
                id="configured-compose-file-short-build-syntax",
            ),
            pytest.param({"README.md": "no compose here\n"}, [], id="no-compose-file"),
        ],
    )
    def test_dockerfiles(self, tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
        assert dockerfiles(write(tmp_path, files)) == expected

    def test_broken_compose_file_is_one_line(self, tmp_path: Path) -> None:
        write(tmp_path, {"compose.yaml": "services:\n  web:\n    build: [not, a, mapping]\n"})
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        proc = subprocess.run(
            [sys.executable, "-m", "dockwright.sessions", "dockerfiles"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 1
        assert proc.stderr.startswith("error: docker compose config failed"), proc.stderr
        assert "Traceback" not in proc.stderr
