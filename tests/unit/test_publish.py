"""Pure parts of publishing: which kind each tag is, and how often a push is tried."""

from __future__ import annotations

import pytest

from dockwright.config import RegistrySettings
from dockwright.errors import ConfigError
from dockwright.registry.publish import (
    push_attempts,
    repository_prefix,
    tag_kinds,
    target_repository,
)


class TestTagKinds:
    """A clean sha- tag is written once; dev and dirty tags move; versions are immutable."""

    @pytest.mark.parametrize(
        ("tags", "immutable", "once", "floating"),
        [
            pytest.param(("sha-0123abc", "dev"), (), ("sha-0123abc",), ("dev",), id="clean-build"),
            pytest.param(
                ("sha-0123abc-dirty", "dev"), (), (), ("sha-0123abc-dirty", "dev"), id="dirty"
            ),
            pytest.param(("1.4.2",), ("1.4.2",), (), (), id="version-given-to-push"),
            pytest.param(("sha-0123abc",), (), ("sha-0123abc",), (), id="sha-alone"),
        ],
    )
    def test_kinds(
        self,
        tags: tuple[str, ...],
        immutable: tuple[str, ...],
        once: tuple[str, ...],
        floating: tuple[str, ...],
    ) -> None:
        assert tag_kinds(tags) == {"immutable": immutable, "once": once, "floating": floating}


class TestPushAttempts:
    """DOCKWRIGHT_PUSH_ATTEMPTS: 1 to 20, default 4; anything else is one ConfigError."""

    @pytest.mark.parametrize(
        ("value", "attempts"),
        [("", 4), ("1", 1), (" 7 ", 7), ("20", 20)],
        ids=["unset", "one", "spaces", "max"],
    )
    def test_valid(self, value: str, attempts: int) -> None:
        assert push_attempts({"DOCKWRIGHT_PUSH_ATTEMPTS": value} if value else {}) == attempts

    @pytest.mark.parametrize("value", ["three", "0", "21", "-1", "2.5", "٣"])
    def test_invalid(self, value: str) -> None:
        with pytest.raises(ConfigError, match="DOCKWRIGHT_PUSH_ATTEMPTS"):
            push_attempts({"DOCKWRIGHT_PUSH_ATTEMPTS": value})


class TestDestinations:
    """Images go to <url>/<namespace or project>/<image name>."""

    @pytest.mark.parametrize(
        ("registry", "expected"),
        [
            pytest.param(RegistrySettings(url="docker.io", namespace="acme"), "docker.io/acme/api"),
            pytest.param(
                RegistrySettings(url="ghcr.io", namespace="acme/shop"), "ghcr.io/acme/shop/api"
            ),
            pytest.param(RegistrySettings(url="localhost:5000"), "localhost:5000/shop/api"),
        ],
        ids=["dockerhub", "ghcr", "local-default-namespace"],
    )
    def test_target(self, registry: RegistrySettings, expected: str) -> None:
        assert target_repository(registry, "shop", "localhost:5000/shop/api") == expected
        assert expected.startswith(repository_prefix(registry, "shop") + "/")
