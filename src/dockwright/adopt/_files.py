"""The files init writes, as values: `FileChange`, and where the settings go."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_SECTION_HEADER = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?")


def strip_section(text: str, name: str = "tool.dockwright") -> str:
    """TOML `text` without the `[name]` table and its sub-tables."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if m := _SECTION_HEADER.fullmatch(line.rstrip("\n")):
            header = m[1].replace(" ", "")
            inside = header == name or header.startswith(name + ".")
        if not inside:
            out.append(line)
    return "".join(out)


@dataclass(frozen=True, kw_only=True)
class FileChange:
    """One file init writes: `create`, `append` (to pyproject), `replace`, or `keep`."""

    path: str
    action: str
    text: str = ""
    reason: str = ""
    # What --dry-run shows: the whole text, or only the appended section.
    preview: str = ""


def plan_file(root: Path, path: str, text: str, *, force: bool) -> FileChange:
    if (root / path).exists():
        if not force:
            return FileChange(path=path, action="keep", reason="exists; --force replaces it")
        return FileChange(path=path, action="replace", text=text, preview=text)
    return FileChange(path=path, action="create", text=text, preview=text)


def plan_settings(root: Path, body: dict[str, str], *, force: bool) -> FileChange:
    """Where the settings go: pyproject.toml's [tool.dockwright] if there is a
    pyproject.toml, else dockwright.toml. `body` has both renderings by `table`/`top`."""
    import tomllib

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or (root / "dockwright.toml").is_file():
        return plan_file(root, "dockwright.toml", body["top"], force=force)
    text = pyproject.read_text(encoding="utf-8")
    try:
        has = "dockwright" in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError as exc:
        return FileChange(path="pyproject.toml", action="keep", reason=f"invalid TOML: {exc}")
    if has and not force:
        return FileChange(
            path="pyproject.toml",
            action="keep",
            reason="has [tool.dockwright]; --force replaces it",
        )
    kept = strip_section(text) if has else text
    new = kept.rstrip("\n") + "\n\n" + body["table"]
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        return FileChange(
            path="pyproject.toml", action="keep", reason=f"appending would break it: {exc}"
        )
    return FileChange(
        path="pyproject.toml",
        action="replace" if has else "append",
        text=new,
        preview=body["table"],
    )
