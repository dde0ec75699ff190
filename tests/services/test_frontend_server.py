"""Runs the frontend server's own tests (``node --test``) inside the pytest suite."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_frontend_server_node_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not on PATH; install Node.js 20 (Debian: apt-get install nodejs)")
        pytest.skip(reason="node is not on PATH; install Node.js 20 to run the frontend's tests")
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(HERE / "frontend" / "server.test.js")],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
