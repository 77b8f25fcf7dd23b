"""Signed feedback tokens: HMAC-SHA256 over a small JSON payload, with an expiry.

Format: ``base64url(payload JSON) "." base64url(HMAC-SHA256(secret, first part))``. The secret is
NEWSWATCH_SECRET, else ``$NEWSWATCH_HOME/secret.key`` (32 random bytes, hex, created 0600 on
first use). A token names one recipient, watchlist, story and verdict: it can record that vote
and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from crawler import paths
from crawler.alert.compose import FeedbackLinks
from crawler.config import MIN_SECRET_LENGTH, settings
from crawler.errors import ConfigError
from crawler.store.models import VERDICTS

DEFAULT_LIFETIME = timedelta(days=30)
_MIN_SECRET = MIN_SECRET_LENGTH


class TokenError(ConfigError):
    """A token that cannot be honoured: malformed, forged, tampered with or expired."""


@dataclass(frozen=True)
class FeedbackPayload:
    """What a token grants: one verdict on one story, by one recipient, until `expires`."""

    recipient: str
    watchlist_id: str
    story_id: int
    verdict: str
    expires: datetime
    outlet_id: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"r": self.recipient, "w": self.watchlist_id, "s": self.story_id,
                                   "v": self.verdict, "e": int(self.expires.timestamp())}
        if self.outlet_id:
            data["o"] = self.outlet_id
        return data


def secret_file() -> Path:
    return paths.home() / "secret.key"


def load_secret() -> bytes:
    """NEWSWATCH_SECRET, else the secret file (created 0600 with a random secret on first use)."""
    configured = settings().secret  # at least 16 characters: checked by the settings
    if configured is not None:
        return configured.get_secret_value().strip().encode()
    path = secret_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written whole under a temporary name, then linked into place: a second process never
        # reads a half-written secret, and the first link wins
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    value = path.read_text(encoding="ascii").strip()
    if len(value) < _MIN_SECRET:
        raise TokenError(f"{path} is empty or too short; delete it to make a new secret")
    return value.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(body: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest())


def make_token(recipient: str, watchlist_id: str, story_id: int, verdict: str, *,
               outlet_id: str | None = None, lifetime: timedelta = DEFAULT_LIFETIME,
               now: datetime | None = None, secret: bytes | None = None) -> str:
    """A signed token for one verdict on one story."""
    if verdict not in VERDICTS:
        raise TokenError(f"verdict {verdict!r}: use one of {', '.join(VERDICTS)}")
    if verdict == "mute-outlet" and not outlet_id:
        raise TokenError("a mute-outlet token needs the outlet id")
    expires = (now or datetime.now(UTC)) + lifetime
    payload = FeedbackPayload(recipient, watchlist_id, int(story_id), verdict, expires, outlet_id)
    body = _b64(json.dumps(payload.to_json(), separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_sign(body, secret or load_secret())}"


def verify_token(token: str, *, now: datetime | None = None, secret: bytes | None = None) -> FeedbackPayload:
    """The payload of a genuine, unexpired token; TokenError otherwise."""
    body, dot, signature = (token or "").strip().partition(".")
    if not dot or not body or not signature or not token.isascii():
        raise TokenError("malformed feedback token (expected two dot-separated parts); use the link from the mail")
    expected = _sign(body, secret or load_secret())
    if not hmac.compare_digest(expected, signature):
        raise TokenError("feedback token signature does not match: forged, altered or from another installation")
    try:
        data = json.loads(_unb64(body))
        payload = FeedbackPayload(
            recipient=str(data["r"]), watchlist_id=str(data["w"]), story_id=int(data["s"]),
            verdict=str(data["v"]), expires=datetime.fromtimestamp(int(data["e"]), UTC),
            outlet_id=str(data["o"]) if data.get("o") else None,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"feedback token payload is unreadable ({exc})") from None
    if payload.verdict not in VERDICTS:
        raise TokenError(f"feedback token has an unknown verdict {payload.verdict!r}")
    current = now or datetime.now(UTC)
    if current >= payload.expires:
        raise TokenError(
            f"feedback token expired on {payload.expires.isoformat(timespec='seconds')}; "
            "use a newer mail or `newswatch label`"
        )
    return payload


@dataclass(frozen=True)
class SignedFeedbackLinks(FeedbackLinks):
    """Mail links carrying a signed token: `{base}/feedback?t=TOKEN` (no login, one vote only)."""

    lifetime: timedelta = DEFAULT_LIFETIME

    def token(self, *, recipient: str, watchlist_id: str, story_id: int, verdict: str = "relevant",
              outlet_id: str | None = None) -> str | None:
        """A signed token for one verdict."""
        return make_token(recipient, watchlist_id, story_id, verdict, outlet_id=outlet_id, lifetime=self.lifetime)

    def url(self, *, recipient: str, watchlist_id: str, story_id: int, relevant: bool) -> str:
        """The 관련 있음 / 관련 없음 link for one story in one recipient's mail."""
        verdict = "relevant" if relevant else "irrelevant"
        token = self.token(recipient=recipient, watchlist_id=watchlist_id, story_id=story_id, verdict=verdict)
        return f"{self.base_url.rstrip('/')}/feedback?t={quote(token or '', safe='')}"

    def mute_url(self, *, recipient: str, watchlist_id: str, story_id: int, outlet_id: str) -> str:
        """The "mute this outlet for this watchlist" link."""
        token = self.token(recipient=recipient, watchlist_id=watchlist_id, story_id=story_id,
                           verdict="mute-outlet", outlet_id=outlet_id)
        return f"{self.base_url.rstrip('/')}/feedback?t={quote(token or '', safe='')}"

