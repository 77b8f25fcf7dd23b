"""Transports against a real SMTP server (aiosmtpd): TLS, login, refusals, and the outbox directory."""

from __future__ import annotations

import logging
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from crawler.alert.transport import (
    DeliveryError,
    OutboxTransport,
    SmtpSettings,
    SmtpTransport,
    transport_from_env,
)
from tests.support.env import free_port
from tests.support.mail import Users, self_signed_cert, server_tls_context, smtp_server

SUBJECT = "[의료관광] 새 보도 1건 — 인천시, 의료관광 팸투어"


def message(to: str = "tourism@city.example") -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = SUBJECT
    msg["From"] = "newswatch@city.example"
    msg["To"] = to
    msg["Message-ID"] = "<0123456789abcdef@newswatch>"
    msg.set_content("본문 요약", charset="utf-8", cte="base64")
    return msg


def plain_settings(port: int, **kw: object) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        from_address="newswatch@city.example",
        timeout=5,
        **kw,
    )  # type: ignore[arg-type]


def test_plain_smtp_delivers_korean_intact() -> None:
    with smtp_server() as (handler, port):
        SmtpTransport(plain_settings(port)).send(message(), ["tourism@city.example"])
    (got,) = handler.received
    assert got.rcpt_tos == ["tourism@city.example"] and got.mail_from == "newswatch@city.example"
    assert got.subject == SUBJECT
    assert got.part("plain").strip() == "본문 요약"


def test_starttls_and_login(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    users = Users("newswatch", "s3cret-pw")
    with smtp_server(
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=users,
    ) as (handler, port):
        settings = SmtpSettings(
            host="127.0.0.1",
            port=port,
            security="starttls",
            user="newswatch",
            password="s3cret-pw",
            from_address="newswatch@city.example",
            timeout=5,
            cafile=str(cert),
        )
        SmtpTransport(settings).send(message(), ["tourism@city.example"])
        assert users.attempts == 1 and [r.subject for r in handler.received] == [SUBJECT]

        wrong = SmtpSettings(**{**settings.__dict__, "password": "wrong-pw"})
        with pytest.raises(DeliveryError) as info:
            SmtpTransport(wrong).send(message(), ["tourism@city.example"])
        # 535: fails for good until someone fixes the password (issue 16), then `send --retry-failed`
        assert info.value.permanent and "535" in str(info.value)
        assert "NEWSWATCH_SMTP_PASSWORD" in str(info.value) and "wrong-pw" not in str(info.value)

        untrusted = SmtpSettings(
            **{**settings.__dict__, "cafile": None}
        )  # a certificate we cannot verify
        with pytest.raises(DeliveryError, match="SSL") as info:
            SmtpTransport(untrusted).send(message(), ["tourism@city.example"])
        assert not info.value.permanent

        no_tls = SmtpSettings(
            **{**settings.__dict__, "security": "none"}
        )  # the server insists on STARTTLS
        with pytest.raises(DeliveryError) as info:
            SmtpTransport(no_tls).send(message(), ["tourism@city.example"])
        assert not info.value.permanent
    assert len(handler.received) == 1


def test_implicit_tls(tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    with smtp_server(ssl_context=server_tls_context(cert, key)) as (handler, port):
        settings = SmtpSettings(
            host="127.0.0.1", port=port, security="ssl", timeout=5, cafile=str(cert)
        )
        SmtpTransport(settings).send(message(), ["tourism@city.example"])
    assert [r.subject for r in handler.received] == [SUBJECT]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_login_without_tls_when_the_relay_allows_it() -> None:
    users = Users("newswatch", "pw")
    with smtp_server(auth_required=True, auth_require_tls=False, authenticator=users) as (
        handler,
        port,
    ):
        SmtpTransport(plain_settings(port, user="newswatch", password="pw")).send(
            message(), ["tourism@city.example"]
        )
        with pytest.raises(DeliveryError):  # no login at all: the server says 530
            SmtpTransport(plain_settings(port)).send(message(), ["tourism@city.example"])
    assert len(handler.received) == 1


REFUSALS = [
    ("rcpt-550-permanent", {"rcpt": "550 5.1.1 no such user"}, True, "550"),
    ("rcpt-451-temporary", {"rcpt": "451 4.3.0 try again later"}, False, "451"),
    ("data-554-permanent", {"data": "554 5.7.1 rejected as spam"}, True, "554"),
    ("data-451-temporary", {"data": "451 4.3.0 queue full"}, False, "451"),
]


@pytest.mark.parametrize(
    ("refusal", "permanent", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_are_classified(refusal: dict[str, str], permanent: bool, code: str) -> None:
    with smtp_server() as (handler, port):
        if "rcpt" in refusal:
            handler.rcpt_replies["tourism@city.example"] = refusal["rcpt"]
        handler.data_reply = refusal.get("data")
        with pytest.raises(DeliveryError) as info:
            SmtpTransport(plain_settings(port)).send(message(), ["tourism@city.example"])
    assert info.value.permanent is permanent
    assert code in str(info.value)
    assert handler.received == []


def test_closed_port_is_temporary() -> None:
    with pytest.raises(DeliveryError, match="ConnectionRefused") as info:
        SmtpTransport(plain_settings(free_port())).send(message(), ["tourism@city.example"])
    assert not info.value.permanent


def test_settings_from_environment_hide_the_password(caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "NEWSWATCH_SMTP_HOST": "smtp.city.example",
        "NEWSWATCH_SMTP_USER": "newswatch",
        "NEWSWATCH_SMTP_PASSWORD": "hunter2-secret",
        "NEWSWATCH_SMTP_FROM": "newswatch@city.example",
        "NEWSWATCH_SMTP_REPLY_TO": "ops@city.example",
    }
    s = SmtpSettings.from_env(env)
    assert (s.port, s.security, s.reply_to) == (587, "starttls", "ops@city.example")
    assert SmtpSettings.from_env({**env, "NEWSWATCH_SMTP_SECURITY": "ssl"}).port == 465
    assert (
        SmtpSettings.from_env(
            {**env, "NEWSWATCH_SMTP_SECURITY": "none", "NEWSWATCH_SMTP_PORT": "2525"}
        ).port
        == 2525
    )
    assert (
        "hunter2" not in repr(s)
        and "hunter2" not in repr(SmtpTransport(s))
        and "hunter2" not in s.describe()
    )
    with pytest.raises(ValueError, match="NEWSWATCH_SMTP_SECURITY='tls': write 'starttls', 'ssl' or 'none'"):
        SmtpSettings.from_env({**env, "NEWSWATCH_SMTP_SECURITY": "tls"})
    with pytest.raises(ValueError, match="NEWSWATCH_SMTP_PORT"):
        SmtpSettings.from_env({**env, "NEWSWATCH_SMTP_PORT": "smtp"})


def test_outbox_writes_whole_files(home: Path) -> None:
    transport = transport_from_env()
    assert isinstance(transport, OutboxTransport) and transport.directory == home / "outbox"
    transport.send(message(), ["tourism@city.example"])
    (eml,) = (home / "outbox").iterdir()
    assert eml.suffix == ".eml" and "-tourism@city.example-" in eml.name
    parsed = message_from_bytes(eml.read_bytes(), policy=default)
    assert parsed["Subject"] == SUBJECT and parsed["Message-ID"] == "<0123456789abcdef@newswatch>"


def test_outbox_that_cannot_be_written_is_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DeliveryError, match="NEWSWATCH_HOME") as info:
        OutboxTransport(blocker / "outbox").send(message(), ["tourism@city.example"])
    assert not info.value.permanent


def test_smtp_host_selects_smtp(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NEWSWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSWATCH_SMTP_PASSWORD", "hunter2-secret")
    caplog.set_level(logging.DEBUG)
    transport = transport_from_env()
    assert isinstance(transport, SmtpTransport)
    assert "hunter2" not in repr(transport) and "hunter2" not in caplog.text
