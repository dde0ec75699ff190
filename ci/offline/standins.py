#!/usr/bin/env python3
"""Build stand-ins for official base images from Debian trixie and push them to the mirror.

No image registry is reachable here, so `FROM python:3.13-slim` and
`image: postgres:17` resolve through a loopback registry mirror that holds these
stand-ins under `library/<name>:<tag>`. Each stand-in is rebuilt only when its
recipe (the dict below plus the files it names) changes: the recipe's hash is a
label on the image, compared with what the mirror already holds.

The stand-ins do not trust the host's TLS-intercepting proxy CA, like the
official images: our Dockerfiles must get the CA as a BuildKit secret.

More tags of an official image can resolve to a stand-in (`FROM python:3.13`,
`FROM node:20`): ALIASES below, plus DOCKWRIGHT_STANDIN_ALIASES
("python:3.13-bookworm=python:3.13-slim node:20-alpine=node:20-slim", space or
comma separated). Each alias is the stand-in pushed under one more tag: its layers
are shared, so it costs a manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIRROR = f"127.0.0.1:{os.environ.get('DOCKWRIGHT_MIRROR_PORT', '5555')}"
SUITE = "trixie"
# What node 20's official image carries: npm and corepack bundled with node,
# yarn 1 installed globally (its YARN_VERSION).
NPM_VERSION = "10.9.2"
COREPACK_VERSION = "0.32.0"
YARN_VERSION = "1.22.22"
ALIASES_ENV = "DOCKWRIGHT_STANDIN_ALIASES"

# Paths dropped from every rootfs: documentation, manuals, locales, apt caches.
CLEANUP = (
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "usr/share/lintian/*",
    "var/lib/apt/lists/*",
    "var/cache/apt/*",
    "var/cache/debconf/*-old",
    "var/log/*",
    # glibc's iconv modules: unused by python/node/postgres/registry, 8 MB.
    "usr/lib/x86_64-linux-gnu/gconv",
)

RECIPES: dict[str, dict[str, object]] = {
    "python:3.13-slim": {
        # Like the official image: `python` and `pip` on PATH, no PEP 668 marker,
        # pip alone (no setuptools, no wheel, as from 3.12 on) installed in
        # /usr/local with a RECORD, so `pip install --upgrade pip` can uninstall
        # it. Debian's python3-pip has no RECORD; ensurepip is disabled for
        # Debian's system python, so pip installs its own bundled wheel (the one
        # `python -m venv` uses, from python3-venv) without .pyc, as the official
        # image ships it.
        "packages": ["python3", "python3-venv", "ca-certificates"],
        "setup": (
            "rm -f /usr/lib/python3*/EXTERNALLY-MANAGED && "
            "ln -sf /usr/bin/python3 /usr/local/bin/python && "
            "whl=$(echo /usr/share/python-wheels/pip-*.whl) && "
            "python3 $whl/pip install --no-index --find-links /usr/share/python-wheels "
            "--no-cache-dir --no-compile --disable-pip-version-check --root-user-action=ignore "
            "--quiet pip && "
            "test -s /usr/local/lib/python3.13/dist-packages/pip-*.dist-info/RECORD && "
            "test -x /usr/local/bin/pip"
        ),
        "changes": [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            'CMD ["python3"]',
        ],
    },
    "node:20-slim": {
        # npm, corepack and yarn come from their registry tarballs into
        # /usr/local/lib/node_modules (as in the official image), not from Debian:
        # its npm drags in libnode-dev and node-gyp, and its node-corepack (a
        # dependency of nodejs) is 0.24, removed here in favour of node 20's own.
        "packages": ["nodejs", "ca-certificates"],
        "node_modules": {"npm": NPM_VERSION, "corepack": COREPACK_VERSION, "yarn": YARN_VERSION},
        "setup": (
            "groupadd --gid 1000 node && "
            "useradd --uid 1000 --gid node --shell /bin/bash --create-home node && "
            "rm -rf /usr/bin/corepack /usr/share/nodejs/corepack && "
            "m=/usr/local/lib/node_modules && "
            "ln -sf $m/npm/bin/npm-cli.js /usr/local/bin/npm && "
            "ln -sf $m/npm/bin/npx-cli.js /usr/local/bin/npx && "
            "ln -sf $m/corepack/dist/corepack.js /usr/local/bin/corepack && "
            "ln -sf $m/yarn/bin/yarn.js /usr/local/bin/yarn && "
            "ln -sf $m/yarn/bin/yarn.js /usr/local/bin/yarnpkg"
        ),
        "changes": [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV NODE_VERSION=20",
            f"ENV YARN_VERSION={YARN_VERSION}",
            'CMD ["node"]',
        ],
    },
    "postgres:17": {
        "packages": ["postgresql-17", "util-linux"],
        "files": {"postgres-entrypoint.sh": "usr/local/bin/docker-entrypoint.sh"},
        # postgresql-common creates a cluster on install; the entrypoint makes its own.
        "setup": (
            "rm -rf /var/lib/postgresql/17 /etc/postgresql/17 && "
            "mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data /var/run/postgresql && "
            "chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && "
            "chmod 755 /usr/local/bin/docker-entrypoint.sh"
        ),
        "changes": [
            "ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV PGDATA=/var/lib/postgresql/data",
            "ENV LANG=C.UTF-8",
            "VOLUME /var/lib/postgresql/data",
            "EXPOSE 5432",
            'ENTRYPOINT ["docker-entrypoint.sh"]',
            'CMD ["postgres"]',
        ],
    },
    "registry:2": {
        "packages": ["docker-registry", "ca-certificates"],
        "files": {"registry-config.yml": "etc/docker/registry/config.yml"},
        "setup": "ln -sf /usr/bin/docker-registry /bin/registry && mkdir -p /var/lib/registry",
        "changes": [
            "VOLUME /var/lib/registry",
            "EXPOSE 5000",
            'ENTRYPOINT ["registry"]',
            'CMD ["serve", "/etc/docker/registry/config.yml"]',
        ],
    },
}

# More tags of the official images that resolve to a stand-in, only where the
# stand-in has the tag's major version (so no node:lts, which is node 22 or later;
# python:3 is a newer 3.x upstream but the same major). Each is pushed to the mirror
# as the same image; DOCKWRIGHT_STANDIN_ALIASES adds more (see aliases()).
ALIASES: dict[str, str] = {
    "python:3.13": "python:3.13-slim",
    "python:3.13-trixie": "python:3.13-slim",
    "python:3.13-slim-trixie": "python:3.13-slim",
    "python:3": "python:3.13-slim",
    "python:3-slim": "python:3.13-slim",
    "node:20": "node:20-slim",
    "node:20-trixie": "node:20-slim",
    "node:20-trixie-slim": "node:20-slim",
    "node:iron": "node:20-slim",
    "node:iron-slim": "node:20-slim",
    "postgres:17-trixie": "postgres:17",
    "registry:2.8": "registry:2",
}

# An official image's <name>:<tag> (Docker Hub's library/, hence no slash).
REFERENCE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def aliases() -> dict[str, str]:
    """ALIASES plus those of DOCKWRIGHT_STANDIN_ALIASES: {alias: stand-in}."""
    table = dict(ALIASES)
    for item in os.environ.get(ALIASES_ENV, "").replace(",", " ").split():
        alias, _, target = item.partition("=")
        if not REFERENCE.fullmatch(alias) or target not in RECIPES:
            problem = f"want <name>:<tag>=<stand-in>, the stand-in one of {', '.join(RECIPES)}"
        elif alias in RECIPES:
            problem = f"{alias} is a stand-in itself"
        elif alias.split(":")[0] != target.split(":")[0]:
            problem = f"{alias} and {target} are different images"
        else:
            table[alias] = target
            continue
        raise SystemExit(f"[standins] {ALIASES_ENV}: {item!r}: {problem}")
    return table


def log(msg: str) -> None:
    print(f"[standins] {msg}", flush=True)


def recipe_hash(name: str) -> str:
    recipe = RECIPES[name]
    digest = hashlib.sha256(json.dumps([SUITE, CLEANUP, recipe], sort_keys=True).encode())
    for src in sorted(dict(recipe.get("files", {})).keys()):  # type: ignore[call-overload]
        digest.update((HERE / "standins" / src).read_bytes())
    return digest.hexdigest()[:16]


def mirror_config(name: str) -> str | None:
    """The digest of `name`'s image config in the mirror, or None when absent."""
    repo, tag = name.split(":")
    accept = "application/vnd.docker.distribution.manifest.v2+json"
    try:
        req = urllib.request.Request(
            f"http://{MIRROR}/v2/library/{repo}/manifests/{tag}", headers={"Accept": accept}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return str(json.load(resp)["config"]["digest"])
    except (OSError, KeyError, ValueError):
        return None


def mirror_recipe(name: str) -> str | None:
    """The recipe label of `name` in the mirror, or None when absent."""
    cfg = mirror_config(name)
    if cfg is None:
        return None
    try:
        with urllib.request.urlopen(
            f"http://{MIRROR}/v2/library/{name.split(':')[0]}/blobs/{cfg}", timeout=5
        ) as resp:
            config = json.load(resp)
    except (OSError, ValueError):
        return None
    labels = (config.get("config") or {}).get("Labels") or {}
    return labels.get("org.dockwright.fixture.recipe")


def archive_url() -> str:
    """The Debian archive this machine's apt already uses."""
    for path in Path("/etc/apt").glob("sources.list*"):
        files = [path] if path.is_file() else sorted(path.iterdir())
        for f in files:
            for line in f.read_text(errors="replace").splitlines():
                line = line.strip()
                if line.startswith("#"):
                    continue
                for word in line.split():
                    if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                        return word.rstrip("/")
    return "http://deb.debian.org/debian"


def fetch_node_module(dest: Path, name: str, version: str) -> None:
    """Unpack the registry tarball of name@version into /usr/local/lib/node_modules."""
    cache = Path("/var/cache/dockwright")
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / f"{name}-{version}.tgz"
    if not tgz.exists():
        subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(cache)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    target = dest / "usr/local/lib/node_modules" / name
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["tar", "-xzf", str(tgz), "-C", str(target), "--strip-components=1"], check=True
    )


def build(name: str, rhash: str) -> None:
    recipe = RECIPES[name]
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="standin-", dir="/var/tmp"))
    root = work / "rootfs"
    try:
        pkgs = ",".join(recipe["packages"])  # type: ignore[arg-type]
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={pkgs}", SUITE, str(root),
             archive_url()],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for src, dst in dict(recipe.get("files", {})).items():  # type: ignore[call-overload]
            (root / dst).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(HERE / "standins" / src, root / dst)
        modules = dict(recipe.get("node_modules", {}))  # type: ignore[call-overload]
        for module, version in modules.items():
            fetch_node_module(root, module, version)
        # A clean environment: the host's PIP_*, PYTHON* or NODE_* settings have no
        # business in the image.
        subprocess.run(["chroot", str(root), "/bin/sh", "-ec", str(recipe["setup"])], check=True,
                       env={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                            "HOME": "/root", "LANG": "C.UTF-8"})
        # debootstrap leaves the host's resolv.conf inside; the engine mounts its own.
        subprocess.run(
            ["sh", "-c", " ".join(f"rm -rf {root}/{p}" for p in CLEANUP)], check=True
        )
        (root / "etc/resolv.conf").unlink(missing_ok=True)
        ref = f"{MIRROR}/library/{name}"
        changes: list[str] = []
        for change in [
            *recipe["changes"],  # type: ignore[misc]
            "LABEL org.dockwright.fixture=true",
            f"LABEL org.dockwright.fixture.recipe={rhash}",
            f'LABEL org.opencontainers.image.description="dockwright test fixture: stand-in '
            f'for {name} from Debian {SUITE}; never publish"',
        ]:
            changes += ["--change", change]
        tar = subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."],
                               stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", *changes, "-", ref], stdin=tar.stdout, check=True,
                       stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            raise RuntimeError(f"tar of {root} failed")
        subprocess.run(["docker", "push", "-q", ref], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["docker", "tag", ref, name], check=True)
        log(f"built {name} in {time.monotonic() - started:.0f}s")
    except subprocess.CalledProcessError as exc:
        err = (exc.stderr or b"").decode(errors="replace")[-2000:] if exc.stderr else ""
        raise SystemExit(f"[standins] building {name} failed: {exc}\n{err}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def push_alias(name: str, alias: str) -> None:
    """Make `alias` the same image as the stand-in `name`, in the mirror and the engine."""
    if mirror_config(alias) != mirror_config(name):
        ref = f"{MIRROR}/library/{alias}"
        subprocess.run(["docker", "tag", name, ref], check=True)
        subprocess.run(["docker", "push", "-q", ref], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["docker", "image", "rm", ref], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["docker", "tag", name, alias], check=True)


def ensure(name: str, extra_tags: list[str]) -> str:
    rhash = recipe_hash(name)
    if mirror_recipe(name) == rhash:
        # Make sure the engine also knows the plain name (compose's image:), as the
        # image the mirror holds (aliases are tagged from it).
        local = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", name],
                               capture_output=True, text=True).stdout.strip()
        if local != mirror_config(name):
            subprocess.run(["docker", "pull", "-q", name], check=True, stdout=subprocess.DEVNULL)
        state = "up to date"
    else:
        build(name, rhash)
        state = "rebuilt"
    for alias in extra_tags:
        push_alias(name, alias)
    also = f"; also as {', '.join(extra_tags)}" if extra_tags else ""
    return f"{name}: {state} ({rhash}){also}"


def main() -> None:
    names = sys.argv[1:] or list(RECIPES)
    table = aliases()
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        for line in pool.map(
            lambda n: ensure(n, sorted(a for a, t in table.items() if t == n)), names
        ):
            log(line)
    for name in names:
        out = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", name],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        log(f"{name}: {int(out) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
