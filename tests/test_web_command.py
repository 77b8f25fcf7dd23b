"""`newswatch web`: where it listens, and why it refuses a public address without --public."""

from __future__ import annotations

import io

import pytest

from crawler.commands.web import web_command
from crawler.web.server import HostError, is_loopback, listen_address


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWATCH_WEB_HOST", raising=False)
    monkeypatch.delenv("NEWSWATCH_WEB_PORT", raising=False)
    assert listen_address(None, None, public=False) == ("127.0.0.1", 8650)
    monkeypatch.setenv("NEWSWATCH_WEB_HOST", "::1")
    monkeypatch.setenv("NEWSWATCH_WEB_PORT", "9001")
    assert listen_address(None, None, public=False) == ("::1", 9001)
    assert listen_address("localhost", "0", public=False) == ("localhost", 0)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.0.10", "example.org", "::"])
def test_public_host_needs_the_flag(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(HostError, match="no login"):
        listen_address(host, 8650, public=False)
    assert listen_address(host, 8650, public=True) == (host, 8650)


@pytest.mark.parametrize("port", ["http", "70000", "-1", "8650; rm -rf /"])
def test_bad_port(port: str) -> None:
    with pytest.raises(HostError, match="port"):
        listen_address("127.0.0.1", port, public=False)


def test_command_refuses_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    assert web_command(host="0.0.0.0", port=None, public=False, err=err) == 2
    assert "refusing to listen on 0.0.0.0" in err.getvalue() and "--public" in err.getvalue()
