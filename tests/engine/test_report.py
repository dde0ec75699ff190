"""`invoke report` after two real releases to registry:2, opened in the real Chromium
the smoke uses: one chart point per release at the size the engine reports, the
build, policy, scan and SBOM sections filled, and no network request. The page and
its screenshot are kept in artifacts/report/ (CI keeps that folder)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from python_on_whales import docker

from dockwright.smoke.browser import CHROMIUM_ARGS, Chromium, find_chromium
from tests.engine.conftest import committed_repo, remove_repository
from tests.engine.test_build_and_check import invoke
from tests.engine.test_diff import release, release_files
from tests.engine.test_release import Registry, git
from tests.engine.test_release import registry as registry  # the fixture: a registry:2 of its own

pytestmark = pytest.mark.engine

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "report"
DOCKERFILE = "FROM python:3.13-slim\nCOPY data.bin /app/{name}.bin\nUSER 1001\n"
COMPOSE = """\
services:
  api:
    image: {project}/api
    build: {{context: ., dockerfile: api.Dockerfile}}
    x-dockwright: {{size_budget_mb: 150}}
  worker:
    image: {project}/worker
    build: {{context: ., dockerfile: worker.Dockerfile}}
"""


@pytest.fixture
def chromium() -> Chromium:
    found = find_chromium("", {})
    if isinstance(found, str):
        pytest.fail(f"the report test needs Chromium: {found}")
    return found


@pytest.fixture
def repo(tmp_path: Path, unique: str, registry: Registry) -> Iterator[Path]:
    project = f"dwreport-{unique}"
    root = tmp_path / "repo"
    root.mkdir()
    (root / "data.bin").write_bytes(b"\0" * 100_000)
    yield committed_repo(
        root,
        {
            "compose.yaml": COMPOSE.format(project=project),
            "api.Dockerfile": DOCKERFILE.format(name="api"),
            "worker.Dockerfile": DOCKERFILE.format(name="worker"),
            **release_files(project, registry),
        },
    )
    for name in ("api", "worker"):
        remove_repository(f"{project}/{name}")
        remove_repository(f"{registry.url}/{project}/{name}")


def test_the_report_page_charts_each_release_and_fetches_nothing(
    repo: Path, unique: str, chromium: Chromium
) -> None:
    from playwright.sync_api import sync_playwright

    project = f"dwreport-{unique}"
    release(repo)  # 0.2.0
    (repo / "data.bin").write_bytes(b"\1" * 3_000_000)
    git(repo, "commit", "-qam", "feat: a bigger data file")
    release(repo)  # 0.3.0

    proc = invoke(repo, "report")
    assert proc.returncode == 0, proc.stderr
    page_file = repo / "build" / "report.html"
    assert f"wrote {page_file}" in proc.stderr
    assert "4 release sizes" in proc.stderr  # two services, two releases

    sizes = {
        (name, version): docker.image.inspect(f"{project}/{name}:{version}").size
        for name in ("api", "worker")
        for version in ("0.2.0", "0.3.0")
    }
    requests: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium.executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("networkidle")
            points = {
                (svg.get_attribute("data-service"), c.get_attribute("data-version")): int(
                    c.get_attribute("data-bytes") or 0
                )
                for svg in page.locator("svg[data-service]").all()
                for c in svg.locator("circle.point").all()
            }
            budgets = {
                svg.get_attribute("data-service"): svg.locator("line.budget").get_attribute(
                    "data-bytes"
                )
                for svg in page.locator("svg[data-service]").all()
            }
            text = page.locator("body").inner_text()
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    shutil.copy(page_file, ARTIFACTS / "report.html")

    # One point per release and service, at the engine's own size of that image.
    assert points == sizes
    assert sizes["api", "0.3.0"] - sizes["api", "0.2.0"] == pytest.approx(2_900_000, abs=50_000)
    assert budgets == {"api": "150000000", "worker": "500000000"}  # x-dockwright, the default
    # Nothing but the page itself was requested (data: URLs are not fetches).
    assert [u for u in requests if not u.startswith("data:")] == [page_file.as_uri()]
    # The other sections came from what the release left behind.
    for seen in (
        f"{project}/api:0.3.0",  # the build table
        "base-fresh",  # the policy verdicts
        "trivy",  # the scan
        "deb ",  # the SBOM's package counts
    ):
        assert seen in text, seen
    assert "Nothing yet" not in text
