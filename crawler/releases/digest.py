"""The office's releases and who carried them, as rows for the digest's "보도자료 반영" section
(recipients with `echo = true`, partials `_releases.{html,txt}.j2`), the weekly export and the
dashboard: all three render `echo_rows`, in the office's words (매체 by Korean name, Seoul times
with the weekday, 원문 그대로 / 일부 발췌 / 재작성)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from crawler.clock import korean_time
from crawler.registry import outlet_names
from crawler.releases import report, window_days
from crawler.store import Database

KIND_LABELS = {"verbatim": "원문 그대로", "trimmed": "일부 발췌", "rewritten": "재작성"}


def release_echo(recipient: Any, now: datetime) -> list[dict[str, Any]]:
    """The section's rows for this recipient: [] unless the recipient asked for it (`echo`)."""
    if not getattr(recipient, "echo", False):
        return []

    return window_rows(now - timedelta(days=window_days()))


def window_rows(since: datetime, until: datetime | None = None, db: Any = None) -> list[dict[str, Any]]:
    """`echo_rows` of the releases released in [since, until) (`until` None: up to now), read from
    `db` (the configured database when None)."""
    own = db is None
    database = Database.open() if own else db
    try:
        with database.session() as session:
            reports = report(session, since)
    finally:
        if own:
            database.close()
    if until is not None:
        reports = [r for r in reports if r.released_at < until]
    return echo_rows(reports)


def release_pickups(session: Any, registry: Mapping[str, Any], *, now: datetime, days: int) -> list[dict[str, Any]]:
    """The dashboard's "보도자료 반영": releases of the last `days` days, outlets by the names and
    regions of `registry` (outlet id -> registry outlet)."""
    regions = {k: o.region for k, o in registry.items()}
    names = {k: o.name for k, o in registry.items() if o.name}
    return echo_rows(report(session, now - timedelta(days=days), regions), names)


def echo_rows(reports: list[Any], names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Template rows from `crawler.releases.report` (newest release first, as the report), outlets
    by their Korean name (`names`, the registry's when None)."""
    names = outlet_names() if names is None else names
    rows = []
    for rep in reports:
        pickups = [
            {
                "outlet": names.get(p.outlet, p.outlet),
                "outlet_id": p.outlet,
                "region": p.region,
                "title": p.title,
                "url": p.url,
                "hours": f"{max(p.hours_after, 0):.0f}",
                "seen": korean_time(rep.released_at + timedelta(hours=p.hours_after)),
                "kind": KIND_LABELS.get(p.kind, p.kind),
                "verbatim": f"{p.verbatim_share:.0%}",
                "new_headline": p.headline_changed,
            }
            for p in rep.pickups
        ]
        rows.append({
            "release_id": rep.release_id,
            "title": rep.title,
            "released": korean_time(rep.released_at),
            "outlet_count": len({p.outlet for p in rep.pickups}),
            "article_count": len(rep.pickups),
            "kinds": {label: sum(1 for p in rep.pickups if p.kind == kind)
                      for kind, label in KIND_LABELS.items()},
            "regions": rep.regions,
            "pickups": pickups,
        })  # fmt: skip
    return rows
