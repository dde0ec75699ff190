"""The release plan and its transaction, without an engine: which tags each image gets,
what is pushed how, the order of the steps, and what a failing step says."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dockwright.errors import BuildError, PolicyError, RegistryError, ReleaseError
from dockwright.release.plan import Hooks, ReleasePlan, plan_release, run_release
from dockwright.release.tags import Flavor

SHA = "0123abc" + "0" * 33
SERVICES = [
    ("api", "shop-api", "ghcr.io/acme/shop-api"),
    ("web", "shop-web", "ghcr.io/acme/shop-web"),
]


def plan(
    published: list[str] | None = None, *, push: bool = True, bump: str = "minor"
) -> ReleasePlan:
    return plan_release(
        current="1.4.2",
        bump=bump,
        pre="rc",
        sha=SHA,
        registry="ghcr.io",
        published=published or [],
        services=SERVICES,
        flavor=Flavor(),
        push=push,
    )


class TestPlan:
    def test_highest_stable_version_moves_every_floating_tag(self) -> None:
        p = plan(["1.4.2", "1.4.1"])
        assert (p.version, p.git_tag) == ("1.5.0", "v1.5.0")
        assert p.images[0].tags.immutable == ("1.5.0", "sha-0123abc")
        assert p.images[0].tags.floating == ("1.5", "1", "latest")
        assert p.local_tags() == ("1.5.0", "sha-0123abc", "1.5", "1", "latest")

    def test_an_older_line_moves_no_latest(self) -> None:
        p = plan(["2.0.0"], bump="patch")
        assert p.version == "1.4.3"
        assert "latest" not in p.images[0].tags.floating

    def test_push_items_write_the_version_once_the_sha_once_and_move_the_rest(self) -> None:
        items = plan(["1.4.2"]).push_items()
        assert [(i.service, i.source, i.repository) for i in items] == [
            ("api", "shop-api:1.5.0", "ghcr.io/acme/shop-api"),
            ("web", "shop-web:1.5.0", "ghcr.io/acme/shop-web"),
        ]
        assert (items[0].immutable, items[0].once, items[0].floating) == (
            ("1.5.0",),
            ("sha-0123abc",),
            ("1.5", "1", "latest"),
        )

    def test_describe_says_no_push(self) -> None:
        lines = plan(push=False).describe()
        assert lines[0] == "release 1.4.2 -> 1.5.0 (minor) of commit 0123abc00000"
        assert "  --no-push: images are built and tagged locally only" in lines
        assert lines[-1] == "then: write VERSION, release CHANGELOG.md, commit, tag v1.5.0"


class TestTransaction:
    def hooks(self, calls: list[str], fail: str = "", error: Exception | None = None) -> Hooks:
        def step(name: str) -> Callable[[ReleasePlan], None]:
            def run(_plan: ReleasePlan) -> None:
                calls.append(name)
                if name == fail:
                    raise error or BuildError("boom")

            return run

        return Hooks(
            build=step("build"),
            gates=step("gates"),
            push_immutable=step("push"),
            push_floating=step("floating"),
            progress=lambda: "api 1.5.0 pushed",
        )

    def test_steps_in_order_then_finalize(self) -> None:
        calls: list[str] = []
        run_release(plan(), self.hooks(calls), lambda: calls.append("finalize"), rerun="r")
        assert calls == ["build", "gates", "push", "floating", "finalize"]

    def test_resumed_release_builds_nothing_and_no_push_pushes_nothing(self) -> None:
        calls: list[str] = []
        run_release(plan(), self.hooks(calls), lambda: calls.append("f"), rerun="r", build=False)
        assert calls == ["push", "floating", "f"]
        calls.clear()
        run_release(plan(push=False), self.hooks(calls), lambda: calls.append("f"), rerun="r")
        assert calls == ["build", "gates", "f"]

    @pytest.mark.parametrize(
        ("fail", "error", "says"),
        [
            ("build", BuildError("api failed"), "VERSION and CHANGELOG.md are unchanged"),
            ("gates", PolicyError("policy failed"), "fix the cause and rerun `invoke release`"),
            ("push", RegistryError("denied"), "api 1.5.0 pushed"),
        ],
    )
    def test_a_failing_step_names_itself_what_moved_and_how_to_continue(
        self, fail: str, error: Exception, says: str
    ) -> None:
        calls: list[str] = []
        with pytest.raises(ReleaseError) as err:
            run_release(
                plan(),
                self.hooks(calls, fail, error),
                lambda: calls.append("f"),
                rerun="invoke release",
            )
        message = str(err.value)
        assert message.startswith(f"release 1.5.0 failed at step {fail!r}: {error}; ")
        assert says in message and message.endswith("`invoke release`")
        assert calls[-1] == fail and "f" not in calls


class TestReleaseFlow:
    """flows.release: the command that continues a release names exactly its options."""

    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (("minor", "rc", "", False), "invoke release --bump minor"),
            (("prerelease", "rc", "", False), "invoke release --bump prerelease"),
            (("prerelease", "beta", "", False), "invoke release --bump prerelease --pre beta"),
            (
                ("patch", "beta", "ghcr", True),
                "invoke release --bump patch --registry ghcr --allow-dirty",
            ),
        ],
    )
    def test_rerun_command(self, args: tuple[str, str, str, bool], expected: str) -> None:
        from dockwright.flows.release import Request, rerun_command

        bump, pre, registry, allow_dirty = args
        request = Request(bump=bump, pre=pre, registry=registry, allow_dirty=allow_dirty)
        assert rerun_command(request) == expected
