"""Unit tests for dockwright.build.record: the Markdown summary, GitHub outputs, report files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockwright.build.record import github_outputs, human_size, markdown_summary, write_reports

BACKEND_DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
FRONTEND_ID = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"


def service(name: str, **fields: Any) -> dict[str, Any]:
    """One entry of `BuildResult.as_dict()["services"]`."""
    return {
        "service": name,
        "ok": True,
        "image": f"todo-{name}:sha-0123456",
        "tags": [f"todo-{name}:sha-0123456", f"todo-{name}:dev"],
        "size": 0,
        "seconds": 0.0,
        "cache_hits": 0,
        "steps": 0,
        "image_id": "",
        "digest": "",
        "error": "",
        "log_tail": [],
        **fields,
    }


RESULT: dict[str, Any] = {
    "ok": False,
    "target": "prod",
    "platform": "linux/amd64",
    "seconds": 30.5,
    "services": [
        service(
            "backend",
            image="localhost:5000/todo/backend:sha-0123456",
            size=152_400_000,
            seconds=8.04,
            cache_hits=5,
            steps=9,
            image_id="sha256:" + "9" * 64,
            digest=BACKEND_DIGEST,
        ),
        service(
            "worker.jobs",
            ok=False,
            seconds=3.46,
            steps=2,
            error="exit code: 3",
            log_tail=["#9 0.244 forced failure of service two", "#9 ERROR: exit code: 3"],
        ),
        service(
            "frontend", size=48_960_000, seconds=21.0, cache_hits=3, steps=3, image_id=FRONTEND_ID
        ),
    ],
}


class TestHumanSize:
    """Sizes in decimal megabytes with one decimal; zero (unknown) is a dash."""

    @pytest.mark.parametrize(
        ("size", "text"),
        [
            pytest.param(0, "-", id="unknown"),
            pytest.param(40_000, "0.0 MB", id="tiny"),
            pytest.param(152_400_000, "152.4 MB", id="mb"),
            pytest.param(1_250_000_000, "1250.0 MB", id="over-a-gigabyte"),
        ],
    )
    def test_size(self, size: int, text: str) -> None:
        assert human_size(size) == text


class TestMarkdownSummary:
    """A table row per service, then the log tail of each failed service in a <details>."""

    def test_summary(self) -> None:
        assert markdown_summary(RESULT) == (
            "### dockwright build (prod, linux/amd64)\n"
            "\n"
            "| service | status | image | size | time | cache hits | digest |\n"
            "|---|---|---|---|---|---|---|\n"
            "| backend | ok | `localhost:5000/todo/backend:sha-0123456` | 152.4 MB | 8.0s | 5/9 "
            "| `sha256:0123456789ab` |\n"
            "| worker.jobs | FAILED | `todo-worker.jobs:sha-0123456` | - | 3.5s | 0/2 | `` |\n"
            "| frontend | ok | `todo-frontend:sha-0123456` | 49.0 MB | 21.0s | 3/3 "
            "| `sha256:fedcba987654` |\n"
            "\n"
            "<details><summary>worker.jobs: last log lines</summary>\n"
            "\n"
            "```\n"
            "#9 0.244 forced failure of service two\n"
            "#9 ERROR: exit code: 3\n"
            "```\n"
            "</details>\n"
        )

    def test_all_ok_has_no_details(self) -> None:
        result = {**RESULT, "services": [RESULT["services"][0]]}
        assert "<details>" not in markdown_summary(result)
        assert markdown_summary(result).endswith("| `sha256:0123456789ab` |\n")


class TestGithubOutputs:
    """version, a JSON map of the built images, and image/digest per service."""

    def test_outputs(self) -> None:
        assert github_outputs(RESULT, "1.4.2") == [
            "version=1.4.2",
            'images={"backend":"localhost:5000/todo/backend:sha-0123456",'
            '"frontend":"todo-frontend:sha-0123456"}',
            "backend-image=localhost:5000/todo/backend:sha-0123456",
            f"backend-digest={BACKEND_DIGEST}",
            "worker-jobs-image=todo-worker.jobs:sha-0123456",
            "worker-jobs-digest=",
            "frontend-image=todo-frontend:sha-0123456",
            f"frontend-digest={FRONTEND_ID}",
        ]

    def test_no_services(self) -> None:
        assert github_outputs({**RESULT, "services": []}, "2.0.0-rc.1") == [
            "version=2.0.0-rc.1",
            "images={}",
        ]


class TestWriteReports:
    """report.json always; GitHub's output and summary files appended to only when set."""

    @pytest.fixture(autouse=True)
    def no_github(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def test_outside_github_writes_only_the_report(self, tmp_path: Path) -> None:
        report = tmp_path / "build" / "nested" / "report.json"
        assert write_reports(RESULT, report, "1.4.2") == [report]
        assert report.read_text().endswith("}\n")
        assert json.loads(report.read_text()) == RESULT

    def test_report_is_replaced_not_appended(self, tmp_path: Path) -> None:
        report = tmp_path / "report.json"
        report.write_text("old")
        write_reports(RESULT, report, "1.4.2")
        assert json.loads(report.read_text()) == RESULT

    def test_in_github_appends_outputs_and_summary(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        outputs = tmp_path / "github_output"
        summary = tmp_path / "step_summary"
        outputs.write_text("earlier=step\n")
        summary.write_text("# Earlier step\n")
        monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        result = {**RESULT, "services": [RESULT["services"][0]]}
        report = tmp_path / "report.json"

        assert write_reports(result, report, "1.4.2") == [report, outputs, summary]
        assert outputs.read_text() == (
            "earlier=step\n"
            "version=1.4.2\n"
            'images={"backend":"localhost:5000/todo/backend:sha-0123456"}\n'
            "backend-image=localhost:5000/todo/backend:sha-0123456\n"
            f"backend-digest={BACKEND_DIGEST}\n"
        )
        assert summary.read_text().startswith(
            "# Earlier step\n### dockwright build (prod, linux/amd64)\n"
        )

    @pytest.mark.parametrize(
        ("variable", "written"),
        [
            pytest.param("GITHUB_OUTPUT", "version=1.4.2\n", id="outputs-only"),
            pytest.param("GITHUB_STEP_SUMMARY", "### dockwright build", id="summary-only"),
        ],
    )
    def test_each_github_file_on_its_own(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, written: str
    ) -> None:
        target = tmp_path / "github-file"
        monkeypatch.setenv(variable, str(target))
        report = tmp_path / "report.json"
        assert write_reports(RESULT, report, "1.4.2") == [report, target]
        assert target.read_text().startswith(written)
