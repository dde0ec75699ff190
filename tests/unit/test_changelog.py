"""Unit tests for dockwright.release.changelog: releasing the Unreleased section."""

from __future__ import annotations

import datetime as dt

import pytest

from dockwright.errors import ConfigError
from dockwright.release.changelog import release_changelog

DATE = dt.date(2025, 6, 10)

HEADER = """\
# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).
"""

CHANGELOG = (
    HEADER
    + """
## [Unreleased]

### Added
- `invoke release --bump` computes image tags from what the registry holds.

### Fixed
- Build secrets no longer end up in the cache export.

## [1.3.0] - 2025-05-02

### Added
- Trivy as an alternative scanner.

## [1.2.0] - 2025-03-14

### Changed
- The dev override mounts the source read-only.

[Unreleased]: https://github.com/acme/todo/compare/v1.3.0...HEAD
[1.3.0]: https://github.com/acme/todo/compare/v1.2.0...v1.3.0
[1.2.0]: https://github.com/acme/todo/releases/tag/v1.2.0
"""
)

RELEASED_1_4_0 = (
    HEADER
    + """
## [Unreleased]

## [1.4.0] - 2025-06-10

### Added
- `invoke release --bump` computes image tags from what the registry holds.

### Fixed
- Build secrets no longer end up in the cache export.

## [1.3.0] - 2025-05-02

### Added
- Trivy as an alternative scanner.

## [1.2.0] - 2025-03-14

### Changed
- The dev override mounts the source read-only.

[Unreleased]: https://github.com/acme/todo/compare/v1.4.0...HEAD
[1.4.0]: https://github.com/acme/todo/compare/v1.3.0...v1.4.0
[1.3.0]: https://github.com/acme/todo/compare/v1.2.0...v1.3.0
[1.2.0]: https://github.com/acme/todo/releases/tag/v1.2.0
"""
)

FIRST = (
    HEADER
    + """
## [Unreleased]

### Added
- Parallel builds of every service.
"""
)


class TestReleaseChangelog:
    """The Unreleased entries move under a dated heading; an empty Unreleased stays on top."""

    def test_links_inferred_from_existing_references(self) -> None:
        assert release_changelog(CHANGELOG, "1.4.0", DATE) == RELEASED_1_4_0

    def test_explicit_base_with_trailing_slash(self) -> None:
        out = release_changelog(
            CHANGELOG, "1.4.0", DATE, compare_url_base="https://github.com/acme/todo/"
        )
        assert out == RELEASED_1_4_0

    def test_v_prefixed_version(self) -> None:
        assert release_changelog(CHANGELOG, "v1.4.0", DATE) == RELEASED_1_4_0

    def test_first_release_with_base_links_to_the_tag(self) -> None:
        out = release_changelog(FIRST, "0.1.0", DATE, compare_url_base="https://git.acme.dev/todo")
        assert out == (
            HEADER
            + """
## [Unreleased]

## [0.1.0] - 2025-06-10

### Added
- Parallel builds of every service.

[Unreleased]: https://git.acme.dev/todo/compare/v0.1.0...HEAD
[0.1.0]: https://git.acme.dev/todo/releases/tag/v0.1.0
"""
        )

    def test_without_base_or_links_no_links_are_added(self) -> None:
        out = release_changelog(FIRST, "0.1.0", DATE)
        assert out == (
            HEADER
            + """
## [Unreleased]

## [0.1.0] - 2025-06-10

### Added
- Parallel builds of every service.
"""
        )

    def test_second_release_compares_with_the_first(self) -> None:
        base = "https://github.com/acme/todo"
        once = release_changelog(FIRST, "0.1.0", DATE, compare_url_base=base)
        edited = once.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n- Typo.\n", 1)
        twice = release_changelog(edited, "0.1.1", dt.date(2025, 6, 11))
        assert twice.endswith(
            "## [0.1.1] - 2025-06-11\n\n### Fixed\n- Typo.\n\n"
            "## [0.1.0] - 2025-06-10\n\n### Added\n- Parallel builds of every service.\n\n"
            f"[Unreleased]: {base}/compare/v0.1.1...HEAD\n"
            f"[0.1.1]: {base}/compare/v0.1.0...v0.1.1\n"
            f"[0.1.0]: {base}/releases/tag/v0.1.0\n"
        )

    def test_prerelease_version_and_unknown_links_kept(self) -> None:
        text = CHANGELOG + "[keep]: https://keepachangelog.com/en/1.1.0/\n"
        out = release_changelog(text, "1.4.0-rc.1", DATE)
        assert "## [Unreleased]\n\n## [1.4.0-rc.1] - 2025-06-10\n\n### Added\n" in out
        assert out.endswith(
            "[Unreleased]: https://github.com/acme/todo/compare/v1.4.0-rc.1...HEAD\n"
            "[1.4.0-rc.1]: https://github.com/acme/todo/compare/v1.3.0...v1.4.0-rc.1\n"
            "[1.3.0]: https://github.com/acme/todo/compare/v1.2.0...v1.3.0\n"
            "[1.2.0]: https://github.com/acme/todo/releases/tag/v1.2.0\n"
            "[keep]: https://keepachangelog.com/en/1.1.0/\n"
        )

    def test_unreleased_heading_case_and_crlf_tolerated(self) -> None:
        text = "# Changelog\r\n\r\n## [unreleased]\r\n\r\n- One change.\r\n"
        assert release_changelog(text, "1.0.0", DATE) == (
            "# Changelog\n\n## [unreleased]\n\n## [1.0.0] - 2025-06-10\n\n- One change.\n"
        )

    def test_allow_empty(self) -> None:
        text = HEADER + "\n## [Unreleased]\n\n## [1.3.0] - 2025-05-02\n\n- Something.\n"
        out = release_changelog(text, "1.3.1", DATE, allow_empty=True)
        assert out == (
            HEADER + "\n## [Unreleased]\n\n## [1.3.1] - 2025-06-10\n\n## [1.3.0] - 2025-05-02\n\n"
            "- Something.\n"
        )


class TestReleaseChangelogRefusals:
    """Each refusal is one ConfigError line saying what to do."""

    @pytest.mark.parametrize(
        ("text", "version", "message"),
        [
            pytest.param(
                "# Changelog\n\n## [1.3.0] - 2025-05-02\n\n- Something.\n",
                "1.4.0",
                "CHANGELOG.md: no '## [Unreleased]' heading; add one above the latest release "
                "(see https://keepachangelog.com)",
                id="no-unreleased-heading",
            ),
            pytest.param(
                "# Changelog\n\n### [Unreleased]\n\n- Something.\n",
                "1.4.0",
                "CHANGELOG.md: no '## [Unreleased]' heading; add one above the latest release "
                "(see https://keepachangelog.com)",
                id="wrong-heading-level",
            ),
            pytest.param(
                HEADER + "\n## [Unreleased]\n\n\n## [1.3.0] - 2025-05-02\n\n- Something.\n",
                "1.4.0",
                "CHANGELOG.md: the Unreleased section is empty; "
                "describe the changes in 1.4.0 first",
                id="empty-unreleased",
            ),
            pytest.param(
                CHANGELOG,
                "1.3.0",
                "CHANGELOG.md: already has a section for 1.3.0; bump the version",
                id="version-already-released",
            ),
        ],
    )
    def test_refused(self, text: str, version: str, message: str) -> None:
        with pytest.raises(ConfigError) as info:
            release_changelog(text, version, DATE)
        assert str(info.value) == message


def test_generated_notes_are_merged_into_the_section() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n### Added\n- By hand.\n\n## [0.1.0] - 2025-01-01\n"
    out = release_changelog(
        text, "0.2.0", DATE, generated={"Added": ["- by commit (abc1234)"], "Fixed": ["- f (1)"]}
    )
    assert out == (
        "# Changelog\n\n## [Unreleased]\n\n"
        f"## [0.2.0] - {DATE.isoformat()}\n\n"
        "### Added\n\n- By hand.\n- by commit (abc1234)\n\n### Fixed\n\n- f (1)\n\n"
        "## [0.1.0] - 2025-01-01\n"
    )


def test_generated_notes_fill_an_empty_unreleased_section() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2025-01-01\n"
    out = release_changelog(text, "0.1.1", DATE, generated={"Fixed": ["- f (abc1234)"]})
    assert f"## [0.1.1] - {DATE.isoformat()}\n\n### Fixed\n\n- f (abc1234)\n" in out
