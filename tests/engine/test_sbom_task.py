"""`invoke sbom` on a real engine: trivy lists an image's packages offline, into
build/sbom/<service>.cdx.json, with a package the test planted in the image."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import committed_repo, remove_repository
from tests.engine.test_build_and_check import invoke

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


@pytest.fixture
def repo(tmp_path: Path, unique: str) -> Iterator[Path]:
    image = f"dwsbom-{unique}/app"
    yield committed_repo(
        tmp_path / "repo",
        {
            "compose.yaml": f"services:\n  app:\n    image: {image}\n    build: .\n",
            "Dockerfile": DOCKERFILE,
            "VERSION": "0.1.0\n",
            "dockwright.toml": f'project = "dwsbom-{unique}"\ncompose_files = ["compose.yaml"]\n',
        },
    )
    remove_repository(image)


def test_sbom_lists_the_planted_package_offline(repo: Path) -> None:
    missing = invoke(repo, "sbom")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1, missing.stderr
    assert missing.stderr.startswith("error: ")
    assert not (repo / "build" / "sbom").exists(), "a failed run left its folder behind"

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
