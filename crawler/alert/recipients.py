"""The recipients file (`settings/recipients.toml`): who gets which watchlist, how and when.

Office recipients (`[[recipient]]`) get alert mail; maintainers (`[[maintainer]]`) get only
operational notices and never office mail. A bad entry fails naming the file, the TOML path and
the fix.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler import paths
from crawler.config import ClockWindowField, parse_clock
from crawler.errors import ConfigError, plain_message

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_WATCHLIST_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class RecipientsError(ConfigError):
    """A recipients file that cannot be used; the message says where and how to fix it."""


def _check_address(value: str) -> str:
    value = value.strip()
    if not _ADDRESS.match(value):
        raise ValueError(
            f"{value!r} is not an e-mail address; write e.g. 'tourism@city.example' (ASCII; punycode for IDN domains)"
        )
    try:
        Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise ValueError(f"{value!r} is not an e-mail address ({exc})") from exc
    return value


class Maintainer(BaseModel):
    """An engineer who gets operational notices (failed deliveries, health), never office mail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    name: str = ""

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return _check_address(v)


class Recipient(BaseModel):
    """One `[[recipient]]`: an address, its watchlists, and when mail may go out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    name: str = ""
    watchlists: tuple[str, ...] = Field(min_length=1)
    mode: Literal["immediate", "digest", "both"] = "digest"
    immediate_min_score: float = 12.0
    digest_times: tuple[str, ...] = ("08:30",)
    weekdays: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    quiet_hours: ClockWindowField | None = None  # "22:00-07:00"; "" for none
    skip_holidays: bool = False
    channel: Literal["email", "webhook"] = "email"
    webhook_url: str = ""
    echo: bool = False  # the digest's "보도자료 반영" section: the office's releases and who carried them

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return _check_address(v)

    @field_validator("watchlists")
    @classmethod
    def _watchlists(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for wid in v:
            if not _WATCHLIST_ID.match(wid):
                raise ValueError(
                    f"{wid!r} is not a watchlist id; use the file name under settings/watchlists/ without .toml, e.g. 'medical-tourism'"
                )
        return v

    @field_validator("digest_times")
    @classmethod
    def _digest_times(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for t in v:
            parse_clock(t)
        return v

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError('list at least one day, e.g. ["mon", "tue", "wed", "thu", "fri"]')
        return v

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _no_quiet_hours(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @model_validator(mode="after")
    def _channel(self) -> Recipient:
        if self.channel == "webhook" and not re.match(r"^https?://[^/\s]+", self.webhook_url):
            raise ValueError('channel = "webhook" needs webhook_url = "https://…"')
        if self.channel == "email" and self.webhook_url:
            raise ValueError(
                'webhook_url is set but channel is "email"; set channel = "webhook" or remove webhook_url'
            )
        if self.mode in ("digest", "both") and not self.digest_times:
            raise ValueError(
                f'mode = {self.mode!r} needs at least one digest time, e.g. digest_times = ["08:30"]'
            )
        return self

    @property
    def wants_immediate(self) -> bool:
        return self.mode in ("immediate", "both")

    @property
    def wants_digest(self) -> bool:
        return self.mode in ("digest", "both")

    @property
    def digest_clock(self) -> list[time]:
        """The digest times as `time` objects (Asia/Seoul), earliest first."""
        return sorted(parse_clock(t) for t in self.digest_times)

    @property
    def weekday_numbers(self) -> frozenset[int]:
        """The digest days as `date.weekday()` numbers (Monday = 0)."""
        return frozenset(WEEKDAYS.index(d) for d in self.weekdays)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """(start, end) of the quiet hours, or None."""
        return self.quiet_hours.as_tuple() if self.quiet_hours else None

    @property
    def display(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


class Recipients(BaseModel):
    """The whole file: office recipients, maintainers, and extra holidays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recipient: tuple[Recipient, ...] = ()
    maintainer: tuple[Maintainer, ...] = ()
    holidays: tuple[date, ...] = ()  # days off the built-in table knows nothing of

    def for_watchlist(self, watchlist_id: str) -> list[Recipient]:
        """The office recipients subscribed to a watchlist, in file order."""
        return [r for r in self.recipient if watchlist_id in r.watchlists]

    def by_address(self) -> dict[str, Recipient]:
        return {r.address: r for r in self.recipient}

    @property
    def maintainers(self) -> list[Maintainer]:
        return list(self.maintainer)


def _describe(err: Any, data: dict[str, Any], path: Path) -> str:
    """One validation error as 'file: TOML path (entry): problem; fix'."""
    loc = list(err["loc"])
    toml_path = ""
    for part in loc:
        toml_path += (
            f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if toml_path else str(part))
        )
    entry = ""
    if len(loc) >= 2 and loc[0] in ("recipient", "maintainer") and isinstance(loc[1], int):
        items = data.get(loc[0], [])
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        if isinstance(item, dict) and item.get("address"):
            entry = f" ({item['address']})"
    msg = plain_message(err, "keys: see settings/recipients.toml")
    return f"{path}: {toml_path or '(top level)'}{entry}: {msg}"


def load_recipients(path: Path | None = None) -> Recipients:
    """Read and validate the recipients file (default NEWSWATCH_RECIPIENTS_FILE)."""
    path = path or paths.recipients_file()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecipientsError(
            f"{path}: cannot read the recipients file ({exc.strerror}); "
            "set NEWSWATCH_RECIPIENTS_FILE to an existing file"
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RecipientsError(f"{path}: not valid UTF-8 TOML: {exc}") from exc
    try:
        recipients = Recipients.model_validate(data)
    except ValidationError as exc:
        raise RecipientsError("\n".join(_describe(e, data, path) for e in exc.errors())) from None
    _check_unique(recipients, path)
    return recipients


def _check_unique(recipients: Recipients, path: Path) -> None:
    """An address may appear once among recipients (it is part of the alert key)."""
    seen: set[str] = set()
    for i, recipient in enumerate(recipients.recipient):
        key = recipient.address.lower()
        if key in seen:
            raise RecipientsError(
                f"{path}: recipient[{i + 1}] ({recipient.address}): the address appears twice; "
                "merge the entries (list several watchlists in one)"
            )
        seen.add(key)
