"""Secret names and masking: the one place that decides what is a secret and how it shows.

A variable is a secret when a part of its name says so (`POSTGRES_PASSWORD`,
`DB_PASS`, `AWS_SECRET_ACCESS_KEY`, `STRIPE_KEY`, `GITHUB_TOKEN`), unless the name
points at where the secret lives (`PASSWORD_FILE`, `KEY_ID`). A masked value is
fixed-width, so not even its length shows; URL passwords are masked in place.
"""

from __future__ import annotations

import re

# Name parts that make a variable a secret (POSTGRES_PASSWORD, API_KEY, GITHUB_TOKEN).
SECRET_PART = re.compile(r"PASSW(OR)?D|PASS|PWD|SECRETS?|TOKEN|(API)?KEY|CREDENTIALS?|PRIVATE|SALT")
# ...unless the variable names where the secret is, not the secret itself.
NOT_SECRET_SUFFIXES = ("_FILE", "_PATH", "_DIR", "_ID", "_NAME", "_LENGTH")
MASK = "********"
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?=@)", re.I)


def looks_secret(name: str) -> bool:
    """`POSTGRES_PASSWORD`, `API_KEY`, `SECRET_KEY_BASE` yes; `PASSWORD_FILE`, `KEYBOARD` no."""
    upper = name.upper()
    if upper.endswith(NOT_SECRET_SUFFIXES):
        return False
    return any(SECRET_PART.fullmatch(part) for part in re.split(r"[_\W]+", upper))


def mask(value: str) -> str:
    """Stand-in for a secret value: fixed-width, so not even its length shows."""
    return MASK if value else ""


def mask_url_passwords(text: str) -> str:
    """`postgresql://user:pw@host` -> `postgresql://user:********@host`, anywhere in text."""
    return _URL_PASSWORD.sub(lambda m: m["head"] + mask(m["pw"]), text)
