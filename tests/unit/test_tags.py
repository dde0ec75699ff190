"""Unit tests for dockwright.release.tags: which tags a build gets, and when floating tags move."""

from __future__ import annotations

import pytest

from dockwright.errors import ConfigError, VersionError
from dockwright.release.tags import TAG_RE, Flavor, TagPlan, plan_tags, short_sha

SHA = "0123abcdef4567890123abcdef4567890123abcd"
SHORT = "sha-0123abc"


class TestPlanTagsLatestRule:
    """A floating tag moves only if this version is the highest stable one in its scope."""

    @pytest.mark.parametrize(
        ("version", "published", "expected"),
        [
            pytest.param("1.4.2", [], ("1.4.2", "1.4", "1", "latest", SHORT), id="first-release"),
            pytest.param("v1.4.2", [], ("1.4.2", "1.4", "1", "latest", SHORT), id="v-prefix"),
            pytest.param(
                "1.4.3",
                ["1.4.0", "1.4.2", "1.3.9", "0.9.0"],
                ("1.4.3", "1.4", "1", "latest", SHORT),
                id="newest-patch-moves-all",
            ),
            pytest.param(
                "1.3.5",
                ["1.3.4", "1.4.0"],
                ("1.3.5", "1.3", SHORT),
                id="backport-moves-only-its-minor",
            ),
            pytest.param(
                "1.4.1",
                ["1.4.0", "1.4.3"],
                ("1.4.1", SHORT),
                id="older-patch-moves-nothing",
            ),
            pytest.param(
                "1.9.0",
                ["1.8.0", "2.0.0"],
                ("1.9.0", "1.9", "1", SHORT),
                id="old-major-line-keeps-latest-away",
            ),
            pytest.param(
                "2.0.0",
                ["1.9.9", "1.10.0"],
                ("2.0.0", "2.0", "2", "latest", SHORT),
                id="new-major",
            ),
            pytest.param(
                "1.4.3",
                ["1.4.3", "1.4", "1", "latest", "sha-9999999"],
                ("1.4.3", "1.4", "1", "latest", SHORT),
                id="re-release-of-highest-keeps-floating",
            ),
            pytest.param(
                "1.10.0",
                ["1.9.0", "1.2.0"],
                ("1.10.0", "1.10", "1", "latest", SHORT),
                id="numeric-not-lexical-order",
            ),
            pytest.param(
                "1.4.2",
                ["1.4.3-rc.1", "1.5.0-rc.1", "2.0.0-alpha.1"],
                ("1.4.2", "1.4", "1", "latest", SHORT),
                id="published-prereleases-ignored",
            ),
            pytest.param(
                "1.4.2",
                ["latest", "sha-abc1234", "1.4", "1", "edge", "1.4.9.1", "v", "9.9", ""],
                ("1.4.2", "1.4", "1", "latest", SHORT),
                id="non-semver-registry-tags-ignored",
            ),
            pytest.param(
                "1.4.2",
                ["v1.4.5"],
                ("1.4.2", SHORT),
                id="v-prefixed-published-counts",
            ),
            pytest.param(
                "1.4.2",
                ["1.4.2-build.5", "1.4.9-build.1"],
                ("1.4.2", "1.4", "1", "latest", SHORT),
                id="sanitised-build-tags-read-as-prereleases",
            ),
            pytest.param(
                "0.3.1", [], ("0.3.1", "0.3", "0", "latest", SHORT), id="major-zero-0-tag"
            ),
            pytest.param("0.3.1", ["0.4.0"], ("0.3.1", "0.3", SHORT), id="major-zero-backport"),
        ],
    )
    def test_stable(self, version: str, published: list[str], expected: tuple[str, ...]) -> None:
        assert plan_tags(version, sha=SHA, published=published).all == expected

    @pytest.mark.parametrize(
        ("version", "published", "expected"),
        [
            pytest.param("1.5.0-rc.1", [], ("1.5.0-rc.1", SHORT), id="rc-only-full-version"),
            pytest.param("v2.0.0-beta.3", [], ("2.0.0-beta.3", SHORT), id="v-prefixed-beta"),
            pytest.param(
                "9.0.0-alpha.1", ["1.0.0"], ("9.0.0-alpha.1", SHORT), id="highest-pre-no-latest"
            ),
        ],
    )
    def test_prerelease_gets_only_full_version(
        self, version: str, published: list[str], expected: tuple[str, ...]
    ) -> None:
        plan = plan_tags(version, sha=SHA, published=published)
        assert plan.all == expected
        assert plan.floating == ()


class TestPlanTagsShape:
    """TagPlan separates tags that must never move from tags that do."""

    def test_immutable_and_floating(self) -> None:
        plan = plan_tags("1.4.2", sha=SHA)
        assert plan == TagPlan(immutable=("1.4.2", SHORT), floating=("1.4", "1", "latest"))

    def test_all_order_is_version_minor_major_latest_sha(self) -> None:
        plan = TagPlan(immutable=("a", "z"), floating=("b", "c", "d"))
        assert plan.all == ("a", "b", "c", "d", "z")

    def test_accepts_semver_object(self) -> None:
        import semver

        assert plan_tags(semver.Version.parse("3.1.4"), sha=SHA).immutable == ("3.1.4", SHORT)

    def test_invalid_version(self) -> None:
        with pytest.raises(VersionError) as info:
            plan_tags("1.4", sha=SHA)
        assert str(info.value) == (
            "version: '1.4' is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.4.2)"
        )


class TestBuildMetadata:
    """Build metadata stays in the version tag, '+' becoming '-' (metadata-action's sanitizeTag)."""

    @pytest.mark.parametrize(
        ("version", "expected"),
        [
            pytest.param(
                "1.4.2+build.5",
                ("1.4.2-build.5", "1.4", "1", "latest", SHORT),
                id="stable-with-build",
            ),
            pytest.param(
                "1.5.0-rc.1+exp.sha.5114f85",
                ("1.5.0-rc.1-exp.sha.5114f85", SHORT),
                id="prerelease-with-build",
            ),
        ],
    )
    def test_plus_becomes_dash(self, version: str, expected: tuple[str, ...]) -> None:
        plan = plan_tags(version, sha=SHA)
        assert plan.all == expected
        assert all(TAG_RE.fullmatch(tag) for tag in plan.all)

    def test_build_metadata_does_not_affect_precedence(self) -> None:
        plan = plan_tags("1.4.2+build.1", sha=SHA, published=["1.4.2"])
        assert plan.floating == ("1.4", "1", "latest")


class TestFlavor:
    """prefix/suffix go on every tag, latest and sha- included."""

    @pytest.mark.parametrize(
        ("version", "flavor", "expected"),
        [
            pytest.param(
                "1.4.2",
                Flavor(latest=False),
                ("1.4.2", "1.4", "1", SHORT),
                id="latest-opt-out",
            ),
            pytest.param(
                "1.4.2",
                Flavor(prefix="debian-"),
                ("debian-1.4.2", "debian-1.4", "debian-1", "debian-latest", "debian-sha-0123abc"),
                id="prefix",
            ),
            pytest.param(
                "1.4.2",
                Flavor(suffix="-alpine"),
                ("1.4.2-alpine", "1.4-alpine", "1-alpine", "latest-alpine", "sha-0123abc-alpine"),
                id="suffix",
            ),
            pytest.param(
                "1.4.2",
                Flavor(prefix="pg16-", suffix="-slim"),
                (
                    "pg16-1.4.2-slim",
                    "pg16-1.4-slim",
                    "pg16-1-slim",
                    "pg16-latest-slim",
                    "pg16-sha-0123abc-slim",
                ),
                id="prefix-and-suffix",
            ),
            pytest.param(
                "1.4.2",
                Flavor(suffix="-alpine", latest=False),
                ("1.4.2-alpine", "1.4-alpine", "1-alpine", "sha-0123abc-alpine"),
                id="suffix-latest-opt-out",
            ),
            pytest.param(
                "1.5.0-rc.1",
                Flavor(suffix="-alpine"),
                ("1.5.0-rc.1-alpine", "sha-0123abc-alpine"),
                id="prerelease-with-suffix",
            ),
        ],
    )
    def test_flavor(self, version: str, flavor: Flavor, expected: tuple[str, ...]) -> None:
        assert plan_tags(version, sha=SHA, flavor=flavor).all == expected

    def test_latest_opt_out_still_moves_minor_and_major(self) -> None:
        plan = plan_tags("1.3.5", sha=SHA, published=["1.4.0"], flavor=Flavor(latest=False))
        assert plan.floating == ("1.3",)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param(
                {"prefix": "team/"},
                "tag prefix 'team/' may only contain letters, digits, '_', '.' and '-'",
                id="slash-in-prefix",
            ),
            pytest.param(
                {"suffix": "+x"},
                "tag suffix '+x' may only contain letters, digits, '_', '.' and '-'",
                id="plus-in-suffix",
            ),
            pytest.param(
                {"prefix": "-x"},
                "tag prefix '-x' must not start with '.' or '-'",
                id="prefix-starts-with-dash",
            ),
        ],
    )
    def test_invalid_flavor(self, kwargs: dict[str, str], message: str) -> None:
        with pytest.raises(ConfigError) as info:
            Flavor(**kwargs)  # type: ignore[arg-type]
        assert str(info.value) == message

    def test_tag_longer_than_128_is_refused(self) -> None:
        with pytest.raises(VersionError, match="is not a valid image tag"):
            plan_tags("1.4.2", sha=SHA, flavor=Flavor(prefix="p" * 124))


PLAIN = Flavor()
APP = Flavor(prefix="app-")
ALPINE = Flavor(suffix="-alpine")
SLIM = Flavor(prefix="pg16-", suffix="-slim")
APP_SHA = "app-sha-0123abc"
ALPINE_SHA = "sha-0123abc-alpine"
SLIM_SHA = "pg16-sha-0123abc-slim"


class TestFamilies:
    """Each prefix/suffix family follows the highest-published rule on its own tags only."""

    @pytest.mark.parametrize(
        ("version", "flavor", "published", "expected"),
        [
            # A patch of an old line (1.3.x after 1.4.0) moves only its own X.Y.
            pytest.param(
                "1.3.5",
                PLAIN,
                ["1.3.4", "1.4.0"],
                ("1.3.5", "1.3", SHORT),
                id="old-line-patch-plain",
            ),
            pytest.param(
                "1.3.5",
                APP,
                ["app-1.3.4", "app-1.4.0"],
                ("app-1.3.5", "app-1.3", APP_SHA),
                id="old-line-patch-prefix",
            ),
            pytest.param(
                "1.3.5",
                ALPINE,
                ["1.3.4-alpine", "1.4.0-alpine"],
                ("1.3.5-alpine", "1.3-alpine", ALPINE_SHA),
                id="old-line-patch-suffix",
            ),
            pytest.param(
                "1.3.5",
                SLIM,
                ["pg16-1.3.4-slim", "pg16-1.4.0-slim"],
                ("pg16-1.3.5-slim", "pg16-1.3-slim", SLIM_SHA),
                id="old-line-patch-prefix-and-suffix",
            ),
            # An old major line moves X.Y and X, not latest.
            pytest.param(
                "1.9.0",
                APP,
                ["app-1.8.0", "app-2.0.0"],
                ("app-1.9.0", "app-1.9", "app-1", APP_SHA),
                id="old-major-line-prefix",
            ),
            pytest.param(
                "1.9.0",
                ALPINE,
                ["1.8.0-alpine", "2.0.0-alpine"],
                ("1.9.0-alpine", "1.9-alpine", "1-alpine", ALPINE_SHA),
                id="old-major-line-suffix",
            ),
            # An older patch in its own minor moves nothing.
            pytest.param(
                "1.4.1",
                APP,
                ["app-1.4.0", "app-1.4.3"],
                ("app-1.4.1", APP_SHA),
                id="older-patch-prefix",
            ),
            pytest.param(
                "1.4.1",
                SLIM,
                ["pg16-1.4.0-slim", "pg16-1.4.3-slim"],
                ("pg16-1.4.1-slim", SLIM_SHA),
                id="older-patch-prefix-and-suffix",
            ),
            # The newest version of the family moves everything.
            pytest.param(
                "1.4.3",
                ALPINE,
                ["1.4.0-alpine", "1.4.2-alpine", "1.3.9-alpine"],
                ("1.4.3-alpine", "1.4-alpine", "1-alpine", "latest-alpine", ALPINE_SHA),
                id="newest-moves-all-suffix",
            ),
            pytest.param(
                "1.10.0",
                APP,
                ["app-1.9.0", "app-1.2.0"],
                ("app-1.10.0", "app-1.10", "app-1", "app-latest", APP_SHA),
                id="numeric-order-prefix",
            ),
            pytest.param(
                "1.4.3",
                ALPINE,
                ["1.4.3-alpine", "1.4-alpine", "1-alpine", "latest-alpine", "sha-9999999-alpine"],
                ("1.4.3-alpine", "1.4-alpine", "1-alpine", "latest-alpine", ALPINE_SHA),
                id="re-release-of-highest-suffix",
            ),
        ],
    )
    def test_highest_published_per_family(
        self, version: str, flavor: Flavor, published: list[str], expected: tuple[str, ...]
    ) -> None:
        assert plan_tags(version, sha=SHA, published=published, flavor=flavor).all == expected

    @pytest.mark.parametrize(
        ("flavor", "published", "expected"),
        [
            pytest.param(
                PLAIN,
                ["app-2.0.0", "2.0.0-alpine", "pg16-2.0.0-slim", "app-1.4.9", "1.4.9-alpine"],
                ("1.4.2", "1.4", "1", "latest", SHORT),
                id="plain-ignores-decorated",
            ),
            pytest.param(
                APP,
                ["2.0.0", "1.4.9", "2.0.0-alpine", "pg16-2.0.0-slim", "app-2.0.0-alpine"],
                ("app-1.4.2", "app-1.4", "app-1", "app-latest", APP_SHA),
                id="prefix-ignores-others",
            ),
            pytest.param(
                ALPINE,
                ["2.0.0", "1.4.9", "app-2.0.0", "pg16-2.0.0-slim", "app-2.0.0-alpine"],
                ("1.4.2-alpine", "1.4-alpine", "1-alpine", "latest-alpine", ALPINE_SHA),
                id="suffix-ignores-others",
            ),
            pytest.param(
                SLIM,
                ["2.0.0", "1.4.9", "pg16-2.0.0", "2.0.0-slim", "2.0.0-alpine", "app-2.0.0"],
                ("pg16-1.4.2-slim", "pg16-1.4-slim", "pg16-1-slim", "pg16-latest-slim", SLIM_SHA),
                id="prefix-and-suffix-ignores-half-matches",
            ),
        ],
    )
    def test_other_families_do_not_hold_back(
        self, flavor: Flavor, published: list[str], expected: tuple[str, ...]
    ) -> None:
        assert plan_tags("1.4.2", sha=SHA, published=published, flavor=flavor).all == expected

    @pytest.mark.parametrize(
        ("flavor", "latest"),
        [
            pytest.param(PLAIN, "latest", id="plain"),
            pytest.param(APP, "app-latest", id="prefix"),
            pytest.param(ALPINE, "latest-alpine", id="suffix"),
            pytest.param(SLIM, "pg16-latest-slim", id="prefix-and-suffix"),
            pytest.param(Flavor(prefix="v"), "latest", id="v-prefix-is-a-version-style"),
        ],
    )
    def test_latest_is_decorated(self, flavor: Flavor, latest: str) -> None:
        plan = plan_tags("1.4.2", sha=SHA, published=["latest", "1.0.0"], flavor=flavor)
        assert plan.floating[-1] == latest
        assert latest == "latest" or "latest" not in plan.all

    @pytest.mark.parametrize(
        ("version", "flavor", "published", "expected"),
        [
            pytest.param(
                "1.5.0-rc.1",
                APP,
                ["app-1.4.0"],
                ("app-1.5.0-rc.1", APP_SHA),
                id="prerelease-prefix",
            ),
            pytest.param(
                "1.5.0-rc.1",
                SLIM,
                [],
                ("pg16-1.5.0-rc.1-slim", SLIM_SHA),
                id="prerelease-prefix-and-suffix",
            ),
            pytest.param(
                "1.4.2",
                ALPINE,
                ["1.4.3-rc.1-alpine", "2.0.0-alpha.1-alpine", "1.4.1-alpine"],
                ("1.4.2-alpine", "1.4-alpine", "1-alpine", "latest-alpine", ALPINE_SHA),
                id="published-prereleases-ignored-suffix",
            ),
            pytest.param(
                "1.4.2",
                APP,
                ["app-1.5.0-rc.1", "app-1.4.9-build.1"],
                ("app-1.4.2", "app-1.4", "app-1", "app-latest", APP_SHA),
                id="published-prereleases-and-build-ignored-prefix",
            ),
            pytest.param(
                "1.4.2+build.5",
                ALPINE,
                [],
                ("1.4.2-build.5-alpine", "1.4-alpine", "1-alpine", "latest-alpine", ALPINE_SHA),
                id="build-metadata-suffix",
            ),
            pytest.param(
                "1.4.2+build.5",
                SLIM,
                ["pg16-1.4.2-slim"],
                (
                    "pg16-1.4.2-build.5-slim",
                    "pg16-1.4-slim",
                    "pg16-1-slim",
                    "pg16-latest-slim",
                    SLIM_SHA,
                ),
                id="build-metadata-same-precedence-prefix-and-suffix",
            ),
            pytest.param(
                "1.4.2",
                ALPINE,
                ["1.4.9-build.1-alpine"],
                ("1.4.2-alpine", "1.4-alpine", "1-alpine", "latest-alpine", ALPINE_SHA),
                id="published-sanitised-build-read-as-prerelease-suffix",
            ),
        ],
    )
    def test_prereleases_and_build_metadata(
        self, version: str, flavor: Flavor, published: list[str], expected: tuple[str, ...]
    ) -> None:
        assert plan_tags(version, sha=SHA, published=published, flavor=flavor).all == expected

    @pytest.mark.parametrize(
        ("flavor", "published", "expected"),
        [
            pytest.param(
                APP,
                ["app-", "app", "app-latest", "app-1.4", "app-1", "app-sha-abc1234", "app-edge"],
                ("app-1.4", "app-1", "app-latest"),
                id="prefix-non-versions",
            ),
            pytest.param(
                APP,
                ["app-9.9", "app-1.4.9.1", "app-v9.9.9", "xapp-9.9.9", "app-app-9.9.9", ""],
                ("app-1.4", "app-1", "app-latest"),
                id="prefix-malformed-versions",
            ),
            pytest.param(
                ALPINE,
                ["-alpine", "alpine", "latest-alpine", "1.4-alpine", "edge-alpine", "v-alpine"],
                ("1.4-alpine", "1-alpine", "latest-alpine"),
                id="suffix-non-versions",
            ),
            pytest.param(
                ALPINE,
                ["1.4.9.1-alpine", "9.9.9-alpine-x", "9.9.9-alpine3.19", "9.9-alpine"],
                ("1.4-alpine", "1-alpine", "latest-alpine"),
                id="suffix-malformed-versions",
            ),
            pytest.param(
                SLIM,
                ["pg16-slim", "pg16--slim", "pg16-latest-slim", "pg16-9.9.9-slimmer"],
                ("pg16-1.4-slim", "pg16-1-slim", "pg16-latest-slim"),
                id="prefix-and-suffix-garbage",
            ),
        ],
    )
    def test_garbage_ignored(
        self, flavor: Flavor, published: list[str], expected: tuple[str, ...]
    ) -> None:
        assert plan_tags("1.4.2", sha=SHA, published=published, flavor=flavor).floating == expected

    @pytest.mark.parametrize(
        ("flavor", "published", "expected"),
        [
            pytest.param(PLAIN, ["v1.4.5"], ("1.4.2", SHORT), id="plain-reads-v"),
            pytest.param(
                ALPINE,
                ["v1.4.5-alpine"],
                ("1.4.2-alpine", ALPINE_SHA),
                id="empty-prefix-with-suffix-reads-v",
            ),
            pytest.param(
                PLAIN,
                ["vv1.4.5", "V1.4.5"],
                ("1.4.2", "1.4", "1", "latest", SHORT),
                id="plain-only-one-lowercase-v",
            ),
            pytest.param(
                Flavor(prefix="v"),
                ["v1.4.5"],
                ("v1.4.2", "vsha-0123abc"),
                id="prefix-v-reads-its-own",
            ),
            pytest.param(
                Flavor(prefix="v"),
                ["1.4.5", "vv1.4.5"],
                ("v1.4.2", "v1.4", "v1", "latest", "vsha-0123abc"),
                id="prefix-v-is-exact",
            ),
            pytest.param(
                APP,
                ["app-v1.4.5", "v1.4.5"],
                ("app-1.4.2", "app-1.4", "app-1", "app-latest", APP_SHA),
                id="prefix-gets-no-v",
            ),
        ],
    )
    def test_leading_v_only_with_empty_prefix(
        self, flavor: Flavor, published: list[str], expected: tuple[str, ...]
    ) -> None:
        assert plan_tags("1.4.2", sha=SHA, published=published, flavor=flavor).all == expected


class TestSha:
    """The sha tag uses the first 7 hex digits, lowercased; anything else is refused."""

    @pytest.mark.parametrize(
        ("sha", "expected"),
        [
            pytest.param(SHA, "0123abc", id="full-40"),
            pytest.param("0123ABCDEF", "0123abc", id="uppercase"),
            pytest.param("0123abc", "0123abc", id="exactly-7"),
            pytest.param(" 0123abcd\n", "0123abc", id="git-output-whitespace"),
            pytest.param("f" * 64, "fffffff", id="sha256-repo"),
        ],
    )
    def test_valid(self, sha: str, expected: str) -> None:
        assert short_sha(sha) == expected

    @pytest.mark.parametrize(
        "sha",
        [
            pytest.param("012345", id="six-digits"),
            pytest.param("0123abg", id="non-hex"),
            pytest.param("", id="empty"),
            pytest.param("HEAD", id="ref-name"),
            pytest.param("f" * 65, id="too-long"),
        ],
    )
    def test_invalid(self, sha: str) -> None:
        with pytest.raises(VersionError):
            plan_tags("1.4.2", sha=sha)

    def test_invalid_message(self) -> None:
        with pytest.raises(VersionError) as info:
            short_sha("HEAD")
        assert str(info.value) == (
            "'HEAD' is not a git commit sha (expected 7 to 64 hexadecimal digits)"
        )
