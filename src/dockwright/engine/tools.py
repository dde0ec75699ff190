"""Find external tools: on PATH, or beside the running interpreter (pip wheels)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def find_tool(name: str, configured: str = "") -> str | None:
    """`configured` if given and present, else PATH, else the venv's bin folder."""
    if configured:
        return configured if Path(configured).is_file() else None
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else None
