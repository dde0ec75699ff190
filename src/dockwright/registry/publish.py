"""Pushing images: immutable tags first, verified, and refusal to overwrite them.

Three kinds of tag:

- a version tag (`1.4.2`) is immutable: when the registry already holds it with
  another image, the push is refused (unless it is this release's own earlier
  attempt); with the same image, nothing is pushed again;
- a `sha-<short>` tag names the first image published from a commit and is
  written once: a later push of the same commit (a release after a
  `build --push`, a rebuild that is not bit-identical) keeps it as it is;
- floating tags (`1.4`, `1`, `latest`, `dev`) move, and only by a remote
  re-tag (a manifest copy) of the verified immutable digest: no layer moves
  and a floating tag can never point at an image that was not verified.

Only the first tag of an image is a `docker push`; its other tags are copies of
that manifest in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from dockwright.config import RegistrySettings
from dockwright.engine import docker as engine
from dockwright.errors import ConfigError, RegistryError
from dockwright.registry.access import Access

if TYPE_CHECKING:
    from python_on_whales import DockerClient

ATTEMPTS_VARIABLE = "DOCKWRIGHT_PUSH_ATTEMPTS"
DEFAULT_ATTEMPTS = 4


def push_attempts(environ: Mapping[str, str]) -> int:
    """How often one `docker push` is tried: `DOCKWRIGHT_PUSH_ATTEMPTS`, 1 to 20 (default 4)."""
    raw = environ.get(ATTEMPTS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_ATTEMPTS
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 20:
        raise ConfigError(
            f"{ATTEMPTS_VARIABLE}={raw!r} is not a whole number from 1 to 20; "
            f"unset it (default {DEFAULT_ATTEMPTS}) or set e.g. {ATTEMPTS_VARIABLE}=4"
        )
    return int(raw)


@dataclass(frozen=True, kw_only=True)
class PushItem:
    """One image to publish: its local ref, where it goes, and its tags by kind."""

    service: str
    source: str
    repository: str  # e.g. localhost:5000/dockwright-ref/backend
    immutable: tuple[str, ...] = ()
    once: tuple[str, ...] = ()
    floating: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return registry_path(self.repository)


@dataclass(frozen=True, kw_only=True)
class Published:
    """Where an image's immutable tags point in the registry."""

    service: str
    repository: str
    digest: str
    pushed: tuple[str, ...]  # tags this call wrote (the rest were there already)


def tag_kinds(tags: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Sort a build's tags into PushItem's kinds: a clean `sha-` tag is written once,
    a dirty tree's tag and `dev` move, anything else (a version) is immutable."""
    once = tuple(t for t in tags if t.startswith("sha-") and not t.endswith("-dirty"))
    moving = tuple(t for t in tags if t == "dev" or t.endswith("-dirty"))
    fixed = tuple(t for t in tags if t not in once and t not in moving)
    return {"immutable": fixed, "once": once, "floating": moving}


def registry_path(repository: str) -> str:
    """A repository's path inside its registry (`localhost:5000/app/x` -> `app/x`)."""
    host, _, rest = repository.partition("/")
    return rest if ("." in host or ":" in host or host == "localhost") else repository


def repository_prefix(registry: RegistrySettings, project: str) -> str:
    """`<registry>/<namespace or project>`: where a project's images live in a registry
    (`docker.io/acme`, `ghcr.io/acme/shop`, `localhost:5000/shop`). `up --env prod`
    hands it to compose as `DOCKWRIGHT_REGISTRY`, so prod runs what release pushed."""
    return f"{registry.url}/{registry.namespace or project}"


def target_repository(registry: RegistrySettings, project: str, local_repo: str) -> str:
    """`<registry>/<namespace or project>/<image name>` for a service's local repository."""
    return f"{repository_prefix(registry, project)}/{local_repo.rsplit('/', 1)[-1]}"


Adopt = Callable[[dict[str, Any]], bool]
"""Given the config of an image already under a version tag: is it ours to reuse?"""


class Publisher:
    """Pushes with the registry's access mode (see `registry.access`) and verifies."""

    def __init__(
        self,
        registry: RegistrySettings,
        access: Access,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        on_event: Callable[[str], None] = lambda _m: None,
    ) -> None:
        # httpx loads on first use: `invoke --list` need not pay for it.
        from dockwright.engine.registry_api import RegistryClient

        self.registry = registry
        self.access = access
        self.api = RegistryClient(
            registry.url, insecure=registry.insecure, credentials=access.credentials
        )
        self.attempts = attempts
        self.on_event = on_event
        self._stack = ExitStack()
        self._client: DockerClient | None = None

    def close(self) -> None:
        """Remove the throwaway login (token mode) and close connections."""
        self._stack.close()
        self.api.close()

    def _docker(self) -> DockerClient:
        if self._client is None:
            creds = self.access.credentials
            if self.access.mode == "token" and creds is not None:
                self._client = self._stack.enter_context(
                    engine.isolated_client(self.access.server, creds.username, creds.token)
                )
            else:
                self._client = engine.user_client()
        return self._client

    def pull(self, ref: str) -> None:
        """Pull `ref` from this registry with the same login a push would use."""
        engine.pull(ref, self._docker())

    def preflight(self) -> None:
        """Reachable and authenticated, before anything is built."""
        self.api.check_access(hint=self.access.hint(self.registry))

    def published_versions(self, repositories: list[str]) -> list[str]:
        """Every image tag any of these repositories already has in the registry (the
        referrers tag schema's `sha256-<hex>` indexes are not image tags)."""
        found: set[str] = set()
        for repository in repositories:
            tags = self.api.tags(registry_path(repository))
            found.update(t for t in tags if not t.startswith("sha256-"))
        return sorted(found)

    def digest_of(self, item: PushItem, tag: str) -> str | None:
        got = self.api.manifest(item.path, tag)
        return got.digest if got else None

    def push_immutable(
        self, item: PushItem, *, image_id: str, known: str = "", adopt: Adopt | None = None
    ) -> Published:
        """Publish `item`'s immutable and once tags, verified; return their digest.

        `known` is a verified digest already in the registry (recorded by an earlier
        attempt of this release, or by the earlier release this one re-tags): a
        version tag already holding it is this release's own, and a missing tag is a
        manifest copy of it (nothing is pushed). `adopt` decides the same from the
        image's labels when no record is at hand.
        """
        source = ""
        pushed: list[str] = []
        kinds = [(t, "immutable") for t in item.immutable] + [(t, "once") for t in item.once]
        for tag, kind in kinds:
            ref = f"{item.repository}:{tag}"
            remote = self.api.image_config(item.path, tag)
            if remote is not None:
                digest, config = remote
                if config == image_id or (known and digest == known):
                    self.on_event(f"{ref} already published with this image; skipped")
                elif kind == "once":
                    self.on_event(
                        f"{ref} kept: published earlier from this commit ({digest[:19]}); "
                        "sha- tags are written once"
                    )
                elif adopt is not None and adopt(self.api.config_blob(item.path, config)):
                    self.on_event(f"{ref} was published by an earlier attempt; reusing it")
                else:
                    raise RegistryError(
                        f"tag {tag} already in {item.repository} with another digest "
                        f"({digest[:19]}); bump the version or delete that tag from the registry"
                    )
                source = source or digest
                continue
            if source or known:
                # A tag of an image already in the registry: this image's first tag,
                # or a verified digest an earlier release or attempt recorded.
                source = source or known
                self._copy(item, source, tag)
            else:
                source = self._docker_push(item, tag, image_id)
            pushed.append(tag)
        return Published(
            service=item.service, repository=item.repository, digest=source, pushed=tuple(pushed)
        )

    def _docker_push(self, item: PushItem, tag: str, image_id: str) -> str:
        ref = f"{item.repository}:{tag}"
        engine.tag(item.source, ref)
        client = self._docker()
        for attempt in Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.5, max=8),
            retry=retry_if_exception_type(engine.PushFailed),
            reraise=True,
        ):
            with attempt:
                n = attempt.retry_state.attempt_number
                self.on_event(f"pushing {ref}" + (f" (attempt {n})" if n > 1 else ""))
                engine.push(client, ref)
        return self._verify(item, tag, image_id)

    def _verify(self, item: PushItem, tag: str, image_id: str) -> str:
        ref = f"{item.repository}:{tag}"
        remote = self.api.image_config(item.path, tag)
        if remote is None:
            raise RegistryError(f"{ref} was pushed but the registry does not list it")
        digest, config = remote
        local = [
            d.split("@", 1)[1]
            for d in engine.repo_digests(ref)
            if d.split("@", 1)[0] == item.repository
        ]
        if config != image_id or (local and digest not in local):
            raise RegistryError(
                f"{ref}: registry digest {digest[:19]} does not match the local image; "
                "the push was corrupted or raced with another one"
            )
        self.on_event(f"verified {ref} {digest[:19]}")
        return digest

    def _copy(self, item: PushItem, digest: str, tag: str) -> None:
        manifest = self.api.manifest(item.path, digest)
        if manifest is None:
            raise RegistryError(f"{item.repository}@{digest[:19]} vanished from the registry")
        self.api.put_manifest(item.path, tag, manifest)
        self.on_event(f"tagged {item.repository}:{tag} {digest[:19]}")

    def move_floating(self, item: PushItem, digest: str) -> list[str]:
        """Point `item`'s floating tags at `digest` (a verified immutable image)."""
        moved = []
        for tag in item.floating:
            if self.digest_of(item, tag) == digest:
                self.on_event(f"{item.repository}:{tag} already at {digest[:19]}")
                continue
            self._copy(item, digest, tag)
            moved.append(tag)
        return moved

    def publish(self, items: list[PushItem]) -> list[Published]:
        """Every item's immutable tags first (all images), then their floating tags."""
        done = []
        for item in items:
            image_id = engine.inspect_image(item.source).id
            if item.immutable or item.once:
                done.append(self.push_immutable(item, image_id=image_id))
            elif item.floating:  # a dirty tree's build: every tag moves
                digest = self._docker_push(item, item.floating[0], image_id)
                done.append(
                    Published(
                        service=item.service,
                        repository=item.repository,
                        digest=digest,
                        pushed=item.floating[:1],
                    )
                )
        for item, published in zip(items, done, strict=True):
            self.move_floating(item, published.digest)
        return done


@contextmanager
def publishing(
    registry: RegistrySettings,
    access: Access,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    on_event: Callable[[str], None] = lambda _m: None,
) -> Iterator[Publisher]:
    """A Publisher whose throwaway login and connections are gone when the block ends."""
    publisher = Publisher(registry, access, attempts=attempts, on_event=on_event)
    try:
        yield publisher
    finally:
        publisher.close()
