"""Decoding page bytes: BOM, declared charset, and bytes that contradict the declaration."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from crawler.extract.encoding import decode_html, normalize_label
from crawler.families import extract
from tests.support.env import CORPUS, need_shared

EUC_KR_PAGES = sorted((CORPUS / "euc-kr").glob("*.html"))
TEXT = "<p>인천시 의료관광 팸투어 - 똠방각하 햏자</p>"  # 똠, 햏: CP949 only, not in EUC-KR


def page(charset: str | None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}<title>t</title></head><body>{TEXT}</body></html>"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("EUC-KR", "cp949"),
        ("euc_kr", "cp949"),
        ("ks_c_5601-1987", "cp949"),
        ("KS_C_5601", "cp949"),
        ("x-windows-949", "cp949"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("latin1", "iso8859-1"),
        ("no-such-charset", None),
        ("", None),
        (None, None),
    ],
)
def test_labels(label: str | None, name: str | None) -> None:
    assert normalize_label(label) == name


def test_declared_euc_kr_decodes_cp949_only_syllables() -> None:
    text, used = decode_html(page("euc-kr").encode("cp949"), None)
    assert used == "cp949" and TEXT in text


def test_declared_euc_kr_but_utf8_bytes() -> None:
    text, used = decode_html(page("euc-kr").encode("utf-8"), None)
    assert used == "utf-8" and TEXT in text


def test_header_charset_beats_meta() -> None:
    text, used = decode_html(page("utf-8").encode("cp949"), "ks_c_5601-1987")
    assert used == "cp949" and TEXT in text


def test_declared_utf8_but_cp949_bytes() -> None:
    text, used = decode_html(page("utf-8").encode("cp949"), None)
    assert used == "cp949" and TEXT in text


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_nothing_declared(encoding: str) -> None:
    text, used = decode_html(page(None).encode(encoding), None)
    assert used == encoding and TEXT in text


@pytest.mark.parametrize(
    ("bom", "encoding"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")]
)
def test_bom_wins(bom: bytes, encoding: str) -> None:
    text, used = decode_html(bom + page("euc-kr").encode(encoding), "euc-kr")
    assert used == encoding and TEXT in text


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_truncated_inside_a_character(encoding: str) -> None:
    body = page(None).encode(encoding)
    cut = body[: body.index("팸투어".encode(encoding)) + 1]  # half of a multibyte syllable
    text, used = decode_html(cut, None)
    assert used == encoding and "\ufffd" not in text and text.endswith("의료관광 ")


def test_undecodable_bytes_lose_little() -> None:
    text, _ = decode_html(page(None).encode("utf-8") + b"\xff\xfe\xff", None)
    assert TEXT in text


def test_extract_reads_bytes_and_the_header_charset() -> None:
    html = f"<html><head><title>제목</title></head><body><h1>똠방각하</h1>{TEXT}</body></html>"
    result = extract(html.encode("cp949"), "http://example.kr/a.php?no=1", charset="EUC-KR")
    assert result.title == "똠방각하" and "햏자" in result.body


@pytest.mark.corpus
@pytest.mark.parametrize("path", EUC_KR_PAGES or [CORPUS / "euc-kr"], ids=lambda p: p.name)
def test_corpus_euc_kr_has_no_replacement_characters(path: Path) -> None:
    need_shared(CORPUS / "euc-kr")
    body = path.read_bytes()
    text, used = decode_html(body, None)
    assert used == "cp949"
    assert text.count("\ufffd") == 0
    result = extract(body, "http://www.mediagaon.or.kr/archive/popup.html")
    assert "\ufffd" not in result.body and result.body
