"""Publisher's decisions without an engine or a registry: the registry API and the
docker calls are fakes that record what is asked (tests/engine/test_registry_auth.py
and test_release_faults.py run the same decisions against a real registry:2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from dockwright.config import RegistrySettings
from dockwright.errors import RegistryError
from dockwright.registry import publish
from dockwright.registry.access import Access
from dockwright.registry.publish import Publisher, PushItem

IMAGE = "sha256:" + "1" * 64
OTHER = "sha256:" + "2" * 64
DIGEST = "sha256:" + "d" * 64
ITEM = PushItem(
    service="api",
    source="shop-api:1.5.0",
    repository="ghcr.io/acme/shop-api",
    immutable=("1.5.0",),
    once=("sha-0123abc",),
    floating=("1.5", "latest"),
)


@dataclass
class FakeApi:
    """Tags the registry has: tag -> (manifest digest, image config digest)."""

    tags: dict[str, tuple[str, str]] = field(default_factory=dict)
    puts: list[str] = field(default_factory=list)

    def image_config(self, path: str, tag: str) -> tuple[str, str] | None:
        return self.tags.get(tag)

    def manifest(self, path: str, ref: str) -> Any:
        if ref.startswith("sha256:"):
            return type("M", (), {"digest": ref})()
        found = self.tags.get(ref)
        return type("M", (), {"digest": found[0]})() if found else None

    def put_manifest(self, path: str, tag: str, manifest: Any) -> None:
        self.puts.append(tag)
        self.tags[tag] = (manifest.digest, IMAGE)

    def config_blob(self, path: str, config: str) -> dict[str, Any]:
        return {"config": {"Labels": {"org.opencontainers.image.revision": "0123abc"}}}

    def close(self) -> None:
        pass


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`docker push` calls; a push makes the tag appear in the fake registry."""
    calls: list[str] = []
    monkeypatch.setattr(publish.engine, "tag", lambda source, ref: None)
    monkeypatch.setattr(publish.engine, "user_client", lambda: object())
    monkeypatch.setattr(
        publish.engine, "repo_digests", lambda ref: [f"ghcr.io/acme/shop-api@{DIGEST}"]
    )
    return calls


def publisher(api: FakeApi, *, attempts: int = 3) -> tuple[Publisher, list[str]]:
    events: list[str] = []
    access = Access(mode="docker-login", credentials=None, source="docker login", server="ghcr.io")
    pub = Publisher(
        RegistrySettings(url="ghcr.io"), access, attempts=attempts, on_event=events.append
    )
    pub.api = api  # type: ignore[assignment]
    return pub, events


def fake_push(api: FakeApi, calls: list[str], failures: int = 0) -> Any:
    def push(client: object, ref: str) -> None:
        calls.append(ref)
        if len(calls) <= failures:
            raise publish.engine.PushFailed(f"connection reset pushing {ref}")
        api.tags[ref.rsplit(":", 1)[1]] = (DIGEST, IMAGE)

    return push


class TestPushImmutable:
    def test_first_tag_is_pushed_the_others_are_copied(
        self, pushes: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api = FakeApi()
        monkeypatch.setattr(publish.engine, "push", fake_push(api, pushes))
        pub, events = publisher(api)
        done = pub.push_immutable(ITEM, image_id=IMAGE)
        assert pushes == ["ghcr.io/acme/shop-api:1.5.0"]
        assert api.puts == ["sha-0123abc"]
        assert (done.digest, done.pushed) == (DIGEST, ("1.5.0", "sha-0123abc"))
        assert f"verified ghcr.io/acme/shop-api:1.5.0 {DIGEST[:19]}" in events

    def test_same_image_already_there_is_skipped(self, pushes: list[str]) -> None:
        api = FakeApi(tags={"1.5.0": (DIGEST, IMAGE), "sha-0123abc": (DIGEST, IMAGE)})
        pub, events = publisher(api)
        done = pub.push_immutable(ITEM, image_id=IMAGE)
        assert (pushes, api.puts, done.pushed) == ([], [], ())
        assert events[0] == "ghcr.io/acme/shop-api:1.5.0 already published with this image; skipped"

    def test_a_version_tag_is_never_overwritten(self, pushes: list[str]) -> None:
        pub, _ = publisher(FakeApi(tags={"1.5.0": (OTHER, OTHER)}))
        with pytest.raises(
            RegistryError,
            match=r"tag 1\.5\.0 already in ghcr\.io/acme/shop-api with another digest",
        ):
            pub.push_immutable(ITEM, image_id=IMAGE)
        assert pushes == []

    def test_a_sha_tag_is_written_once_and_then_kept(
        self, pushes: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api = FakeApi(tags={"sha-0123abc": (OTHER, OTHER)})
        monkeypatch.setattr(publish.engine, "push", fake_push(api, pushes))
        pub, events = publisher(api)
        pub.push_immutable(ITEM, image_id=IMAGE)
        assert api.tags["sha-0123abc"] == (OTHER, OTHER)
        assert any("kept: published earlier from this commit" in e for e in events)

    def test_an_earlier_attempts_tag_is_adopted_when_its_labels_say_so(
        self, pushes: list[str]
    ) -> None:
        pub, events = publisher(FakeApi(tags={"1.5.0": (OTHER, OTHER)}))
        seen: list[dict[str, Any]] = []
        pub.push_immutable(ITEM, image_id=IMAGE, adopt=lambda blob: bool(seen.append(blob)) or True)
        assert seen and events[0].endswith("was published by an earlier attempt; reusing it")

    def test_a_known_digest_is_tagged_by_manifest_copies_without_a_push(
        self, pushes: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # An earlier release's verified image (release.promote): no push, no local image.
        api = FakeApi()
        monkeypatch.setattr(publish.engine, "push", fake_push(api, pushes))
        pub, events = publisher(api)
        done = pub.push_immutable(ITEM, image_id="", known=OTHER)
        assert pushes == []
        assert api.puts == ["1.5.0", "sha-0123abc"]
        assert api.tags["1.5.0"][0] == OTHER and api.tags["sha-0123abc"][0] == OTHER
        assert (done.digest, done.pushed) == (OTHER, ("1.5.0", "sha-0123abc"))
        assert f"tagged ghcr.io/acme/shop-api:1.5.0 {OTHER[:19]}" in events

    def test_pushes_are_retried_up_to_the_attempts(
        self, pushes: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api = FakeApi()
        monkeypatch.setattr(publish, "wait_exponential", lambda **_: lambda _state: 0)
        monkeypatch.setattr(publish.engine, "push", fake_push(api, pushes, failures=2))
        pub, events = publisher(api, attempts=3)
        pub.push_immutable(ITEM, image_id=IMAGE)
        assert len(pushes) == 3
        assert [e for e in events if e.startswith("pushing")][-1].endswith("(attempt 3)")

    def test_too_many_failures_raise_the_last_one(
        self, pushes: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api = FakeApi()
        monkeypatch.setattr(publish, "wait_exponential", lambda **_: lambda _state: 0)
        monkeypatch.setattr(publish.engine, "push", fake_push(api, pushes, failures=5))
        pub, _ = publisher(api, attempts=2)
        with pytest.raises(publish.engine.PushFailed, match="connection reset"):
            pub.push_immutable(ITEM, image_id=IMAGE)
        assert len(pushes) == 2

    def test_a_pushed_image_that_does_not_match_fails_verification(
        self, pushes: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api = FakeApi()

        def corrupt(client: object, ref: str) -> None:
            api.tags[ref.rsplit(":", 1)[1]] = (DIGEST, OTHER)

        monkeypatch.setattr(publish.engine, "push", corrupt)
        pub, _ = publisher(api)
        with pytest.raises(RegistryError, match="does not match the local image"):
            pub.push_immutable(ITEM, image_id=IMAGE)


class TestMoveFloating:
    def test_moves_only_the_tags_not_already_there(self) -> None:
        api = FakeApi(tags={"1.5": (DIGEST, IMAGE), "latest": (OTHER, OTHER)})
        pub, events = publisher(api)
        assert pub.move_floating(ITEM, DIGEST) == ["latest"]
        assert api.puts == ["latest"]
        assert events[0] == f"ghcr.io/acme/shop-api:1.5 already at {DIGEST[:19]}"
