"""`dockwright.smoke.runner` on the reference stack: a failing step still leaves nothing.

(The passing runs are `nox -s smoke` and `nox -s smoke -- --env dev`, which CI runs.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dockwright.config import load_project
from dockwright.engine import docker as engine
from dockwright.smoke.model import Event
from dockwright.smoke.runner import SmokeOptions, run_smoke
from dockwright.smoke.settings import BrowserStep
from tests.conftest import ROOT

pytestmark = pytest.mark.engine


def test_failing_browser_step_fails_the_run_saves_the_page_and_takes_the_stack_down(
    tmp_path: Path,
) -> None:
    project = load_project(ROOT)
    smoke = project.settings.smoke
    wrong = BrowserStep(action="wait_for", selector="#todo-list", text="never there")
    browser = dataclasses.replace(smoke.browser, steps=(*smoke.browser.steps[:6], wrong), timeout=3)
    smoke = dataclasses.replace(smoke, browser=browser, artifacts=str(tmp_path))
    project = dataclasses.replace(
        project, settings=dataclasses.replace(project.settings, smoke=smoke)
    )
    events: list[Event] = []

    result = run_smoke(project, SmokeOptions(env="dev"), events.append)

    assert not result.ok
    failed = result.failed
    assert failed is not None and failed.name.startswith("browser journey")
    assert "browser.steps[6] (wait_for '#todo-list') failed" in failed.detail
    assert (tmp_path / "failed-steps-6.png").stat().st_size > 0
    assert [s.name for s in result.steps][-1] == "down --volumes: nothing left"
    assert result.steps[-1].status == "ok"
    assert engine.project_resources(result.project) == {
        "containers": [],
        "networks": [],
        "volumes": [],
    }
    assert (tmp_path / "timings-dev.json").is_file()
    ends = [e.step.name for e in events if e.step is not None]
    assert ends == [s.name for s in result.steps]
