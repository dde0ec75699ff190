"""Every job of ci.yml, replayed as a fresh runner runs it (tests/engine/replay.py).

Each job gets its own fresh clone of this repository, an empty HOME, and only what
its own steps install: the job's Python (setup-python's stand-in, a new venv),
then its `pip install` lines. The engine and its mirror are the only extras. Each
replay's row (job, run steps, result, time) is written to artifacts/replay/.

Two settings of this machine's "runner" are passed to every job, as an offline
self-hosted runner would set them: `DOCKWRIGHT_SCAN_VULNERABILITIES=optional` (no
vulnerability database can be downloaded here; secrets and Dockerfiles are still
scanned and gated), and, in the `tests` job only, `PYTEST_ADDOPTS` selecting a
slice of the suite (unit tests of versions and the harness's engine tests): the
whole suite is what this run itself is, and replaying it inside itself would recurse.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.engine.replay import JobResult, replay, table, workspace_of

pytestmark = pytest.mark.engine

CI = ROOT / ".github" / "workflows" / "ci.yml"
ARTIFACTS = ROOT / "artifacts" / "replay"
RUNNER_ENV = {"DOCKWRIGHT_SCAN_VULNERABILITIES": "optional"}
TESTS_SLICE = "-p no:cacheprovider -k 'test_versions or test_harness'"


def jobs() -> list[Any]:
    spec = yaml.safe_load(CI.read_text(encoding="utf-8"))
    found = []
    for job_id, job in spec["jobs"].items():
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        pythons = matrix.get("python")
        for python in pythons or [None]:
            entry = {"python": python} if python else {}
            label = f"{job_id}-{python}" if python else job_id
            found.append(pytest.param(job_id, entry, id=label))
    return found


def record(result: JobResult, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{result.workflow}-{label}.json").write_text(json.dumps(result.row(), indent=2))
    print(table([result]))


@pytest.mark.parametrize(("job_id", "matrix"), jobs())
def test_ci_job_passes_on_a_fresh_runner(
    job_id: str, matrix: dict[str, str], tmp_path: Path
) -> None:
    workspace = workspace_of(ROOT, tmp_path / "workspace")
    extra = dict(RUNNER_ENV)
    if job_id == "tests":
        extra["PYTEST_ADDOPTS"] = TESTS_SLICE
    result = replay(CI, job_id, workspace, tmp_path / "runner", matrix=matrix, extra_env=extra)
    label = "-".join([job_id, *matrix.values()])
    record(result, label)
    assert result.ok, result.failure()
    spec = yaml.safe_load(CI.read_text(encoding="utf-8"))["jobs"][job_id]
    expected_runs = [s for s in spec["steps"] if "run" in s]
    # Every run: step ran, in order, and none was skipped on a push.
    assert [s.outcome for s in result.run_steps] == ["ok"] * len(expected_runs)
    if job_id == "tests":  # the slice really ran, on the matrix's Python
        assert f"Python {matrix['python']}." in result.log
        passed = re.search(r"(\d+) passed", result.log)
        assert passed and int(passed[1]) >= 50, result.log[-3000:]


class TestReplayHarness:
    """The replay itself: an unknown action fails, a failing step fails the job and
    skips what follows unless its `if:` asks to run anyway."""

    def test_failures_stop_the_job_and_unknown_actions_fail(self, tmp_path: Path) -> None:
        workflow = tmp_path / "w.yml"
        workflow.write_text(
            yaml.safe_dump(
                {
                    "on": "push",
                    "env": {"GREETING": "hello"},
                    "jobs": {
                        "j": {
                            "runs-on": "ubuntu-24.04",
                            "steps": [
                                {"name": "env", "run": 'echo "NEXT=$GREETING-1" >> "$GITHUB_ENV"'},
                                {"name": "next", "run": 'test "$NEXT" = hello-1'},
                                {"name": "home", "run": 'test ! -e "$HOME/.docker"'},
                                {"name": "no nox", "run": "! command -v nox"},
                                {"name": "fail", "run": "exit 3"},
                                {"name": "after", "run": "true"},
                                {"name": "always", "if": "${{ !cancelled() }}", "run": "true"},
                                {"uses": "acme/unknown@v1"},
                            ],
                        }
                    },
                }
            )
        )
        workspace = tmp_path / "ws"
        workspace.mkdir()
        result = replay(workflow, "j", workspace, tmp_path / "runner")
        outcomes = {s.name: s.outcome for s in result.steps}
        assert outcomes == {
            "env": "ok",
            "next": "ok",
            "home": "ok",
            "no nox": "ok",
            "fail": "failed",
            "after": "skipped",
            "always": "ok",
            "acme/unknown@v1": "skipped",
        }
        assert not result.ok

        workflow.write_text(
            yaml.safe_dump({"on": "push", "jobs": {"k": {"steps": [{"uses": "acme/unknown@v1"}]}}})
        )
        (step,) = replay(workflow, "k", workspace, tmp_path / "runner2").steps
        assert (step.outcome, step.detail) == ("failed", "no stand-in for uses: acme/unknown")
