"""The groups `pytest -n` keeps on one worker (tests/conftest.py): a renamed or removed
test file must not silently leave its group and run beside the files it shares with."""

from __future__ import annotations

from tests.conftest import GROUPS, ROOT, group_of


def test_every_grouped_file_exists_and_is_in_one_group() -> None:
    names = [name for members in GROUPS.values() for name in members]
    assert len(names) == len(set(names))
    missing = [n for n in names if not (ROOT / "tests" / "engine" / f"{n}.py").is_file()]
    assert missing == []


def test_a_group_is_one_scope_and_other_files_are_their_own() -> None:
    assert group_of("tests/engine/test_release.py::TestRelease::test_x") == "mini"
    assert group_of("tests/engine/test_release_faults.py::test_y[a]") == "mini"
    assert group_of("tests/engine/test_replay.py::test_ci_job[smoke]") == "stack"
    assert group_of("tests/engine/test_scan_task.py::TestScan::test_z") == (
        "tests/engine/test_scan_task.py"
    )
    assert group_of("tests/unit/test_cli.py::test_a") == "tests/unit/test_cli.py"
