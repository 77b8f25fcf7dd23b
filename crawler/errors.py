"""The errors that mean "fix the configuration", printed without a traceback by the CLI."""

from __future__ import annotations

from crawler.alert.recipients import RecipientsError
from crawler.match import WatchlistError
from crawler.registry import RegistryError
from crawler.store.db import StoreUnavailable

CONFIG_ERRORS: tuple[type[Exception], ...] = (
    RegistryError, StoreUnavailable, WatchlistError, RecipientsError, FileNotFoundError,
)
