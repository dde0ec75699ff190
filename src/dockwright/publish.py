"""Pushing images: immutable tags first, verified, and refusal to overwrite them.

A version tag (`1.4.2`, `sha-...`) is immutable: when the registry already
holds it with another image, the push is refused; when it holds the same image,
nothing is pushed again (a rerun after a failed release completes without
duplicating work). Floating tags (`1.4`, `1`, `latest`) are pushed only by
the caller after every immutable tag of every image is verified.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from dockwright.config import RegistrySettings
from dockwright.engine import docker as engine
from dockwright.engine.registry_api import Credentials, RegistryClient
from dockwright.errors import RegistryError

ATTEMPTS = int(os.environ.get("DOCKWRIGHT_PUSH_ATTEMPTS", "4"))


@dataclass(frozen=True, kw_only=True)
class PushItem:
    """One image to publish: its local ref, where it goes, and its tags."""

    service: str
    source: str
    repository: str  # e.g. localhost:5000/dockwright-ref/backend
    immutable: tuple[str, ...]
    floating: tuple[str, ...]

    @property
    def path(self) -> str:
        return registry_path(self.repository)


@dataclass(frozen=True, kw_only=True)
class PushedTag:
    service: str
    ref: str
    digest: str
    skipped: bool


def registry_path(repository: str) -> str:
    """A repository's path inside its registry (`localhost:5000/app/x` -> `app/x`)."""
    host, _, rest = repository.partition("/")
    return rest if ("." in host or ":" in host or host == "localhost") else repository


def target_repository(registry: RegistrySettings, project: str, local_repo: str) -> str:
    """`<registry>/<namespace or project>/<image name>` for a service's local repository."""
    name = local_repo.rsplit("/", 1)[-1]
    namespace = registry.namespace or project
    return f"{registry.url}/{namespace}/{name}"


def credentials_for(registry: RegistrySettings, env: dict[str, str]) -> Credentials | None:
    """Username and token from the variables the registry names (environment, then .env)."""
    if not registry.username_env and not registry.token_env:
        return None
    user = os.environ.get(registry.username_env) or env.get(registry.username_env, "")
    token = os.environ.get(registry.token_env) or env.get(registry.token_env, "")
    if not user or not token:
        missing = registry.username_env if not user else registry.token_env
        raise RegistryError(
            f"registry {registry.url} needs {registry.username_env} and {registry.token_env}; "
            f"{missing} is not set in the environment or .env"
        )
    return Credentials(username=user, token=token)


class Publisher:
    """Pushes through a docker client logged in with a throwaway config folder."""

    def __init__(
        self,
        registry: RegistrySettings,
        credentials: Credentials | None,
        config_dir: Path,
        on_event: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.registry = registry
        self.api = RegistryClient(registry.url, insecure=registry.insecure, credentials=credentials)
        self.client = engine.private_client(config_dir)
        self.credentials = credentials
        self.on_event = on_event
        self._logged_in = False

    def preflight(self) -> None:
        """Reachable and authenticated, before anything is built."""
        self.api.check_access()

    def _login(self) -> None:
        if self.credentials and not self._logged_in:
            engine.login(
                self.client, self.registry.url, self.credentials.username, self.credentials.token
            )
            self._logged_in = True

    def published_versions(self, repositories: list[str]) -> list[str]:
        """Every tag any of these repositories already has in the registry."""
        found: set[str] = set()
        for repository in repositories:
            found.update(self.api.tags(registry_path(repository)))
        return sorted(found)

    def _remote_config(self, item: PushItem, tag: str) -> tuple[str, str] | None:
        got = self.api.manifest(item.path, tag)
        if got is None:
            return None
        digest, manifest = got
        return digest, str((manifest.get("config") or {}).get("digest", ""))

    def _push_one(self, item: PushItem, tag: str, image_id: str, *, immutable: bool) -> PushedTag:
        ref = f"{item.repository}:{tag}"
        remote = self._remote_config(item, tag)
        if remote is not None and remote[1] == image_id:
            self.on_event(f"{ref} already published with this image; skipped")
            return PushedTag(service=item.service, ref=ref, digest=remote[0], skipped=True)
        if remote is not None and immutable:
            raise RegistryError(
                f"tag {tag} already in {item.repository} with another digest; bump the version "
                "or delete that tag from the registry"
            )
        engine.tag(item.source, ref)
        self._login()
        for attempt in Retrying(
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=0.5, max=8),
            retry=retry_if_exception_type(engine.PushFailed),
            reraise=True,
        ):
            with attempt:
                n = attempt.retry_state.attempt_number
                self.on_event(f"pushing {ref}" + (f" (attempt {n})" if n > 1 else ""))
                engine.push(self.client, ref)
        return self._verify(item, tag, image_id)

    def _verify(self, item: PushItem, tag: str, image_id: str) -> PushedTag:
        ref = f"{item.repository}:{tag}"
        remote = self._remote_config(item, tag)
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
        return PushedTag(service=item.service, ref=ref, digest=digest, skipped=False)

    def push(self, items: list[PushItem], *, floating: bool) -> list[PushedTag]:
        """Push every item's immutable tags (or, with `floating`, its floating tags)."""
        results = []
        for item in items:
            image_id = engine.inspect_image(item.source).id
            for tag in item.floating if floating else item.immutable:
                results.append(self._push_one(item, tag, image_id, immutable=not floating))
        return results
