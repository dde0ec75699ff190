"""The registry a repository's image names point at: `[registries.<name>]` for init."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockwright.repo.discover import substitute


def toml_str(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")
# Settings names for well-known hosts; others are named by their first label.
KNOWN_REGISTRIES = {
    "ghcr.io": "ghcr",
    "quay.io": "quay",
    "registry.gitlab.com": "gitlab",
    "gcr.io": "gcr",
}


@dataclass(frozen=True, kw_only=True)
class RegistryGuess:
    """A `[registries.<name>]` table read off an image name, and `registry = <name>`."""

    name: str
    url: str
    namespace: str
    username_env: str = ""
    token_env: str = ""
    insecure: bool = False

    def settings_lines(self, prefix: str) -> list[str]:
        lines = [
            "# Where `push` and `release` put the images (from the compose files' image names).",
            f"registry = {toml_str(self.name)}",
            "",
            f"[{prefix}registries.{self.name}]",
            f"url = {toml_str(self.url)}",
            f"namespace = {toml_str(self.namespace)}",
        ]
        if self.username_env:
            lines.append(f"username_env = {toml_str(self.username_env)}")
        if self.token_env:
            lines.append(f"token_env = {toml_str(self.token_env)}")
        if self.insecure:
            lines.append("insecure = true")
        return lines


def split_reference(image: str) -> tuple[str, str]:
    """`ghcr.io/acme/site:latest` -> (`ghcr.io`, `acme/site`); `acme/site` -> (`docker.io`, ...).

    The first part is a host when it has a `.` or a `:` or is `localhost` (docker's rule).
    """
    name = image.split("@")[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name = name[:colon]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", name


def registry_of_image(image: str) -> tuple[RegistryGuess | None, str]:
    """The registry settings `image` implies, or None and why not ("" when it is a local name)."""
    from dockwright.errors import ConfigError
    from dockwright.registry.names import check_namespace, is_loopback, split_host

    resolved = substitute(image, {})
    if resolved is None:
        return None, f"image {image} needs a variable; configure its registry by hand"
    host, path = split_reference(resolved)
    namespace, _, _name = path.rpartition("/")
    if host in DOCKER_HUB_HOSTS:
        if namespace in ("", "library"):
            return None, ""  # `app`: a local name; `library/x`: an official image
        guess = RegistryGuess(
            name="dockerhub",
            url="docker.io",
            namespace=namespace,
            username_env="DOCKERHUB_USERNAME",
            token_env="DOCKERHUB_TOKEN",
        )
    elif not namespace:
        # An empty namespace means the project name: <url>/<project>/<name>.
        return None, f"image {image} has no namespace after {host}; dockwright pushes to " + (
            "<url>/<namespace>/<name>: configure its registry by hand"
        )
    else:
        try:
            loopback = is_loopback(split_host(host)[0])
        except ConfigError as exc:
            return None, f"{exc}; configure its registry by hand"
        label = re.sub(r"[^a-z0-9-]+", "-", host.split(".")[0].split(":")[0].lower())
        guess = RegistryGuess(
            name="local" if loopback else KNOWN_REGISTRIES.get(host, label or "registry"),
            url=host,
            namespace=namespace,
            username_env="" if loopback else "REGISTRY_USERNAME",
            token_env="" if loopback else "REGISTRY_TOKEN",
            insecure=loopback,
        )
    try:
        split_host(guess.url, f"registry of image {image}")
        check_namespace(guess.namespace, f"namespace of image {image}")
    except ConfigError as exc:
        return None, f"{exc}; configure its registry by hand"
    return guess, ""


def infer_registry(images: list[str]) -> tuple[RegistryGuess | None, tuple[str, ...]]:
    """The one registry the built images' names agree on, and notes on what was not used."""
    guesses, notes = [], []
    for image in images:
        guess, note = registry_of_image(image)
        if guess is not None:
            guesses.append(guess)
        if note:
            notes.append(note)
    distinct = list(dict.fromkeys(guesses))
    if len(distinct) > 1:
        where = ", ".join(f"{g.url}/{g.namespace}" for g in distinct)
        return None, (*notes, f"the images name several registries ({where}); choose one")
    return (distinct[0] if distinct else None), tuple(notes)
