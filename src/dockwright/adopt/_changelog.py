"""VERSION and CHANGELOG.md for init: the version an existing changelog is at, and the
`## [Unreleased]` heading `release` needs, added without changing anything else."""

from __future__ import annotations

import re
from pathlib import Path

from dockwright.adopt._files import FileChange

CHANGELOG_MD = """# Changelog

All notable changes to this project are documented here. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) and the project uses
[Semantic Versioning](https://semver.org/).

## [Unreleased]
"""


def version_from_tag(tag: str | None, changelog: str | None = None) -> str:
    """`v1.4.2` -> `1.4.2`; no tag (or not a version): the changelog's highest, else `0.1.0`."""
    import semver

    text = (tag or "").removeprefix("v")
    if text and semver.Version.is_valid(text):
        return text
    return changelog_version(changelog or "") or "0.1.0"


# `## [1.4.2] - 2026-03-01`, `## 1.4.2`, `## v1.4.2 - date`, `### [1.4.2](link) (date)`,
# `# Version 1.4.2`: a heading whose first word is a version.
_VERSION_HEADING = re.compile(
    r"#{1,3}\s+(?:(?:version|release)\s+)?\[?v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)\]?(?:[\s(:]|$)",
    re.IGNORECASE,
)
_UNRELEASED = re.compile(r"##\s+\[unreleased\]\s*", re.IGNORECASE)
_UNRELEASED_BARE = re.compile(r"##\s+unreleased\s*:?\s*", re.IGNORECASE)


def _headings(lines: list[str]) -> list[tuple[int, str]]:
    """(index, line) of the Markdown lines outside code fences that start with `#`."""
    found, fenced = [], False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.append((index, line.rstrip()))
    return found


def changelog_version(text: str) -> str | None:
    """The highest version a changelog has a heading for (None when it has none)."""
    import semver

    versions = [
        semver.Version.parse(m[1])
        for _i, line in _headings(text.splitlines())
        if (m := _VERSION_HEADING.match(line)) and semver.Version.is_valid(m[1])
    ]
    return str(max(versions)) if versions else None


def with_unreleased(text: str) -> tuple[str, str]:
    """`text` with an `## [Unreleased]` heading release can fill, and a diff-like preview.

    A bare `## Unreleased` gets its brackets; otherwise the heading goes above the
    first `## ` heading (at the end when there is none). Nothing else changes.
    """
    eol = "\r\n" if "\r\n" in text else "\n"  # a CRLF file stays CRLF
    lines = text.splitlines()
    headings = _headings(lines)
    bare = next((i for i, line in headings if _UNRELEASED_BARE.fullmatch(line)), None)
    if bare is not None:
        new = [*lines[:bare], "## [Unreleased]", *lines[bare + 1 :]]
        preview = f"@@ line {bare + 1} @@\n-{lines[bare]}\n+## [Unreleased]"
        return eol.join(new) + eol, preview
    first = next((i for i, line in headings if line.startswith("## ")), None)
    if first is None:
        kept = eol.join(lines).rstrip(eol)
        new_text = (kept + eol + eol if kept else "") + "## [Unreleased]" + eol
        return new_text, "@@ end of file @@\n+## [Unreleased]"
    new = [*lines[:first], "## [Unreleased]", "", *lines[first:]]
    preview = f"@@ line {first + 1} @@\n+## [Unreleased]\n+\n {lines[first]}"
    return eol.join(new) + eol, preview


def plan_changelog(root: Path, path: str = "CHANGELOG.md") -> FileChange:
    """A new Keep a Changelog file, or an `## [Unreleased]` heading added (never replaced)."""
    file = root / path
    if not file.is_file():
        return FileChange(path=path, action="create", text=CHANGELOG_MD, preview=CHANGELOG_MD)
    with file.open(encoding="utf-8", newline="") as handle:  # keep CRLF as it is
        text = handle.read()
    if any(_UNRELEASED.fullmatch(line) for _i, line in _headings(text.splitlines())):
        return FileChange(path=path, action="keep", reason="has an ## [Unreleased] section")
    new, preview = with_unreleased(text)
    return FileChange(path=path, action="update", text=new, preview=preview)
