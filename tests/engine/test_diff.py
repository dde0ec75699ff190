"""`invoke diff` on a real engine and registry:2: two releases of a fixture stack in
which one package and one file change; each side's SBOM is read back from the
registry by digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from python_on_whales import docker

from tests.engine.conftest import committed_repo, remove_repository
from tests.engine.test_build_and_check import invoke
from tests.engine.test_release import Registry, git
from tests.engine.test_release import registry as registry  # the fixture: a registry:2 of its own

pytestmark = pytest.mark.engine

DOCKERFILE = """\
FROM python:3.13-slim
# A Python distribution as pip leaves it: trivy reads its METADATA.
RUN d=/usr/local/lib/python3.13/site-packages/dwmarker-{version}.dist-info \\
 && mkdir -p "$d" \\
 && printf 'Metadata-Version: 2.1\\nName: dwmarker\\nVersion: {version}\\n' > "$d/METADATA" \\
 && printf 'dwmarker/__init__.py,,\\n' > "$d/RECORD"
COPY data.bin /app/data.bin
USER 1001
"""
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n### Added\n- The app.\n"


def release_files(project: str, registry: Registry) -> dict[str, str]:
    """What a fixture stack needs to be released to `registry`: VERSION, CHANGELOG.md,
    a .dockerignore that leaves both out, and settings whose gate fits images that
    serve nothing."""
    return {
        ".dockerignore": ".git\nbuild\nVERSION\nCHANGELOG.md\n",
        "VERSION": "0.1.0\n",
        "CHANGELOG.md": CHANGELOG,
        "dockwright.toml": (
            f'project = "{project}"\ncompose_files = ["compose.yaml"]\nregistry = "test"\n'
            f'[registries.test]\nurl = "{registry.url}"\ninsecure = true\n'
            '[scan]\nrelease_kinds = ["secret"]\n'
            '[policy]\nwaivers = { healthcheck = "the fixture image runs no server", '
            'ports = "the fixture image serves nothing" }\n'
        ),
    }


@pytest.fixture
def repo(tmp_path: Path, unique: str, registry: Registry) -> Iterator[Path]:
    project = f"dwdiff-{unique}"
    root = tmp_path / "repo"
    root.mkdir()
    (root / "data.bin").write_bytes(b"\0" * 100_000)
    yield committed_repo(
        root,
        {
            "compose.yaml": f"services:\n  app:\n    image: {project}/app\n    build: .\n",
            "Dockerfile": DOCKERFILE.format(version="1.2.3"),
            **release_files(project, registry),
        },
    )
    remove_repository(f"{project}/app")
    remove_repository(f"{registry.url}/{project}/app")


def release(repo: Path, env: dict[str, str] | None = None) -> None:
    proc = invoke(repo, "release", "--bump", "minor", env=env)
    assert proc.returncode == 0, proc.stderr


def test_diff_of_two_releases_shows_the_package_the_layers_and_the_sizes(
    repo: Path, registry: Registry, unique: str
) -> None:
    project = f"dwdiff-{unique}"
    release(repo)  # 0.2.0
    (repo / "Dockerfile").write_text(DOCKERFILE.format(version="1.2.4"))
    (repo / "data.bin").write_bytes(b"\1" * 2_100_000)
    git(repo, "commit", "-qam", "feat: a bigger data file, dwmarker 1.2.4")
    summary = repo.parent / "step-summary.md"
    release(repo, env={"GITHUB_STEP_SUMMARY": str(summary)})  # 0.3.0

    proc = invoke(repo, "diff", "0.2.0", "0.3.0", "--json")
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stderr.split())
    assert said.count("from the registry (tag sha256-") == 2, said  # both SBOMs, by digest
    [app] = json.loads(proc.stdout)
    old = docker.image.inspect(f"{project}/app:0.2.0")
    new = docker.image.inspect(f"{project}/app:0.3.0")
    assert app["old"]["image_id"] == old.id and app["new"]["image_id"] == new.id
    assert app["size_delta"] == new.size - old.size
    assert 1_950_000 < app["size_delta"] < 2_050_000  # the data file grew by 2.0 MB
    assert app["budget"] == 500_000_000  # the policy's default size budget
    # The two layers built from what changed (the package's RUN, the file's COPY).
    old_layers, new_layers = old.root_fs.layers, new.root_fs.layers
    assert [x["id"] for x in app["layers_added"]] == new_layers[-2:]
    assert [x["id"] for x in app["layers_removed"]] == old_layers[-2:]
    assert app["layers_added"][1]["size"] == 2_100_000
    assert app["layers_added"][1]["created_by"].startswith("COPY data.bin /app/data.bin")
    assert app["packages"] == {
        "added": [],
        "removed": [],
        "upgraded": [{"name": "dwmarker", "type": "pypi", "from": "1.2.3", "to": "1.2.4"}],
    }
    # The same base image, as both releases recorded it.
    assert app["bases"] == []
    # The release's CHANGELOG entry and job summary say the same of the size.
    line = (
        f"app {new.size / 1e6:.1f} MB ({(new.size - old.size) / 1e6:+.1f} MB since 0.2.0; "
        "budget 500 MB)"
    )
    changelog = (repo / "CHANGELOG.md").read_text()
    section = changelog[changelog.index("## [0.3.0]") : changelog.index("## [0.2.0]")]
    assert f"### Images\n\n- {line}" in section, section
    assert f"- {line}" in summary.read_text()

    table = invoke(repo, "diff", "0.2.0", "0.3.0")
    assert table.returncode == 0, table.stderr
    assert "~ pypi dwmarker 1.2.3 -> 1.2.4" in table.stdout
    markdown = invoke(repo, "diff", "last-release", "0.2.0", "--markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "### Images: 0.3.0 -> 0.2.0" in markdown.stdout


def test_a_version_only_in_the_registry_is_pulled_and_an_unknown_one_is_one_line(
    repo: Path, registry: Registry, unique: str
) -> None:
    project = f"dwdiff-{unique}"
    release(repo)  # 0.2.0, then nothing but the local images goes
    remove_repository(f"{project}/app")
    remove_repository(f"{registry.url}/{project}/app")
    proc = invoke(repo, "diff", "0.2.0", "0.2.0", "--json")
    assert proc.returncode == 0, proc.stderr
    assert f"pulling {registry.url}/{project}/app:0.2.0" in proc.stderr
    [app] = json.loads(proc.stdout)
    assert app["size_delta"] == 0 and app["layers_added"] == []
    assert docker.image.exists(f"{registry.url}/{project}/app:0.2.0")

    missing = invoke(repo, "diff", "0.2.0", "9.9.9")
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines()[-1:] == [
        f"error: '9.9.9' is neither a tag of {project}/app in this engine nor a tag of "
        f"{registry.url}/{project}/app; see `docker image ls {project}/app` and `invoke tags`"
    ]
