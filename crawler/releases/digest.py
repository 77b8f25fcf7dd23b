"""The digest's "보도자료 반영" section: the office's releases of the window and who carried
them, for recipients with `echo = true`. Rendered by the partials `_releases.{html,txt}.j2`
(included from the digest templates); the export and the dashboard can render the same
`release_echo` list."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_SEOUL = ZoneInfo("Asia/Seoul")
KIND_LABELS = {"verbatim": "원문 그대로", "trimmed": "일부 발췌", "rewritten": "재작성"}


def release_echo(recipient: Any, now: datetime) -> list[dict[str, Any]]:
    """The section's rows for this recipient: [] unless the recipient asked for it (`echo`)."""
    if not getattr(recipient, "echo", False):
        return []
    from crawler.releases import report, window_days
    from crawler.store import Database

    db = Database.open()
    try:
        with db.session() as session:
            return echo_rows(report(session, now - timedelta(days=window_days())))
    finally:
        db.close()


def echo_rows(reports: list[Any]) -> list[dict[str, Any]]:
    """Template rows from `crawler.releases.report` (oldest release last, as the report)."""
    return [
        {
            "title": rep.title,
            "released": rep.released_at.astimezone(_SEOUL).strftime("%m/%d %H:%M"),
            "outlet_count": len({p.outlet for p in rep.pickups}),
            "regions": rep.regions,
            "pickups": [
                {
                    "outlet": p.outlet,
                    "url": p.url,
                    "hours": f"{p.hours_after:.0f}",
                    "kind": KIND_LABELS.get(p.kind, p.kind),
                    "verbatim": f"{p.verbatim_share:.0%}",
                    "new_headline": p.headline_changed,
                }
                for p in rep.pickups
            ],
        }
        for rep in reports
    ]
