"""Unit tests for dockwright.build.progress, fed real `docker buildx bake --progress plain` logs.

The logs in tests/fixtures/bake/ were captured from buildx 0.13.1 (see its README).
Each line is fed with its 1-based line number as the clock reading, so start and
finish times below are line numbers of the saved log.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockwright.build.progress import BakeProgress, TargetProgress

BAKE_LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "bake"
TWO_ERROR = (
    'process "/bin/sh -c test \\"$FAIL\\" = 0 || (echo \\"forced failure of service two\\" >&2; '
    'exit 3)" did not complete successfully: exit code: 3'
)


def replay(log: str, targets: list[str]) -> BakeProgress:
    progress = BakeProgress(targets)
    text = (BAKE_LOGS / log).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        progress.feed(line, float(number))
    return progress


class TestTwoTargetsOneFailing:
    """With `two` failing, `two` is failed with BuildKit's error and `one` is still open."""

    @pytest.fixture
    def progress(self) -> BakeProgress:
        return replay("mini-one-two-fail.log", ["one", "two"])

    def test_only_the_failing_target_is_failed(self, progress: BakeProgress) -> None:
        assert progress.failed() == ["two"]
        assert progress.targets["one"].state == "building"

    def test_failed_target_keeps_the_step_error_without_prefix(
        self, progress: BakeProgress
    ) -> None:
        assert progress.targets["two"].error == TWO_ERROR

    @pytest.mark.parametrize(
        ("target", "cached", "steps"),
        [
            # one: #2 DONE, #5 DONE, #10 DONE, #11 DONE.
            pytest.param("one", 0, 4, id="one"),
            # two: #3 #4 #6 DONE, #7 CACHED, #8 DONE; #9 errored (not a step).
            pytest.param("two", 1, 5, id="two"),
        ],
    )
    def test_counts_steps_and_cache_hits_per_target(
        self, progress: BakeProgress, target: str, cached: int, steps: int
    ) -> None:
        assert (progress.targets[target].cached, progress.targets[target].steps) == (cached, steps)

    @pytest.mark.parametrize(
        ("target", "step"),
        [
            pytest.param("one", '1/1 RUN echo "one 0.0.0" > /app.txt', id="one-export-keeps-step"),
            pytest.param(
                "two",
                '1/2 RUN test "1" = 0 || (echo "forced failure of service two" >&',
                id="two-cut-at-60-chars",
            ),
        ],
    )
    def test_step_is_the_last_numbered_vertex(
        self, progress: BakeProgress, target: str, step: str
    ) -> None:
        assert progress.targets[target].step == step

    def test_timing_runs_from_first_vertex_to_error(self, progress: BakeProgress) -> None:
        two = progress.targets["two"]
        # Line 11 is `#3 [two internal] ...`, line 34 `#9 ERROR: ...`.
        assert (two.started, two.finished) == (11.0, 34.0)
        assert two.elapsed(now=99.0) == 23.0

    def test_log_keeps_the_failing_step_output(self, progress: BakeProgress) -> None:
        log = list(progress.targets["two"].log)
        assert log[-3:] == [
            '#9 [two two 1/2] RUN test "1" = 0 || (echo "forced failure of service two" >&2; '
            "exit 3)",
            "#9 0.244 forced failure of service two",
            f"#9 ERROR: {TWO_ERROR}",
        ]

    def test_log_has_only_own_vertex_lines(self, progress: BakeProgress) -> None:
        # #3 #4 #6 #7 #8 headers and statuses, #9 header, output and error.
        assert len(progress.targets["two"].log) == 13
        assert not any("[one" in line for line in progress.targets["two"].log)

    def test_finish_after_failed_bake_marks_open_target_interrupted(
        self, progress: BakeProgress
    ) -> None:
        progress.finish(60.0, success=False)
        one = progress.targets["one"]
        assert (one.state, one.started, one.finished) == ("interrupted", 7.0, 60.0)
        assert progress.targets["two"].state == "failed"
        assert progress.targets["two"].finished == 34.0


class TestTwoTargetsSucceeding:
    """A cached two-target bake: per-target counts, and both done once bake returns 0."""

    @pytest.fixture
    def progress(self) -> BakeProgress:
        progress = replay("mini-one-two-ok.log", ["one", "two"])
        progress.finish(52.0, success=True)
        return progress

    def test_every_target_done_none_failed(self, progress: BakeProgress) -> None:
        assert {t: tp.state for t, tp in progress.targets.items()} == {
            "one": "done",
            "two": "done",
        }
        assert progress.failed() == []

    @pytest.mark.parametrize(
        ("target", "cached", "steps", "step"),
        [
            # one: #2 #5 DONE, #7 CACHED, #12 DONE.
            pytest.param("one", 1, 4, '1/1 RUN echo "one 0.0.0" > /app.txt', id="one"),
            # two: #3 #4 #6 #8 DONE, #9 #10 #11 CACHED, #13 DONE.
            pytest.param("two", 3, 8, "2/2 RUN echo two > /app.txt", id="two"),
        ],
    )
    def test_counts_and_last_step(
        self, progress: BakeProgress, target: str, cached: int, steps: int, step: str
    ) -> None:
        tp = progress.targets[target]
        assert (tp.cached, tp.steps, tp.step) == (cached, steps, step)


class TestSingleTarget:
    """A one-target bake has no target prefix in vertex names; every vertex is that target's."""

    def test_failing_single_target_counts_all_its_vertices(self) -> None:
        progress = replay("mini-two-fail.log", ["two"])
        two = progress.targets["two"]
        # #1 #3 #4 #5 DONE, #2 #6 CACHED; #7 errored.
        assert (two.state, two.cached, two.steps) == ("failed", 2, 6)
        assert two.error == TWO_ERROR
        assert two.started == 3.0  # `#1 [internal] load local bake definitions`

    def test_succeeding_single_target_is_done_with_its_counts(self) -> None:
        progress = replay("echo-status-like-output.log", ["echo"])
        progress.finish(40.0, success=True)
        echo = progress.targets["echo"]
        # #1-#4 DONE, #5 CACHED, #6 DONE; #7 `exporting to image` has no [name].
        assert (echo.state, echo.cached, echo.steps) == ("done", 1, 6)
        assert echo.step == "2/2 RUN printf 'CACHED\\nDONE 1.5s\\nfinished\\n'"


class TestStepOutput:
    """A step's own output is logged but never read as a status, even when it looks like one."""

    def test_output_lines_like_cached_and_done_do_not_count(self) -> None:
        progress = replay("echo-status-like-output.log", ["echo"])
        echo = progress.targets["echo"]
        assert (echo.cached, echo.steps) == (1, 6)
        assert "#6 0.255 DONE 1.5s" in echo.log
        assert echo.state == "building"


class TestUnrelatedLines:
    """Lines of no known vertex or another bake's target change nothing."""

    @pytest.mark.parametrize(
        "line",
        [
            pytest.param('#0 building with "default" instance using docker driver', id="header"),
            pytest.param("#1 [internal] load local bake definitions", id="bake-internal"),
            pytest.param("#4 [other 1/2] FROM docker.io/library/alpine:3.20", id="other-target"),
            pytest.param("#42 DONE 0.1s", id="status-of-unknown-vertex"),
            pytest.param("#42 0.5 some output", id="output-of-unknown-vertex"),
            pytest.param("ERROR: target other: failed to solve", id="error-of-other-target"),
            pytest.param("ERROR: failed to solve: exit code: 3", id="bake-summary-error"),
            pytest.param("", id="empty"),
        ],
    )
    def test_line_is_ignored(self, line: str) -> None:
        progress = BakeProgress(["one", "two"])
        progress.feed(line, 1.0)
        for tp in progress.targets.values():
            assert (tp.state, tp.started, len(tp.log)) == ("waiting", None, 0)


class TestTargetErrorLine:
    """An `ERROR: target <name>: <why>` summary line fails that target with its reason."""

    def test_target_error_line_fails_the_named_target(self) -> None:
        progress = BakeProgress(["one", "two"])
        progress.feed("ERROR: target two: failed to solve: exit code: 3\n", 5.0)
        two = progress.targets["two"]
        assert (two.state, two.error, two.finished) == (
            "failed",
            "failed to solve: exit code: 3",
            5.0,
        )
        assert progress.failed() == ["two"]


class TestFinish:
    """finish closes every open target: done on success, interrupted otherwise."""

    @pytest.mark.parametrize(
        ("success", "state"),
        [pytest.param(True, "done", id="success"), pytest.param(False, "interrupted", id="fail")],
    )
    def test_target_never_started_starts_and_ends_at_finish(
        self, success: bool, state: str
    ) -> None:
        progress = BakeProgress(["one", "two"])
        progress.finish(8.0, success=success)
        one = progress.targets["one"]
        assert (one.state, one.started, one.finished, one.elapsed(20.0)) == (state, 8.0, 8.0, 0.0)


class TestElapsed:
    """elapsed is 0 before a start, runs to `now` while open, and stops at finish."""

    @pytest.mark.parametrize(
        ("started", "finished", "expected"),
        [
            pytest.param(None, None, 0.0, id="not-started"),
            pytest.param(2.0, None, 8.0, id="running-until-now"),
            pytest.param(2.0, 5.5, 3.5, id="finished"),
        ],
    )
    def test_elapsed(self, started: float | None, finished: float | None, expected: float) -> None:
        tp = TargetProgress("one", started=started, finished=finished)
        assert tp.elapsed(10.0) == expected
