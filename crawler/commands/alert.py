"""`newswatch send` and `newswatch digest --preview`: thin command functions over the sender.

Exit codes: 0 done (temporarily failed mail is retried by a later drain and counts as done),
1 some alerts failed for good (the maintainers were told), 2 a configuration problem (the
message says which variable or file to fix).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TextIO

from markupsafe import escape

from crawler.alert.compose import web_base_url
from crawler.alert.recipients import RecipientsError, load_recipients
from crawler.alert.sender import drain, render_preview
from crawler.alert.transport import transport_from_env
from crawler.store import Database, StoreUnavailable


def send_command(
    *,
    digest: bool = False,
    dry_run: bool = False,
    retry_failed: bool = False,
    since: datetime | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Drain the outbox once and print what happened (dry run: what would be sent)."""
    out, err = out or sys.stdout, err or sys.stderr  # looked up now: a caller may have redirected them
    try:
        recipients = load_recipients()
        transport = transport_from_env()
        web_base_url()  # a malformed NEWSWATCH_WEB_URL stops here, before anything is claimed
        db = Database.open()
    except (RecipientsError, StoreUnavailable, ValueError) as exc:
        print(f"newswatch send: {exc}", file=err)
        return 2
    if retry_failed and not dry_run:
        from crawler.alert.outbox import retry_failed as put_back

        with db.session() as session:
            n = put_back(session, since=since)
        print(f"{n} failed alerts put back to pending" + (f" (created since {since:%Y-%m-%d})" if since else ""),
              file=err if as_json else out)  # --json: stdout stays one JSON object
    try:
        report = drain(
            db, digest=digest, dry_run=dry_run, transport=transport, recipients=recipients,
            progress=_progress(err),
        )
    finally:
        db.close()
    if as_json:
        print(json.dumps(_report_json(report), ensure_ascii=False), file=out)
        return 1 if report.failed else 0
    print(report.render(), file=out)
    for msg in report.messages:
        print(_preview_text(msg), file=out)
    return 1 if report.failed else 0


def _report_json(report: Any) -> dict[str, Any]:
    """The drain's counts and one object per recipient; a dry run lists the subjects it would send."""
    return {
        "dry_run": report.dry_run, "transport": report.transport, "mails_sent": report.mails_sent,
        "alerts_sent": report.alerts_sent, "deferred": report.deferred, "failed": report.failed,
        "notices_sent": report.notices_sent, "recipients": [asdict(line) for line in report.lines],
        "would_send": [str(m["Subject"]) for m in report.messages],
    }


def _progress(err: TextIO) -> Callable[[int, int, str], None] | None:
    """Per-recipient progress on a terminal; nothing under cron or in a pipe."""
    if not (hasattr(err, "isatty") and err.isatty()):
        return None

    def show(done: int, total: int, recipient: str) -> None:
        print(f"\rsending {done}/{total}: {recipient[:60]:<60}", end="" if done < total else "\n",
              file=err, flush=True)

    return show


def _preview_text(msg: EmailMessage) -> str:
    """The headers and plain-text part of a composed mail, for a dry run."""
    body = msg.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    rule = "-" * 72
    return f"{rule}\nTo: {msg['To']}\nSubject: {msg['Subject']}\nMessage-ID: {msg['Message-ID']}\n\n{text.rstrip()}\n"


def digest_preview_command(
    path: Path, *, all_recipients: bool = True, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Render the next digest (of every recipient with pending alerts, or the first) into one HTML file."""
    try:
        recipients = load_recipients()
        db = Database.open()
    except (RecipientsError, StoreUnavailable, ValueError) as exc:
        print(f"newswatch digest: {exc}", file=err)
        return 2
    try:
        mails = render_preview(db, recipients=recipients, only_first=not all_recipients)
    finally:
        db.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(preview_page(mails), encoding="utf-8")
    print(f"wrote {path}: {len(mails)} digest(s), nothing sent", file=out)
    return 0


def preview_page(mails: list[tuple[str, str, str]]) -> str:
    """One HTML page: a single digest as it is, several side by side in framed sections."""
    if len(mails) == 1:
        return mails[0][2]
    parts = [
        '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>newswatch digest preview</title></head>"
        '<body style="font-family:sans-serif;background:#e5e7eb;margin:0;padding:16px;">'
    ]
    if not mails:
        parts.append(
            "<p>No pending alerts: the next digest would be empty, and none would be sent.</p>"
        )
    for recipient, subject, html in mails:
        parts.append(
            f'<section style="margin-bottom:24px;"><h2 style="font-size:15px;">To: {escape(recipient)}<br>'
            f"Subject: {escape(subject)}</h2>"
            f'<iframe sandbox srcdoc="{escape(html)}" style="width:100%;max-width:700px;height:900px;'
            'border:1px solid #9ca3af;background:#fff;"></iframe></section>'
        )
    parts.append("</body></html>")
    return "\n".join(parts)
