"""The operations subcommands fit into the real `newswatch` parser without clashing."""

from __future__ import annotations

import argparse

from crawler.cli import build_parser
from crawler.commands.ops import register

OPS = ("rematch", "export", "label", "prune", "backup", "restore")


def test_register_adds_the_subcommands_to_the_newswatch_parser() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if not set(OPS) & set(sub.choices):  # until crawler/cli.py calls register() itself
        register(sub)
    args = parser.parse_args(["export", "--watchlist", "medical-tourism", "--since", "2026-01-05",
                              "--until", "2026-01-11", "--format", "xlsx"])
    assert callable(args.func) and args.format == "xlsx"
    for name in OPS:
        assert name in sub.choices
