"""Command line: argument parsing and dispatch only. Exit 0 ok, 1 a finding, 2 user error, 3 bug."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from allocator import __version__
from allocator.errors import AllocatorError

EXIT_OK, EXIT_FINDING, EXIT_USER, EXIT_BUG = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"allocator: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="allocator", description="Allocate scarce products to clients by tier.")
    parser.add_argument("--version", action="version", version=f"allocator {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    v = sub.add_parser("validate", help="check rule and scenario files; exit 2 on any problem")
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")
    r = sub.add_parser("run", help="tier the clients and allocate every product of a scenario")
    r.add_argument("scenario", type=Path, metavar="SCENARIO")
    r.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: out/<scenario name>)")
    r.add_argument(
        "--engine",
        choices=("grouped", "exact"),
        default="grouped",
        help="grouped: one engine fact per group of clients whose conditions agree (default); exact: every client",
    )
    sc = sub.add_parser("schema", help="write JSON Schemas of the file formats, for editors")
    sc.add_argument("--out", type=Path, default=Path("docs/schema"), metavar="DIR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "validate":
            from allocator.commands import validate

            return validate(args.files)
        if args.command == "run":
            from allocator.commands import run

            return run(args.scenario, args.out, args.engine)
        if args.command == "schema":
            from allocator.commands import schema

            return schema(args.out)
    except AllocatorError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("allocator: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(f"allocator: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("this is a bug in allocator; run again with --debug for the traceback and report it", file=sys.stderr)
        return EXIT_BUG
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
