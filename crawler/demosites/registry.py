"""Write a registry (`spiders/outlets.toml` format, DESIGN.md) for the outlets a server runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from crawler.demosites.content import GNUBOARD_TABLE, Outlet


def registry_entry(outlet: Outlet, base_url: str) -> dict[str, Any]:
    """One `[[outlet]]` entry pointing at a running local site."""
    base = base_url.rstrip("/")
    if outlet.family == "gnuboard":
        feeds = [f"{base}/bbs/rss.php?bo_table={GNUBOARD_TABLE}"]
        lists = [f"{base}/bbs/board.php?bo_table={GNUBOARD_TABLE}"]
    else:
        feeds = [f"{base}/rss/allArticle.xml"]
        lists = [f"{base}/news/articleList.html?view_type=sm"]
    entry: dict[str, Any] = {
        "id": outlet.id,
        "name": outlet.name,
        "region": outlet.region,
        "district": outlet.district,
        "home": f"{base}/",
        "family": outlet.family,
        "feeds": feeds,
        "lists": lists,
        "every": "30m",
        "render": "http",
    }
    if outlet.scope:
        entry["scope"] = outlet.scope
    return entry


def registry_toml(outlets: Sequence[Outlet], urls: Mapping[str, str]) -> str:
    header = (
        "# Written by `python -m crawler.demosites serve --registry-out`: the local demo sites.\n\n"
    )
    data = {"outlet": [registry_entry(o, urls[o.id]) for o in outlets]}
    return header + tomli_w.dumps(data)


def write_registry(path: Path, outlets: Sequence[Outlet], urls: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(registry_toml(outlets, urls), encoding="utf-8")
    tmp.replace(path)
