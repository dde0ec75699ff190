"""engine/cli.py runs a real program (`sh` stands in for docker): output, errors, streams."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from dockwright.engine import cli


@pytest.fixture(autouse=True)
def sh_as_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "DOCKER", "sh")


def test_run_returns_stdout_and_passes_variables_to_the_child_only() -> None:
    out = cli.run("-c", 'printf "%s" "$DW_TEST_VALUE"', variables={"DW_TEST_VALUE": "v1"})
    assert out == "v1"
    assert "DW_TEST_VALUE" not in os.environ


def test_run_failure_keeps_stderr_and_code() -> None:
    with pytest.raises(cli.CliFailed) as caught:
        cli.run("-c", "echo partial; echo 'first' >&2; echo 'the reason' >&2; exit 3")
    assert caught.value.returncode == 3
    assert caught.value.last_line == "the reason"


def test_missing_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "DOCKER", "/nonexistent/docker")
    with pytest.raises(cli.CliFailed) as caught:
        cli.run("version")
    assert caught.value.returncode == 127


def test_stream_yields_stdout_and_stderr_in_order_then_raises() -> None:
    lines = []
    with pytest.raises(cli.CliFailed) as caught:
        for line in cli.stream("-c", "echo one; echo two >&2; echo three; exit 1"):
            lines.append(line)
    assert lines == ["one", "two", "three"]
    assert caught.value.returncode == 1
    assert caught.value.stderr.splitlines()[-1] == "three"


def test_stream_success() -> None:
    assert list(cli.stream("-c", "echo a; echo b")) == ["a", "b"]


def test_a_stream_left_early_stops_its_process(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    stream = cli.stream("-c", f"echo started; sleep 5; touch {marker}")
    assert next(stream) == "started"
    began = time.monotonic()
    stream.close()
    assert time.monotonic() - began < 3, "close() waited for the program instead of ending it"
    time.sleep(0.2)
    assert not marker.exists()
