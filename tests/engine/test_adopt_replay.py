"""Two repositories not shaped like ours go through `dockwright init`, `nox -s smoke`,
then a replay of the `.github/workflows/dockwright.yml` init wrote, job by job, as a
fresh runner runs it (tests/engine/replay.py).

- `notes` (Python): an API at the root, a Node web front in web/, Postgres with a
  volume, one docker-compose.yml with `${POSTGRES_PASSWORD:?}` and no .env.
- `site` (no Python at all): `image: ghcr.io/acme/site:latest` without build:, the
  browser journey in Chromium.

dockwright comes from the wheel of this checkout, as `DOCKWRIGHT_REQUIREMENT` (the
repository variable the workflow reads) names it. The runner has no vulnerability
database to download (`DOCKWRIGHT_SCAN_VULNERABILITIES=optional`, as in
test_replay.py). The release job is skipped on a push (checked), and replayed on a
workflow_dispatch for notes: a registry:2 with TLS and htpasswd on the engine's bridge
address (not loopback: the job refuses a registry on the runner), the credentials as
the job's secrets, and a bare `origin` that receives the atomic push of the release
commit and tag. Rows go to artifacts/replay/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.engine.conftest import Installed
from tests.engine.registries import TlsRegistry, tls_registry
from tests.engine.replay import JobResult, replay, workspace_of
from tests.engine.test_adopt import (
    NOX,
    SITE_COMPOSE_SMOKE,
    SITE_IMAGE,
    SITE_SMOKE,
    commit,
    compose_projects,
    make_repo,
    remove_project,
    run_tool,
)
from tests.engine.test_build_and_check import image_tags, remove_images
from tests.engine.test_replay import ARTIFACTS, RUNNER_ENV, record

pytestmark = pytest.mark.engine
WORKFLOW = Path(".github") / "workflows" / "dockwright.yml"
JOBS = ("build", "smoke", "scan", "release")

# What the notes team appends to the pyproject.toml init extended: the API's health
# answers {"status": "ok", ...}; the web front serves its page and proxies /api.
NOTES_SMOKE = """
[tool.dockwright.smoke]
health_shape = "json-status"

[[tool.dockwright.smoke.http]]
service = "web"
path = "/"
contains = "<h1>Notes</h1>"
"""


@dataclass(kw_only=True)
class Replayed:
    """An adopted repository: init, `nox -s smoke`, and every job of its workflow."""

    repo: Path
    init: subprocess.CompletedProcess[str]
    nox: subprocess.CompletedProcess[str]
    nox_seconds: float
    jobs: dict[str, JobResult] = field(default_factory=dict)
    workspaces: dict[str, Path] = field(default_factory=dict)

    @property
    def smoke_output(self) -> str:
        return self.nox.stdout + self.nox.stderr

    def timings(self) -> dict[str, Any]:
        path = self.repo / "artifacts" / "smoke" / "timings-prod.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data


def chromium_env(installed: Installed) -> dict[str, str]:
    chromium = os.environ.get("DOCKWRIGHT_CHROMIUM") or shutil.which("chromium") or ""
    return {**installed.env, "DOCKWRIGHT_CHROMIUM": chromium, "COLUMNS": "200"}


def adopt_and_replay(
    installed: Installed, tmp: Path, fixture: str, extend: dict[str, str]
) -> Replayed:
    """init, the team's smoke settings (`extend`: file -> text appended), commit, `nox -s
    smoke` as the team runs it, then each workflow job in a fresh clone."""
    repo = make_repo(tmp, fixture)
    init = installed.run(repo, "init")
    assert init.returncode == 0, init.stdout + init.stderr
    for name, text in extend.items():
        path = repo / name
        path.write_text(path.read_text() + text)
    commit(repo, "adopt dockwright, with a smoke")
    started = time.monotonic()
    nox = run_tool(repo, str(NOX), "-s", "smoke", env=chromium_env(installed), timeout=1200)
    replayed = Replayed(repo=repo, init=init, nox=nox, nox_seconds=time.monotonic() - started)
    print(f"nox -s smoke in {fixture}: {replayed.nox_seconds:.1f}s\n{replayed.smoke_output}")
    for job in JOBS:
        workspace = workspace_of(repo, tmp / f"{job}-workspace" / repo.name)
        result = replay(
            workspace / WORKFLOW,
            job,
            workspace,
            tmp / f"{job}-runner",
            vars={"DOCKWRIGHT_REQUIREMENT": str(installed.wheel)},
            extra_env=RUNNER_ENV,
        )
        replayed.jobs[job] = result
        replayed.workspaces[job] = workspace
        record(result, f"{fixture}-{job}")
    return replayed


def cleanup(repo: Path, images: str | None = None) -> None:
    for project in compose_projects(f"{repo.name}"):
        remove_project(project)
    remove_project(repo.name)
    if images:
        remove_images(images)


@pytest.fixture(scope="module")
def notes(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    tmp = tmp_path_factory.mktemp("adopt-replay-notes")
    repo: Path | None = None
    try:
        replayed = adopt_and_replay(installed, tmp, "notes", {"pyproject.toml": NOTES_SMOKE})
        repo = replayed.repo
        yield replayed
    finally:
        for leftover in tmp.glob("notes-*"):
            cleanup(leftover)
        if repo is not None:
            cleanup(repo)


@pytest.fixture(scope="module")
def site(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    tmp = tmp_path_factory.mktemp("adopt-replay-site")
    before = image_tags(f"{SITE_IMAGE}:")
    try:
        yield adopt_and_replay(
            installed,
            tmp,
            "site",
            {"dockwright.toml": SITE_SMOKE, "docker-compose.yml": SITE_COMPOSE_SMOKE},
        )
    finally:
        for leftover in tmp.glob("site-*"):
            cleanup(leftover)
        leaked = image_tags(f"{SITE_IMAGE}:") - before
        if leaked:
            subprocess.run(["docker", "image", "rm", "-f", *leaked], capture_output=True)


def assert_job_passed(replayed: Replayed, job: str) -> None:
    result = replayed.jobs[job]
    assert result.ok, result.failure()
    assert result.run_steps and all(s.outcome == "ok" for s in result.run_steps), [
        (s.name, s.outcome) for s in result.run_steps
    ]


class TestNotesPythonRepository:
    """The Python repository: init extends its pyproject.toml, writes the noxfile and the
    workflow; the smoke covers health, the proxied page, a db restart and hardening."""

    def test_init_extends_pyproject_and_writes_noxfile_and_workflow(self, notes: Replayed) -> None:
        assert notes.init.returncode == 0
        assert "[tool.dockwright]" in (notes.repo / "pyproject.toml").read_text()
        assert not (notes.repo / "dockwright.toml").exists()
        assert (notes.repo / "noxfile.py").is_file()
        assert (notes.repo / WORKFLOW).is_file()
        assert (notes.repo / "VERSION").read_text().strip() == "0.3.0"

    def test_nox_smoke_passes_every_step(self, notes: Replayed) -> None:
        assert notes.nox.returncode == 0, notes.smoke_output[-4000:]
        steps = {s["step"].split(" (")[0]: s for s in notes.timings()["steps"]}
        assert {name: s["status"] for name, s in steps.items()} == {
            "env: fresh .env, checked": "ok",
            "build": "ok",
            "up --env prod": "ok",
            "health endpoints": "ok",
            "http checks": "ok",
            "restart db; data kept": "ok",
            "prod hardening": "ok",
            "down --volumes: nothing left": "ok",
        }
        detail = steps["health endpoints"]["detail"]
        assert detail.startswith("api ") and ", web " in detail

    @pytest.mark.parametrize("job", ["build", "smoke", "scan"])
    def test_workflow_job_passes_on_a_fresh_runner(self, notes: Replayed, job: str) -> None:
        assert_job_passed(notes, job)

    def test_build_job_writes_a_throwaway_env_first(self, notes: Replayed) -> None:
        """compose refuses `${POSTGRES_PASSWORD:?}` unset: the job's .env is generated,
        with a new password that no output shows."""
        log = notes.jobs["build"].log
        assert "new secrets: POSTGRES_PASSWORD" in log
        env = (notes.workspaces["build"] / ".env").read_text()
        (password,) = [line.split("=", 1)[1] for line in env.splitlines() if "PASSWORD=" in line]
        assert len(password) >= 32
        assert password not in log

    def test_build_job_keeps_the_report_page(self, notes: Replayed) -> None:
        """The page of the build and its gate, in a repository not shaped like ours."""
        kept = [s for s in notes.jobs["build"].steps if s.name == "Keep the report page"]
        assert [(s.outcome, s.detail) for s in kept] == [
            ("stand-in", "1 file(s) at build/report.html kept")
        ]
        page = (notes.workspaces["build"] / "build" / "report.html").read_text()
        assert "dockwright report: notes" in page
        assert page.count('class="PASS"') >= 10  # the gate's verdicts, per image

    def test_scan_job_uploads_sarif(self, notes: Replayed) -> None:
        upload = [s for s in notes.jobs["scan"].steps if "SARIF" in s.name]
        assert [s.outcome for s in upload] == ["stand-in"]
        assert upload[0].detail.startswith("SARIF 2.1.0 with ")

    def test_release_job_waits_for_a_dispatch(self, notes: Replayed) -> None:
        release = notes.jobs["release"]
        assert release.skipped == "if: ${{ github.event_name == 'workflow_dispatch' }}"
        assert release.steps == []

    def test_nox_tests_session_runs_the_repositorys_own_tests(
        self, notes: Replayed, installed: Installed
    ) -> None:
        proc = run_tool(notes.repo, str(NOX), "-s", "tests-3.11", env=installed.env, timeout=900)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-3000:]
        assert "2 passed" in out


class TestSiteNodeRepository:
    """The site (no Python): the workflow's smoke job finds the runner's Chromium and the
    journey screenshots the page; build and scan pass as on a real runner."""

    @pytest.mark.parametrize("job", ["build", "smoke", "scan"])
    def test_workflow_job_passes_on_a_fresh_runner(self, site: Replayed, job: str) -> None:
        assert_job_passed(site, job)

    def test_smoke_job_uses_the_runners_chromium_and_keeps_the_screenshot(
        self, site: Replayed
    ) -> None:
        smoke = site.jobs["smoke"]
        assert "Chromium for the smoke: " in smoke.log and "(the runner's own)" in smoke.log
        kept = [s for s in smoke.steps if s.name.startswith("Keep the smoke")]
        assert [s.detail for s in kept] == ["2 file(s) at artifacts/smoke/ kept"]
        assert "browser journey" in smoke.log

    def test_release_job_waits_for_a_dispatch(self, site: Replayed) -> None:
        assert site.jobs["release"].skipped.startswith("if: ")


# -- the release job, on a dispatch ------------------------------------------------------

# The notes team's registry: off the runner (the job refuses a loopback one), over TLS
# with its own CA, which the runner trusts; credentials from the job's two secrets.
RELEASE_SETTINGS = """
[tool.dockwright.registries.team]
url = "{url}"
namespace = "notes-team"
username_env = "REGISTRY_USERNAME"
token_env = "REGISTRY_TOKEN"
"""


@dataclass(kw_only=True)
class Released:
    registry: TlsRegistry
    origin: Path
    job: JobResult
    workspace: Path
    runner: Path
    project: str

    def origin_git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.origin, capture_output=True, text=True, check=True
        ).stdout.strip()


@pytest.fixture(scope="module")
def released(
    notes: Replayed, installed: Installed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Released]:
    """The notes repository names the team registry; its origin is a bare repository;
    the release job runs on a workflow_dispatch (bump patch, the configured registry)."""
    tmp = tmp_path_factory.mktemp("adopt-replay-release")
    password = uuid.uuid4().hex
    host_bundle = Path(os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt")
    with tls_registry(tmp, "ci-bot", password, host_bundle) as registry:
        pyproject = notes.repo / "pyproject.toml"
        text = pyproject.read_text().replace(
            "[tool.dockwright]\n", '[tool.dockwright]\nregistry = "team"\n', 1
        )
        pyproject.write_text(text + RELEASE_SETTINGS.format(url=registry.url))
        commit(notes.repo, "release to the team registry")
        origin = tmp / "origin.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(notes.repo), str(origin)], check=True)
        workspace = workspace_of(origin, tmp / "workspace" / notes.repo.name)
        job = replay(
            workspace / WORKFLOW,
            "release",
            workspace,
            tmp / "runner",
            event="workflow_dispatch",
            inputs={"bump": "patch", "registry": ""},
            secrets={"REGISTRY_USERNAME": "ci-bot", "REGISTRY_TOKEN": password},
            vars={"DOCKWRIGHT_REQUIREMENT": str(installed.wheel)},
            extra_env={**RUNNER_ENV, "SSL_CERT_FILE": str(registry.bundle)},
        )
        record(job, "notes-release-dispatch")
        yield Released(
            registry=registry,
            origin=origin,
            job=job,
            workspace=workspace,
            runner=tmp / "runner",
            project=notes.repo.name,
        )


class TestNotesReleaseJob:
    """The release job as a dispatch runs it: registry check, HEAD check, release with the
    job's secrets, then one atomic push of the release commit and tag to origin."""

    def test_every_step_passes(self, released: Released) -> None:
        assert released.job.ok, released.job.failure()
        assert [s.outcome for s in released.job.run_steps] == ["ok"] * len(released.job.run_steps)
        assert len(released.job.run_steps) == 6

    def test_origin_has_the_release_commit_and_tag(self, released: Released) -> None:
        assert released.origin_git("tag", "--list") == "v0.3.1"
        assert released.origin_git("rev-parse", "main") == released.origin_git(
            "rev-parse", "v0.3.1^{commit}"
        )
        version = released.origin_git("show", "main:VERSION")
        assert version == "0.3.1"

    def test_registry_has_the_images_under_every_tag(self, released: Released) -> None:
        for service in ("api", "web"):
            # <url>/<namespace>/<local image name>: the project is the repository's name
            tags = released.registry.tags(f"notes-team/{released.project}-{service}")
            assert {"0.3.1", "0.3", "0", "latest"} <= set(tags), (service, tags)
            assert any(t.startswith("sha-") for t in tags), tags

    def test_the_token_is_never_in_the_log_nor_left_on_disk(self, released: Released) -> None:
        assert released.registry.password not in released.job.log
        places = [released.runner / "_home", released.workspace]
        files = [
            f
            for place in places
            for f in place.rglob("*")
            if f.is_file() and ".git" not in f.parts and f.stat().st_size < 1_000_000
        ]
        files += list(released.runner.glob("_github_*")) + list(released.runner.glob("_step_*"))
        assert files
        assert [
            f for f in files if released.registry.password in f.read_text(errors="ignore")
        ] == []


def test_replay_rows_are_written(notes: Replayed, site: Replayed) -> None:
    rows = {p.name for p in ARTIFACTS.glob("dockwright.yml-*.json")}
    assert {f"dockwright.yml-{f}-{j}.json" for f in ("notes", "site") for j in JOBS} <= rows
    assert ROOT in ARTIFACTS.parents
