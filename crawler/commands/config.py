"""`newswatch config [--json]`: every setting, the value this process uses and where it came from."""

from __future__ import annotations

import argparse
import json
from typing import Any

from crawler import paths
from crawler.config import effective, mask_url, settings


def register(sub: Any) -> None:
    c = sub.add_parser("config", help="the effective configuration: every setting, its value and its source",
                       description="Every NEWSWATCH_* setting with the value this process uses and whether it "
                                   "came from the environment or is the default; secrets show as ****.")
    c.add_argument("--json", action="store_true", help="a JSON list, one object per setting")
    c.set_defaults(func=cmd_config)


def cmd_config(args: argparse.Namespace) -> int:
    s = settings()
    computed = {"home": lambda: str(paths.home()), "db_url": lambda: mask_url(paths.db_url()),
                "outlets_file": lambda: str(paths.outlets_file()),
                "watchlists_dir": lambda: str(paths.watchlists_dir()),
                "recipients_file": lambda: str(paths.recipients_file()), "smtp_port": s.smtp_port_or_default}
    entries = list(effective(s, computed))
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], ensure_ascii=False, indent=1))
        return 0
    width = max(len(e.name) for e in entries)
    for e in entries:
        value = "" if e.value is None else e.value if isinstance(e.value, str) else json.dumps(e.value)
        print(f"{e.name:<{width}}  {value or '-'}  ({e.source})")
    return 0
