"""Unit tests for dockwright.release.versions: parsing, bump rules, the VERSION file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import semver

from dockwright.config import Project, load_project
from dockwright.errors import ConfigError, VersionError
from dockwright.release.versions import (
    bump_table,
    next_version,
    parse_version,
    read_version,
    write_version,
)
from dockwright.repo.project import read_version as project_version


class TestParseVersion:
    """parse_version accepts semver with an optional leading v, and nothing else."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("1.4.2", "1.4.2", id="plain"),
            pytest.param("v1.4.2", "1.4.2", id="v-prefix"),
            pytest.param("  1.4.2\n", "1.4.2", id="surrounding-whitespace"),
            pytest.param("1.4.0-rc.1", "1.4.0-rc.1", id="prerelease"),
            pytest.param("v2.0.0-beta.3+build.7", "2.0.0-beta.3+build.7", id="v-pre-build"),
            pytest.param("0.0.0", "0.0.0", id="zero"),
        ],
    )
    def test_valid(self, text: str, expected: str) -> None:
        assert str(parse_version(text)) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("abc", id="word"),
            pytest.param("1.4", id="two-parts"),
            pytest.param("1.4.2.3", id="four-parts"),
            pytest.param("", id="empty"),
            pytest.param("v", id="only-v"),
            pytest.param("vv1.2.3", id="double-v"),
            pytest.param("V1.2.3", id="capital-v"),
            pytest.param("01.2.3", id="leading-zero"),
            pytest.param("1.2.3-", id="empty-prerelease"),
        ],
    )
    def test_invalid_raises_version_error(self, text: str) -> None:
        with pytest.raises(VersionError):
            parse_version(text)

    def test_error_is_one_line_naming_the_source(self) -> None:
        with pytest.raises(VersionError) as info:
            parse_version("abc")
        assert str(info.value) == (
            "VERSION: 'abc' is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.4.2)"
        )

    def test_source_is_configurable(self) -> None:
        with pytest.raises(VersionError, match=r"^--version: '1\.4' is not"):
            parse_version("1.4", source="--version")


BUMP_CASES = (
    # stable versions
    pytest.param("1.4.2", "major", "rc", "2.0.0", id="stable-major"),
    pytest.param("1.4.2", "minor", "rc", "1.5.0", id="stable-minor"),
    pytest.param("1.4.2", "patch", "rc", "1.4.3", id="stable-patch"),
    pytest.param("0.9.9", "minor", "rc", "0.10.0", id="zero-major-minor"),
    pytest.param("1.4.0", "prerelease", "rc", "1.4.1-rc.1", id="stable-to-rc"),
    pytest.param("1.4.0", "prerelease", "beta", "1.4.1-beta.1", id="stable-to-beta"),
    pytest.param("1.4.0", "prerelease", "alpha", "1.4.1-alpha.1", id="stable-to-alpha"),
    # counting up within a label
    pytest.param("1.4.0-rc.1", "prerelease", "rc", "1.4.0-rc.2", id="rc-count-up"),
    pytest.param("1.4.0-rc.9", "prerelease", "rc", "1.4.0-rc.10", id="rc-9-to-10"),
    pytest.param("1.4.0-rc", "prerelease", "rc", "1.4.0-rc.1", id="bare-rc-gets-number"),
    pytest.param("1.4.0-beta.1.2", "prerelease", "beta", "1.4.0-beta.1.3", id="last-num"),
    # switching label forwards (alpha < beta < rc)
    pytest.param("1.4.0-alpha.3", "prerelease", "beta", "1.4.0-beta.1", id="alpha-to-beta"),
    pytest.param("1.4.0-beta.2", "prerelease", "rc", "1.4.0-rc.1", id="beta-to-rc"),
    pytest.param("1.4.0-alpha.1", "prerelease", "rc", "1.4.0-rc.1", id="alpha-to-rc"),
    pytest.param("1.4.0-dev.3", "prerelease", "rc", "1.4.0-rc.1", id="unknown-label-to-rc"),
    pytest.param("1.4.0-7", "prerelease", "alpha", "1.4.0-alpha.1", id="numeric-to-alpha"),
    # release finalises
    pytest.param("1.4.0-rc.2", "release", "rc", "1.4.0", id="release-rc"),
    pytest.param("2.0.0-alpha.1", "release", "rc", "2.0.0", id="release-alpha"),
    # major/minor/patch of a prerelease: finalise if it is the pending one
    pytest.param("1.4.0-rc.1", "minor", "rc", "1.4.0", id="pending-minor-finalises"),
    pytest.param("1.4.1-rc.1", "minor", "rc", "1.5.0", id="patch-rc-minor-moves-on"),
    pytest.param("1.4.1-rc.1", "patch", "rc", "1.4.1", id="pending-patch-finalises"),
    pytest.param("1.4.0-rc.1", "patch", "rc", "1.4.0", id="minor-rc-patch-finalises"),
    pytest.param("2.0.0-rc.1", "major", "rc", "2.0.0", id="pending-major-finalises"),
    pytest.param("1.4.0-rc.1", "major", "rc", "2.0.0", id="minor-rc-major-moves-on"),
    # build metadata and v-prefix
    pytest.param("1.4.2+build.5", "patch", "rc", "1.4.3", id="build-dropped"),
    pytest.param("1.4.0-rc.1+b.2", "prerelease", "rc", "1.4.0-rc.2", id="pre-build-dropped"),
    pytest.param("v1.4.2", "minor", "rc", "1.5.0", id="v-prefixed-input"),
)


class TestNextVersion:
    """next_version follows semver precedence; every result sorts after the input."""

    @pytest.mark.parametrize(("current", "bump", "pre", "expected"), BUMP_CASES)
    def test_bump(self, current: str, bump: str, pre: str, expected: str) -> None:
        assert str(next_version(current, bump, pre)) == expected

    @pytest.mark.parametrize(("current", "bump", "pre", "expected"), BUMP_CASES)
    def test_result_sorts_after_current(
        self, current: str, bump: str, pre: str, expected: str
    ) -> None:
        assert next_version(current, bump, pre) > parse_version(current)

    def test_accepts_a_version_object(self) -> None:
        assert next_version(semver.Version.parse("1.2.3"), "patch") == semver.Version(1, 2, 4)

    def test_prerelease_defaults_to_rc(self) -> None:
        assert str(next_version("1.4.0", "prerelease")) == "1.4.1-rc.1"

    @pytest.mark.parametrize(
        ("current", "bump", "pre", "message"),
        [
            pytest.param(
                "1.4.0",
                "release",
                "rc",
                "1.4.0 is already a release; bump major, minor or patch (or prerelease) instead",
                id="release-of-stable",
            ),
            pytest.param(
                "1.4.0-rc.1",
                "prerelease",
                "beta",
                "cannot bump 1.4.0-rc.1 to beta: 1.4.0-beta.1 sorts before it "
                "(alpha < beta < rc); keep --pre rc or release 1.4.0 first",
                id="rc-back-to-beta",
            ),
            pytest.param(
                "1.4.0-beta.2",
                "prerelease",
                "alpha",
                "cannot bump 1.4.0-beta.2 to alpha: 1.4.0-alpha.1 sorts before it "
                "(alpha < beta < rc); keep --pre beta or release 1.4.0 first",
                id="beta-back-to-alpha",
            ),
            pytest.param(
                "1.4.0-zeta.1",
                "prerelease",
                "rc",
                "cannot bump 1.4.0-zeta.1 to rc: 1.4.0-rc.1 sorts before it "
                "(alpha < beta < rc); release 1.4.0 first",
                id="unknown-label-after-rc",
            ),
            pytest.param(
                "1.4.0",
                "huge",
                "rc",
                "unknown bump 'huge' (choose one of: major, minor, patch, prerelease, release)",
                id="unknown-bump",
            ),
            pytest.param(
                "1.4.0",
                "prerelease",
                "dev",
                "unknown prerelease label 'dev' (choose one of: alpha, beta, rc)",
                id="unknown-label",
            ),
        ],
    )
    def test_refused(self, current: str, bump: str, pre: str, message: str) -> None:
        with pytest.raises(VersionError) as info:
            next_version(current, bump, pre)
        assert str(info.value) == message


class TestBumpTable:
    """bump_table shows every bump's result, None where the bump is refused."""

    def test_prerelease_current(self) -> None:
        table = bump_table("1.4.0-rc.1")
        assert {bump: str(v) for bump, v in table.items()} == {
            "major": "2.0.0",
            "minor": "1.4.0",
            "patch": "1.4.0",
            "prerelease": "1.4.0-rc.2",
            "release": "1.4.0",
        }

    def test_stable_current_has_no_release(self) -> None:
        table = bump_table("1.4.2", pre="beta")
        assert list(table) == ["major", "minor", "patch", "prerelease", "release"]
        assert str(table["prerelease"]) == "1.4.3-beta.1"
        assert table["release"] is None

    def test_refused_label_switch_is_none(self) -> None:
        assert bump_table("1.4.0-rc.1", pre="alpha")["prerelease"] is None


class TestVersionFile:
    """read_version/write_version round-trip the VERSION file."""

    def test_round_trip_writes_without_v(self, tmp_path: Path) -> None:
        path = tmp_path / "VERSION"
        write_version(path, "v1.5.0-rc.1")
        assert path.read_text() == "1.5.0-rc.1\n"
        assert str(read_version(path)) == "1.5.0-rc.1"
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert [p.name for p in tmp_path.iterdir()] == ["VERSION"]

    def test_overwrites_existing(self, tmp_path: Path) -> None:
        path = tmp_path / "VERSION"
        path.write_text("1.4.0\n")
        write_version(path, semver.Version(1, 5, 0))
        assert read_version(path) == semver.Version(1, 5, 0)

    def test_missing_file(self, tmp_path: Path) -> None:
        path = tmp_path / "VERSION"
        with pytest.raises(VersionError) as info:
            read_version(path)
        assert str(info.value) == (
            f"{path}: file not found; create it containing the current version, e.g. 0.1.0"
        )

    def test_invalid_content_names_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "VERSION"
        path.write_text("abc\n")
        with pytest.raises(VersionError) as info:
            read_version(path)
        assert str(info.value) == (
            f"{path}: 'abc' is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.4.2)"
        )


class TestProjectVersion:
    """One reader of VERSION: the project's is `read_version` with the settings' path."""

    def _project(self, tmp_path: Path, text: str | None) -> Project:
        (tmp_path / "pyproject.toml").write_text('[tool.dockwright]\nproject = "p"\n')
        if text is not None:
            (tmp_path / "VERSION").write_text(text)
        return load_project(tmp_path)

    def test_a_leading_v_and_whitespace_are_dropped(self, tmp_path: Path) -> None:
        assert project_version(self._project(tmp_path, "v1.4.2\n")) == "1.4.2"

    @pytest.mark.parametrize("text", ["1.4", "", "latest"])
    def test_not_a_semantic_version_is_refused(self, tmp_path: Path, text: str) -> None:
        with pytest.raises(VersionError, match="is not a semantic version"):
            project_version(self._project(tmp_path, text))

    def test_missing_file_is_a_settings_error(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="VERSION does not exist; create it with a version"):
            project_version(self._project(tmp_path, None))
