"""Nox entry point: dockwright's sessions for this repository."""

import sys
from pathlib import Path

# `nox` may run from an interpreter where dockwright is not installed.
sys.path.insert(0, str(Path(__file__).parent / "src"))

from dockwright.sessions import *  # noqa: F403
