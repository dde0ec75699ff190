"""Reading the user's own `docker login`: their config file and credential helper.

Read-only, as crane, skopeo and regctl do: the helper is asked `get` and
nothing else, so dockwright never stores, replaces or erases a credential in
the user's keychain.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from dockwright.errors import RegistryError

NOT_FOUND = "credentials not found"


def helper_get(helper: str, server: str) -> tuple[str, str] | None:
    """(username, secret) that `docker-credential-<helper>` holds for `server`, or None."""
    program = f"docker-credential-{helper}"
    path = shutil.which(program)
    if path is None:
        raise RegistryError(
            f"your docker config names the credential helper {helper!r}, but {program} is "
            "not on PATH; install it, or run `docker logout` and log in again"
        )
    try:
        proc = subprocess.run(
            [path, "get"], input=server, capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        raise RegistryError(
            f"{program} get did not answer within 60 s (locked keychain?)"
        ) from None
    if proc.returncode != 0:
        if NOT_FOUND in (proc.stdout + proc.stderr).lower():
            return None
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RegistryError(f"{program} get failed for {server}: {last[0]}")
    try:
        data = json.loads(proc.stdout)
        return str(data["Username"]), str(data["Secret"])
    except (ValueError, KeyError, TypeError):
        raise RegistryError(f"{program} get answered something that is not its JSON") from None
