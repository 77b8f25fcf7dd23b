"""`python -m crawler.schedule [options]`: the same as `newswatch schedule [options]`."""

from __future__ import annotations

import argparse
import sys

from crawler.schedule.commands import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newswatch")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["schedule", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
