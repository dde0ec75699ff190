"""`invoke sbom` on a real engine: trivy lists an image's packages offline, into
build/sbom/<service>.cdx.json, with a package the test planted in the image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.engine

DOCKERFILE = """\
FROM python:3.13-slim
# A Python distribution as pip leaves it: trivy reads its METADATA.
RUN d=/usr/local/lib/python3.13/site-packages/dwmarker-1.2.3.dist-info \\
 && mkdir -p "$d" \\
 && printf 'Metadata-Version: 2.1\\nName: dwmarker\\nVersion: 1.2.3\\n' > "$d/METADATA" \\
 && printf 'dwmarker/__init__.py,,\\n' > "$d/RECORD"
USER 1001
"""


def invoke(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=600,
    )


@pytest.fixture
def repo(tmp_path: Path, unique: str) -> Iterator[Path]:
    root = tmp_path / "repo"
    root.mkdir()
    image = f"dwsbom-{unique}/app"
    (root / "compose.yaml").write_text(f"services:\n  app:\n    image: {image}\n    build: .\n")
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "VERSION").write_text("0.1.0\n")
    (root / "dockwright.toml").write_text(
        f'project = "dwsbom-{unique}"\ncompose_files = ["compose.yaml"]\n'
    )
    shutil.copy(ROOT / "tasks.py", root / "tasks.py")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "fixture"], cwd=root, check=True)
    yield root
    tags = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", image],
        capture_output=True,
        text=True,
    ).stdout.split()
    if tags:
        subprocess.run(["docker", "image", "rm", "-f", *tags], capture_output=True)


def test_sbom_lists_the_planted_package_offline(repo: Path) -> None:
    missing = invoke(repo, "sbom")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1, missing.stderr
    assert missing.stderr.startswith("error: ")

    built = invoke(repo, "build", "--all", "--no-check")
    assert built.returncode == 0, built.stderr
    dry = invoke(repo, "sbom", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "--format cyclonedx" in dry.stdout and "--scanners license" in dry.stdout
    assert not (repo / "build" / "sbom").exists()

    proc = invoke(repo, "sbom", "--json")
    assert proc.returncode == 0, proc.stderr
    [row] = json.loads(proc.stdout)
    assert row["service"] == "app" and row["file"] == "build/sbom/app.cdx.json"
    assert row["by_kind"].get("pypi", 0) >= 1
    document = json.loads((repo / row["file"]).read_text())
    assert document["bomFormat"] == "CycloneDX"
    purls = {c.get("purl", "") for c in _components(document)}
    assert "pkg:pypi/dwmarker@1.2.3" in purls
    assert f"app: {row['packages']} packages" in proc.stderr


def _components(document: dict[str, object]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    todo = list(document.get("components") or [])  # type: ignore[call-overload]
    while todo:
        item = todo.pop()
        found.append(item)
        todo.extend(item.get("components") or [])
    return found
