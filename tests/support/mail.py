"""A real SMTP server (aiosmtpd) on 127.0.0.1, its users and certificate, and a recipients file."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from crawler.alert.recipients import Recipients
from tests.support.env import free_port
from tests.support.stories import WATCHLIST


@dataclass
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return str(body.get_content())


@dataclass
class Handler:
    """Stores accepted messages; can refuse recipients or data with a given SMTP reply."""

    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(
        default_factory=dict
    )  # address -> e.g. "550 5.1.1 no such user"
    data_reply: str | None = None
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=default_policy
        )
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK queued"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@contextmanager
def smtp_server(**smtp_kwargs: Any) -> Iterator[tuple[Handler, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) for the duration of the block."""
    handler = Handler()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ready_timeout=10, **smtp_kwargs
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


class Users:
    """An aiosmtpd authenticator with one user."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()
        self.attempts = 0

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.attempts += 1
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok, handled=False)


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost (and its key), made now with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def recipients(
    *entries: dict[str, Any], maintainers: tuple[str, ...] = ("ops@newswatch.example",)
) -> Recipients:
    """A Recipients object as the file would give it; entries default to a weekday 08:30 digest."""
    base = {"watchlists": [WATCHLIST], "mode": "digest", "digest_times": ["08:30"]}
    return Recipients.model_validate(
        {
            "recipient": [{**base, **e} for e in entries],
            "maintainer": [{"address": m, "name": "운영 담당"} for m in maintainers],
        }
    )


TEAM = "tourism@city.example"
# the city's medical-tourism team; a test appends its other recipients and maintainers
CITY_TEAM = f"""
[[recipient]]
address = "{TEAM}"
name = "의료관광팀"
watchlists = ["{WATCHLIST}"]
"""


def mail_only_env(directory: Path, recipients_toml: str) -> dict[str, str]:
    """The settings of a home that only mails: this recipients file, no registry, no watchlists."""
    path = directory / "recipients.toml"
    path.write_text(recipients_toml, encoding="utf-8")
    return {
        "NEWSWATCH_RECIPIENTS_FILE": str(path),
        "NEWSWATCH_OUTLETS_FILE": str(directory / "no-registry.toml"),
        "NEWSWATCH_WATCHLISTS_DIR": str(directory / "no-watchlists"),
    }
