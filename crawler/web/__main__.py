"""`python -m crawler.web [--host H] [--port P] [--public]`: the same as `newswatch web`."""

from __future__ import annotations

import argparse
import sys

from crawler.web.commands import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.web")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(["web", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
