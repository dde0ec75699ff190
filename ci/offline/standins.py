#!/usr/bin/env python3
"""Build stand-ins for official base images from Debian trixie and push them to the mirror.

No image registry is reachable here, so `FROM python:3.13-slim` and
`image: postgres:17` resolve through a loopback registry mirror that holds these
stand-ins under `library/<name>:<tag>`. Each stand-in is rebuilt only when its
recipe (the dict below plus the files it names) changes: the recipe's hash is a
label on the image, compared with what the mirror already holds.

The stand-ins do not trust the host's TLS-intercepting proxy CA, like the
official images: our Dockerfiles must get the CA as a BuildKit secret.
"""

from __future__ import annotations

import hashlib
import json
import os
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
NPM_VERSION = "10.9.2"  # the npm that node 20's official image bundles

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
        "packages": ["python3", "python3-pip", "python3-venv", "ca-certificates"],
        # The official image has `python` and `pip` on PATH and no PEP 668 marker.
        "setup": (
            "ln -sf /usr/bin/python3 /usr/local/bin/python && "
            "ln -sf /usr/bin/pip3 /usr/local/bin/pip && "
            "rm -f /usr/lib/python3*/EXTERNALLY-MANAGED"
        ),
        "changes": [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            'CMD ["python3"]',
        ],
    },
    "node:20-slim": {
        # npm comes from its own registry tarball (as in the official image),
        # not Debian's npm, which drags in libnode-dev and node-gyp.
        "packages": ["nodejs", "ca-certificates"],
        "npm": NPM_VERSION,
        "setup": (
            "groupadd --gid 1000 node && "
            "useradd --uid 1000 --gid node --shell /bin/bash --create-home node && "
            "ln -sf /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && "
            "ln -sf /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx"
        ),
        "changes": [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV NODE_VERSION=20",
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


def log(msg: str) -> None:
    print(f"[standins] {msg}", flush=True)


def recipe_hash(name: str) -> str:
    recipe = RECIPES[name]
    digest = hashlib.sha256(json.dumps([SUITE, CLEANUP, recipe], sort_keys=True).encode())
    for src in sorted(dict(recipe.get("files", {})).keys()):  # type: ignore[call-overload]
        digest.update((HERE / "standins" / src).read_bytes())
    return digest.hexdigest()[:16]


def mirror_recipe(name: str) -> str | None:
    """The recipe label of `name` in the mirror, or None when absent."""
    repo, tag = name.split(":")
    accept = "application/vnd.docker.distribution.manifest.v2+json"
    try:
        req = urllib.request.Request(
            f"http://{MIRROR}/v2/library/{repo}/manifests/{tag}", headers={"Accept": accept}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            manifest = json.load(resp)
        cfg = manifest["config"]["digest"]
        with urllib.request.urlopen(
            f"http://{MIRROR}/v2/library/{repo}/blobs/{cfg}", timeout=5
        ) as resp:
            config = json.load(resp)
    except (OSError, KeyError, ValueError):
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


def fetch_npm(dest: Path, version: str) -> None:
    cache = Path("/var/cache/dockwright")
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / f"npm-{version}.tgz"
    if not tgz.exists():
        subprocess.run(
            ["npm", "pack", f"npm@{version}", "--silent", "--pack-destination", str(cache)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    target = dest / "usr/local/lib/node_modules/npm"
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
        if "npm" in recipe:
            fetch_npm(root, str(recipe["npm"]))
        subprocess.run(["chroot", str(root), "/bin/sh", "-ec", str(recipe["setup"])], check=True)
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


def ensure(name: str) -> str:
    rhash = recipe_hash(name)
    if mirror_recipe(name) == rhash:
        # Make sure the engine also knows the plain name (compose's image:).
        if subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode:
            subprocess.run(["docker", "pull", "-q", name], check=True, stdout=subprocess.DEVNULL)
        return f"{name}: up to date ({rhash})"
    build(name, rhash)
    return f"{name}: rebuilt ({rhash})"


def main() -> None:
    names = sys.argv[1:] or list(RECIPES)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        for line in pool.map(ensure, names):
            log(line)
    for name in names:
        out = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Size}}", name],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        log(f"{name}: {int(out) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
