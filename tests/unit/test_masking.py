"""One rule for secret names, used by `.env` rules, compose lint, init and `config`."""

from __future__ import annotations

import pytest

from dockwright.masking import looks_secret, mask, mask_url_passwords
from dockwright.stack import mask_config


@pytest.mark.parametrize(
    "name",
    [
        "POSTGRES_PASSWORD",
        "DB_PASS",
        "DB_PASSWD",
        "AWS_SECRET_ACCESS_KEY",
        "STRIPE_KEY",
        "GITHUB_TOKEN",
        "API_KEY",
        "APIKEY",
        "SECRET_KEY_BASE",
        "JWT_SECRET",
        "PASSWORD_SALT",
        "GOOGLE_CREDENTIALS",
        "ssh_private_key",
    ],
)
def test_secret_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "PASSWORD_FILE",
        "SECRET_PATH",
        "AWS_ACCESS_KEY_ID",
        "KEYBOARD",
        "PASSPORT",
        "LOG_LEVEL",
        "KEY_NAME",
        "TOKEN_LENGTH",
        "BYPASS_CACHE",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not looks_secret(name)


def test_mask_is_fixed_width_and_empty_stays_empty() -> None:
    assert mask("a") == mask("a" * 64) == "********"
    assert mask("") == ""


def test_url_passwords_are_masked_in_place() -> None:
    text = "DATABASE_URL=postgresql://todo:hunter2@db:5432/todo and redis://:s3@cache/0"
    assert mask_url_passwords(text) == (
        "DATABASE_URL=postgresql://todo:********@db:5432/todo and redis://:********@cache/0"
    )


def test_config_masks_every_name_that_says_secret() -> None:
    """`invoke config` once masked only *PASSWORD/*SECRET/*TOKEN/*KEY suffixes: DB_PASS,
    AWS_SECRET_ACCESS_KEY as a list entry, and STRIPE_KEY showed in the clear."""
    config = {
        "services": {
            "api": {
                "environment": {
                    "DB_PASS": "pw-1",
                    "STRIPE_KEY": "sk_live_2",
                    "LOG_LEVEL": "info",
                    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                },
                "command": ["AWS_SECRET_ACCESS_KEY=abc/def", "--verbose"],
            }
        }
    }
    api = mask_config(config, [])["services"]["api"]
    assert api["environment"] == {
        "DB_PASS": "********",
        "STRIPE_KEY": "********",
        "LOG_LEVEL": "info",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    }
    assert api["command"] == ["AWS_SECRET_ACCESS_KEY=********", "--verbose"]
