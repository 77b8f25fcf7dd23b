"""Decode an HTML body to text: BOM, then the declared charset unless the bytes contradict it.

Korean pages declared EUC-KR (or KS_C_5601-1987) routinely contain CP949-only syllables, so
every EUC-KR label decodes as CP949; and a page declared EUC-KR whose bytes are valid UTF-8
with multibyte sequences is UTF-8 (a CMS migrated without fixing its templates).
"""

from __future__ import annotations

import codecs
import re

UTF8 = "utf-8"
CP949 = "cp949"

# Labels that name (a subset of) CP949; decoding as CP949 is always the safe superset.
_KOREAN_LABELS = frozenset(
    {
        "euc-kr",
        "euckr",
        "euc_kr",
        "ks_c_5601-1987",
        "ks_c_5601",
        "ksc5601",
        "ks_c_5601-1989",
        "korean",
        "csksc56011987",
        "iso-ir-149",
        "windows-949",
        "cp949",
        "uhc",
        "x-windows-949",
        "ms949",
        "x-euc-kr",
    }
)
_BOMS = (
    (codecs.BOM_UTF8, UTF8),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_SNIFF_BYTES = 16_384  # pages pad the head with blank lines; the declaration is near the top


def normalize_label(label: str | None) -> str | None:
    """The Python codec name for a charset label (EUC-KR family → cp949), or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _KOREAN_LABELS:
        return CP949
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return CP949 if name in ("euc_kr", "cp949") else name


def sniff_declared(body: bytes) -> str | None:
    """The charset named by a `<meta charset>` or http-equiv Content-Type in the page head."""
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def _strict(body: bytes, encoding: str) -> str | None:
    """Decode strictly, tolerating only an incomplete sequence cut off at the very end."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        return decoder.decode(body, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_multibyte_utf8(body: bytes) -> str | None:
    """The body as text when it is valid UTF-8 and not plain ASCII, else None."""
    if body.isascii():
        return None
    return _strict(body, UTF8)


def _lenient(body: bytes) -> tuple[str, str]:
    """Last resort: whichever of UTF-8 and CP949 loses fewer characters."""
    utf8 = body.decode(UTF8, "replace")
    cp949 = body.decode(CP949, "replace")
    if cp949.count("\ufffd") < utf8.count("\ufffd"):
        return cp949, CP949
    return utf8, UTF8


def decode_html(body: bytes, declared: str | None) -> tuple[str, str]:
    """Decode `body` and return (text, encoding used); `declared` is the HTTP header charset."""
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_encoding, "replace"), bom_encoding
    encoding = normalize_label(declared) or normalize_label(sniff_declared(body))
    if encoding and encoding != UTF8:
        as_utf8 = _is_multibyte_utf8(body)
        if as_utf8 is not None:
            return as_utf8, UTF8  # the bytes contradict the declaration
    candidates = [encoding] if encoding else []
    candidates += [e for e in (UTF8, CP949) if e != encoding]
    for candidate in candidates:
        text = _strict(body, candidate)
        if text is not None:
            return text, candidate
    return _lenient(body)
