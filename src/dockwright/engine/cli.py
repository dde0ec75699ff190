"""The docker CLI run directly, for the calls on every build's path: the engine's
version, `compose config`, `buildx inspect`, `buildx bake` and `image inspect`.

python-on-whales runs the same commands, but importing it builds its pydantic
models (0.2 to 0.4 s), more than a warm no-op bake takes. The rest of `engine/`
keeps using it. Variables go to the child's environment (`env=`); this
process's own is never written.
"""

from __future__ import annotations

import os
import subprocess
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path

DOCKER = "docker"
KEEP = 200  # lines of a failed stream kept for its error


class CliFailed(Exception):
    """A docker command exited non-zero; `stderr` is its own text."""

    def __init__(self, words: str, returncode: int, stderr: str) -> None:
        super().__init__(f"{words} exited {returncode}")
        self.returncode = returncode
        self.stderr = stderr

    @property
    def last_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit code {self.returncode}"


def _env(variables: Mapping[str, str] | None) -> dict[str, str] | None:
    return {**os.environ, **variables} if variables else None


def run(*args: str, variables: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """`docker ARGS`; its stdout, or CliFailed. No secret is ever an argument here."""
    try:
        proc = subprocess.run(
            [DOCKER, *args],
            capture_output=True,
            text=True,
            env=_env(variables),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise CliFailed(f"docker {args[0]}", 127, "docker: command not found") from exc
    if proc.returncode != 0:
        raise CliFailed(f"docker {args[0]}", proc.returncode, proc.stderr)
    return proc.stdout


def stream(*args: str, variables: Mapping[str, str] | None = None) -> Iterator[str]:
    """`docker ARGS`, yielding each line of its stdout and stderr as it comes;
    CliFailed (with the last lines) when it exits non-zero."""
    try:
        proc = subprocess.Popen(
            [DOCKER, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=_env(variables),
        )
    except FileNotFoundError as exc:
        raise CliFailed(f"docker {args[0]}", 127, "docker: command not found") from exc
    last: deque[str] = deque(maxlen=KEEP)
    assert proc.stdout is not None
    done = False
    try:
        for line in proc.stdout:
            line = line.rstrip("\n")
            last.append(line)
            yield line
        done = True
    finally:
        if not done:
            # The caller stopped reading (Ctrl-C, an error): do not leave it running.
            proc.terminate()
        proc.stdout.close()
        code = proc.wait()
    if code != 0:
        raise CliFailed(f"docker {args[0]}", code, "\n".join(last))
