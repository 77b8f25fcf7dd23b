"""Delivering a composed message: SMTP, the outbox directory, or a webhook.

Every transport raises `DeliveryError(permanent, message)` on failure. Permanent means "this
message will never reach this recipient as it is" (SMTP 5xx for the recipient or the data);
everything else — 4xx, timeouts, refused connections, failed logins, TLS trouble — is
temporary and retried later. The SMTP password never appears in a repr, a log or an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from crawler import config, paths

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_FROM = "newswatch@localhost"


class DeliveryError(Exception):
    """A message was not delivered; `permanent` says whether trying again can help.

    `server_wide` marks failures that are not about this message or recipient (server down,
    login or TLS settings, disk full): the sender then defers the rest of the drain untried.
    """

    def __init__(self, permanent: bool, message: str, *, server_wide: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.message = message
        self.server_wide = server_wide


class Transport(Protocol):
    """Something that delivers a composed message to envelope recipients."""

    from_address: str
    reply_to: str | None

    def send(self, message: EmailMessage, to: Sequence[str]) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class SmtpSettings:
    """NEWSWATCH_SMTP_*: where and how to send mail. `password` is kept out of repr."""

    host: str
    port: int = 587
    security: Security = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    from_address: str = DEFAULT_FROM
    reply_to: str | None = None
    timeout: float = 30.0
    cafile: str | None = None  # extra CA bundle for a relay with a private certificate

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """NEWSWATCH_SMTP_* of the process's settings (or of `env`); raises without a host."""
        s = config.settings() if env is None else config.load_settings(env)
        if not s.smtp_host:
            raise ValueError("NEWSWATCH_SMTP_HOST is not set; mail goes to the outbox directory instead")
        return cls(
            host=s.smtp_host,
            port=s.smtp_port_or_default(),
            security=s.smtp_security,
            user=s.smtp_user,
            password=s.smtp_password.get_secret_value(),
            from_address=s.smtp_from,
            reply_to=s.smtp_reply_to or None,
            timeout=float(s.smtp_timeout),
            cafile=str(s.smtp_cafile) if s.smtp_cafile else None,
        )

    def describe(self) -> str:
        """Where mail goes, for logs and reports (no password)."""
        who = f"{self.user}@" if self.user else ""
        return f"smtp://{who}{self.host}:{self.port} ({self.security})"


class SmtpTransport:
    """Sends each message over its own SMTP connection (smtplib), STARTTLS/SSL/plain, with login."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.from_address = settings.from_address
        self.reply_to = settings.reply_to

    def __repr__(self) -> str:
        return f"SmtpTransport({self.settings.describe()})"

    def describe(self) -> str:
        return self.settings.describe()

    def send(self, message: EmailMessage, to: Sequence[str]) -> None:
        """Deliver one message; raise DeliveryError (permanent or temporary) when the server says no."""
        try:
            with self._connect() as smtp:
                self._secure_and_login(smtp)
                refused = smtp.send_message(message, from_addr=self.from_address, to_addrs=list(to))
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc.recipients) from None
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(
                False,
                f"{_code(exc.smtp_code, exc.smtp_error)} the server refused the sender {exc.sender}; "
                "check NEWSWATCH_SMTP_FROM",
                server_wide=True,
            ) from None
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                exc.smtp_code >= 500, f"{_code(exc.smtp_code, exc.smtp_error)} message refused"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                exc.smtp_code >= 500,  # 535 bad credentials: fails for good until fixed, then --retry-failed
                f"{_code(exc.smtp_code, exc.smtp_error)} login as {self.settings.user!r} failed; "
                "check NEWSWATCH_SMTP_USER and NEWSWATCH_SMTP_PASSWORD",
                server_wide=True,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                False,
                f"{self.describe()}: {_scrub(str(exc), self.settings)}; check NEWSWATCH_SMTP_SECURITY",
                server_wide=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            why = f"{_code(exc.smtp_code, exc.smtp_error)} from {self.describe()}"
            raise DeliveryError(False, why, server_wide=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            # connection refused, timeout, TLS handshake, disconnect
            detail = _scrub(str(exc), self.settings)
            why = f"{self.describe()}: {type(exc).__name__}: {detail}"
            raise DeliveryError(False, why, server_wide=True) from None
        if refused:
            raise _refused(refused)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout, local_hostname=_helo_name())

    def _secure_and_login(self, smtp: smtplib.SMTP) -> None:
        s = self.settings
        smtp.ehlo()
        if s.security == "starttls":
            smtp.starttls(context=self._tls_context())
            smtp.ehlo()
        if s.user:
            smtp.login(s.user, s.password)

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)


def _helo_name() -> str:
    name = socket.getfqdn()
    return name if name.isascii() else "localhost"


def _code(code: int, error: bytes | str) -> str:
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"SMTP {code} {' '.join(text.split())}"


def _refused(recipients: dict[str, tuple[int, bytes]]) -> DeliveryError:
    """A refused recipient: permanent on 5xx, temporary on 4xx."""
    codes = [code for code, _ in recipients.values()]
    detail = "; ".join(f"{addr}: {_code(code, err)}" for addr, (code, err) in recipients.items())
    return DeliveryError(
        bool(codes) and all(c >= 500 for c in codes), f"recipient refused: {detail}"
    )


def _scrub(text: str, settings: SmtpSettings) -> str:
    """Never let the password through, even if a library put it in an error."""
    return text.replace(settings.password, "***") if settings.password else text


class OutboxTransport:
    """Writes each message as `<outbox>/<timestamp>-<recipient>-<hash>.eml` (atomically)."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        from_address: str = DEFAULT_FROM,
        reply_to: str | None = None,
    ) -> None:
        self.directory = directory or paths.outbox_dir()
        self.from_address = from_address
        self.reply_to = reply_to

    def __repr__(self) -> str:
        return f"OutboxTransport({self.directory})"

    def describe(self) -> str:
        return f"outbox {self.directory} (NEWSWATCH_SMTP_HOST is not set)"

    def send(self, message: EmailMessage, to: Sequence[str]) -> None:
        """Write the message; a full disk or a missing directory is a temporary failure."""
        data = message.as_bytes(policy=SMTP_POLICY)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        who = re.sub(r"[^A-Za-z0-9@._-]+", "_", ",".join(to))[:80]
        digest = hashlib.sha256(str(message.get("Message-ID", "")).encode() + data).hexdigest()[:12]
        target = self.directory / f"{stamp}-{who}-{digest}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            why = f"cannot write {target}: {exc.strerror or exc}; check NEWSWATCH_HOME"
            raise DeliveryError(False, why, server_wide=True) from None
        log.info("alert mail written to %s", target)


class WebhookTransport:
    """POSTs a JSON summary of a message to a recipient's webhook URL (chat tools and the like)."""

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        from_address: str = DEFAULT_FROM,
        reply_to: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.from_address = from_address
        self.reply_to = reply_to

    def describe(self) -> str:
        return "webhook"

    def post(self, url: str, payload: dict[str, Any]) -> None:
        """POST the payload; 4xx (but 408/429) is permanent, the rest temporary."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            # the URL is http(s): checked when the recipients file is loaded
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(
                permanent, f"webhook {_host(url)} answered HTTP {exc.code}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(
                False, f"webhook {_host(url)}: {type(exc).__name__}: {exc}"
            ) from None


def _host(url: str) -> str:
    """Only the host of a webhook URL: the path often is the secret."""
    return urlsplit(url).netloc or "?"


def transport_from_env() -> SmtpTransport | OutboxTransport:
    """SMTP when NEWSWATCH_SMTP_HOST is set, else the outbox directory under NEWSWATCH_HOME."""
    s = config.settings()
    if s.smtp_host:
        return SmtpTransport(SmtpSettings.from_env())
    return OutboxTransport(paths.outbox_dir(), from_address=s.smtp_from, reply_to=s.smtp_reply_to or None)
