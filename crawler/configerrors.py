"""Pydantic validation errors in the words of someone editing a TOML file (registry, recipients)."""

from __future__ import annotations

from typing import Any


def plain_message(err: dict[str, Any], keys_hint: str) -> str:
    """One error's message: unknown and missing keys say what to do; `keys_hint` says where keys are listed."""
    if err["type"] == "extra_forbidden":
        return f"unknown key; remove it or fix its spelling ({keys_hint})"
    if err["type"] == "missing":
        return "required key is missing; add it"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "literal_error":
        return f"{msg} (got {err.get('input')!r})"
    return msg
