"""CHANGELOG.md in Keep a Changelog form (https://keepachangelog.com/en/1.1.0/).

`release_changelog` turns the ``## [Unreleased]`` section into a dated release
section and keeps the link references at the bottom of the file in step.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import semver

from dockwright.errors import ConfigError
from dockwright.release.notes import merge, trim_blank
from dockwright.release.versions import parse_version

_UNRELEASED_HEADING_RE = re.compile(r"##\s+\[unreleased\]\s*", re.IGNORECASE)
_SECTION_RE = re.compile(r"##\s")
_RELEASE_HEADING_RE = re.compile(r"##\s+\[([^\]]+)\]")
_LINK_RE = re.compile(r"\[([^\]]+)\]:\s*(\S+)\s*")
_BASE_RE = re.compile(r"(?P<base>\S+?)/(?:compare|releases/tag)/\S+")


def _link_block_start(lines: list[str]) -> int:
    """Index of the link-reference block that ends the file (len(lines) if none)."""
    start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _LINK_RE.fullmatch(line):
            start = index
        elif line.strip():
            break
    return start


def _infer_base(links: list[tuple[str, str]]) -> str | None:
    ordered = sorted(links, key=lambda link: link[0].lower() != "unreleased")
    for _label, url in ordered:
        match = _BASE_RE.fullmatch(url)
        if match:
            return match["base"]
    return None


def _update_links(
    links: list[tuple[str, str]], base: str, version: str, previous: str | None
) -> list[tuple[str, str]]:
    unreleased = ("Unreleased", f"{base}/compare/v{version}...HEAD")
    if previous is None:
        release = (version, f"{base}/releases/tag/v{version}")
    else:
        release = (version, f"{base}/compare/v{previous}...v{version}")
    kept = [link for link in links if link[0].lower() != "unreleased" and link[0] != version]
    return [unreleased, release, *kept]


def release_changelog(
    text: str,
    version: str | semver.Version,
    date: dt.date,
    *,
    compare_url_base: str | None = None,
    allow_empty: bool = False,
    filename: str = "CHANGELOG.md",
    generated: Mapping[str, list[str]] | None = None,
) -> str:
    """Move the Unreleased section's entries under ``## [VERSION] - DATE``.

    An empty ``## [Unreleased]`` heading stays on top. Link references at the
    end of the file are updated when `compare_url_base` (e.g.
    ``https://github.com/org/repo``) is given or can be read from the existing
    links: ``[Unreleased]`` compares ``vVERSION...HEAD`` and ``[VERSION]``
    compares with the previous release, or points at ``/releases/tag/vVERSION``
    for the first one. Without a base the links are left untouched.

    `generated` (heading -> lines, `release.notes.grouped`) is merged into the
    hand-written entries (`release.notes.merge`).

    Raises ConfigError when there is no Unreleased heading, when `version`
    already has a section, or when Unreleased is empty (unless `allow_empty`).
    """
    label = str(parse_version(str(version), source="version"))
    lines = text.splitlines()
    heading = next(
        (i for i, line in enumerate(lines) if _UNRELEASED_HEADING_RE.fullmatch(line)), None
    )
    if heading is None:
        raise ConfigError(
            f"{filename}: no '## [Unreleased]' heading; add one above the latest release "
            "(see https://keepachangelog.com)"
        )
    links_at = _link_block_start(lines)
    body = lines[:links_at]
    end = next((i for i in range(heading + 1, len(body)) if _SECTION_RE.match(body[i])), len(body))
    released = [m[1] for line in body if (m := _RELEASE_HEADING_RE.match(line))]
    if label in released:
        raise ConfigError(f"{filename}: already has a section for {label}; bump the version")
    entries = trim_blank(body[heading + 1 : end])
    if generated:
        entries = merge(entries, dict(generated))
    if not entries and not allow_empty:
        raise ConfigError(
            f"{filename}: the Unreleased section is empty; describe the changes in {label} first"
        )
    previous = next(
        (
            m[1]
            for line in body[end:]
            if (m := _RELEASE_HEADING_RE.match(line)) and m[1].lower() != "unreleased"
        ),
        None,
    )

    new_section = [f"## [{label}] - {date.isoformat()}"]
    if entries:
        new_section += ["", *entries]
    rest = trim_blank(body[end:])
    out = [*body[: heading + 1], "", *new_section]
    if rest:
        out += ["", *rest]

    links = [(m[1], m[2]) for line in lines[links_at:] if (m := _LINK_RE.fullmatch(line))]
    base = compare_url_base.rstrip("/") if compare_url_base else _infer_base(links)
    if base is not None:
        links = _update_links(links, base, label, previous)
    if links:
        out += ["", *(f"[{name}]: {url}" for name, url in links)]
    return "\n".join(out) + "\n"


_IMAGES_HEADING_RE = re.compile(r"###\s+Images\s*", re.IGNORECASE)
_SIZE_LINE_RE = re.compile(r"-\s+(\S+)\s+(\d+(?:\.\d+)?)\s+MB\b.*")


def image_sizes(text: str) -> dict[str, dict[str, int]]:
    """version -> service -> bytes, from each release section's `### Images` lines as
    `release` writes them (`- backend 138.1 MB (...)`): the size history a fresh
    clone has, to 0.1 MB."""
    sizes: dict[str, dict[str, int]] = {}
    version, in_images = "", False
    for line in text.splitlines():
        stripped = line.strip()
        if heading := _RELEASE_HEADING_RE.match(stripped):
            version, in_images = heading[1], False
        elif stripped.startswith("### "):
            in_images = bool(_IMAGES_HEADING_RE.fullmatch(stripped))
        elif (
            in_images
            and version.lower() != "unreleased"
            and (m := _SIZE_LINE_RE.fullmatch(stripped))
        ):
            sizes.setdefault(version, {})[m[1]] = round(float(m[2]) * 1_000_000)
    return sizes
