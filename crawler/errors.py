"""Errors a person fixes by editing configuration (or starting a database), and the exit codes
every command shares. The lowest layer: anything may raise these; the CLI prints them in one line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EXIT_OK = 0
EXIT_NEEDS_A_PERSON = 1  # the run worked and found something a person must look at
EXIT_CONFIG = 2  # bad configuration or an unusable database: nothing was done
EXIT_LOCKED = 3  # another scheduler holds the lock


class ConfigError(ValueError):
    """Fix the configuration: the message says what and where; no traceback is shown."""


class ServiceUnavailable(RuntimeError):
    """A service the command needs (the database) cannot be reached: the message says which."""


USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, ServiceUnavailable, FileNotFoundError)
"""What the commands print as `newswatch: <message>` and exit with EXIT_CONFIG."""


def plain_message(err: Mapping[str, Any], keys_hint: str) -> str:
    """A pydantic error in the words of someone editing a TOML file; `keys_hint` says where keys are listed."""
    if err["type"] == "extra_forbidden":
        return f"unknown key; remove it or fix its spelling ({keys_hint})"
    if err["type"] == "missing":
        return "required key is missing; add it"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "literal_error":
        return f"{msg} (got {err.get('input')!r})"
    return msg
