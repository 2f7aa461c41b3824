"""Command line: argument parsing and dispatch only. Exit 0 ok, 1 a finding, 2 user error, 3 bug."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from allocator import __version__
from allocator.errors import (
    EXIT_BUG,
    EXIT_BUSY,
    EXIT_FINDING,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_SIGINT,
    EXIT_USER,
    AllocatorError,
)
from allocator.escape import terminal_lines
from allocator.inputs.scenarios import Given
from allocator.messages import scenario_lang, translate, usage_error
from allocator.outputs import interrupts

__all__ = ["EXIT_BUG", "EXIT_BUSY", "EXIT_FINDING", "EXIT_OK", "EXIT_USER", "build_parser", "main"]
STATUS = {  # what a SIGINT or SIGTERM message says, until the command says otherwise
    "run": "the previous outputs are untouched",
    "batch": "the previous outputs are untouched",
    "approve": "the run is not approved",
    "publish": "the previous notice is untouched",
}
MAX_WAIT = 86_400.0  # a day: longer than any run; an endless wait is a hang, not a wait


class _Parser(argparse.ArgumentParser):
    lang: str | None = None  # --lang as the command line gives it: set by main before parsing, read on an error

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(terminal_lines(usage_error(message, _Parser.lang)), file=sys.stderr)
        raise SystemExit(EXIT_USER)


def _lang_in(argv: Sequence[str]) -> str | None:
    """The value of the last --lang on the command line (before any "--"), read before parsing: a
    usage error is found while parsing, so the parsed --lang is not there to tell its language."""
    lang = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.removeprefix("--lang=")
    return lang


def _seconds(text: str) -> float:
    """--wait: a finite number of seconds from 0 to a day (nan, inf and negatives would wait forever)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= MAX_WAIT:  # false for nan too
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to {MAX_WAIT:g}")
    return value


def _run_id(text: str) -> int:
    """RUN: a run's id in the ledger, a whole number from 1 (as `allocator runs` lists them)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a run id (a whole number from 1; see allocator runs)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="allocator", description="Allocate scarce products to clients by tier.")
    parser.add_argument("--version", action="version", version=f"allocator {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    v = sub.add_parser("validate", help="check rule and scenario files; exit 2 on any problem")
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _lang_argument(v)
    v.add_argument(
        "--strict", action="store_true", help="exit 1 when the rule analysis finds gaps or rules that never fire"
    )
    r = sub.add_parser("run", help="tier the clients and allocate every product of a scenario")
    r.add_argument("scenario", type=Path, metavar="SCENARIO")
    r.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: out/<scenario name>)")
    r.add_argument(
        "--engine",
        choices=("grouped", "exact"),
        default="grouped",
        help="grouped: one engine fact per group of clients whose conditions agree (default); exact: every client",
    )
    r.add_argument("--ledger", type=Path, default=None, metavar="PATH", help="record the run in this SQLite ledger")
    r.add_argument(
        "--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait this long for another run's lock"
    )
    _given_arguments(r)
    _executor_arguments(r)
    _lang_argument(r)
    _batch_parser(sub)
    _review_parsers(sub)
    d = sub.add_parser("diff", help="what a rule change does to clients, as Markdown; exit 1 when anything differs")
    d.add_argument(
        "--before",
        required=True,
        metavar="OLD",
        help="tiering or allocation file, folder of rule files, or git:REV:PATH",
    )
    d.add_argument("--after", required=True, metavar="NEW", help="the same kinds as --before")
    d.add_argument("--snapshot", type=Path, default=None, metavar="S", help="client snapshot (default: the scenario's)")
    d.add_argument(
        "--scenario",
        type=Path,
        default=None,
        metavar="SCENARIO",
        help="supplies missing rule files, snapshot, period, seed",
    )
    d.add_argument(
        "--clients", type=Path, default=None, metavar="FILE", help="also write every client's change to this CSV"
    )
    _lang_argument(d)  # the language of its errors
    e = sub.add_parser("explain", help="why one client has its tier and its quotas")
    e.add_argument("client_id", metavar="CLIENT_ID")
    e.add_argument("scenario", type=Path, metavar="SCENARIO")
    e.add_argument("--json", action="store_true", help="print the explanation as JSON")
    e.add_argument("--variant", default=None, metavar="NAME", help="explain the client in this variant")
    e.add_argument("--ledger", type=Path, default=None, metavar="LEDGER", help="in a cycle: the ledger of its rounds")
    _given_arguments(e)
    _lang_argument(e)
    c = sub.add_parser("cycle", help="a cycle's rounds, and per product and tier what was issued and what remains")
    c.add_argument("scenario", type=Path, metavar="SCENARIO")
    c.add_argument("--ledger", type=Path, required=True, metavar="LEDGER")
    c.add_argument("--json", action="store_true", help="print it as JSON")
    _lang_argument(c)
    sc = sub.add_parser("schema", help="write JSON Schemas of the file formats, for editors")
    sc.add_argument("--out", type=Path, default=Path("docs/schema"), metavar="DIR")
    return parser


def _batch_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    """batch: the unattended run, with --supersede for a period that has an approved run."""
    b = sub.add_parser("batch", help="unattended run: locks, ledger, one JSON log line per step, no tables")
    b.add_argument("scenario", type=Path, metavar="SCENARIO")
    b.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    b.add_argument(
        "--ledger", type=Path, default=None, metavar="PATH", help="SQLite run ledger (default: DIR/../ledger.sqlite)"
    )
    b.add_argument(
        "--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait this long for another run's lock"
    )
    b.add_argument("--engine", choices=("grouped", "exact"), default="grouped")
    b.add_argument(
        "--supersede", type=_run_id, default=None, metavar="RUN",
        help="replace this approved run of the same scenario and period (with --reason)",
    )  # fmt: skip
    b.add_argument("--reason", default=None, metavar="TEXT", help="why the run is superseded (with --supersede)")
    _given_arguments(b)
    _executor_arguments(b)
    _lang_argument(b)


def _given_arguments(p: argparse.ArgumentParser) -> None:
    """--assignments, --locks, --round: in place of the scenario's own."""
    p.add_argument("--assignments", type=Path, default=None, metavar="FILE", help="managers' assignments (CSV or xlsx)")
    p.add_argument("--locks", type=Path, default=None, metavar="FILE", help="locked quotas (CSV or xlsx)")
    p.add_argument("--round", dest="round_name", default=None, metavar="ROUND", help="the cycle's round to issue")


def _workers(text: str) -> int:
    """--workers: how many worker processes a LocalCluster starts, 1 to 256."""
    if not (text.isascii() and text.isdigit()) or len(text) > 3 or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers from 1 to 256")
    return int(text)


def _executor_arguments(p: argparse.ArgumentParser) -> None:
    """--executor, --workers, --scheduler: where a partitioned scenario's partitions run."""
    p.add_argument(
        "--executor", choices=("local", "dask"), default="local",
        help="a partitioned scenario's partitions: local (one after another, in this process) or dask",
    )  # fmt: skip
    p.add_argument(
        "--workers", type=_workers, default=None, metavar="N", help="dask: start a local cluster of N workers"
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask: the scheduler of a running cluster (tcp://host:8786)",
    )


def _lang_argument(p: argparse.ArgumentParser) -> None:
    """--lang: the language of the outputs and messages; it wins over the scenario's `lang`."""
    p.add_argument(
        "--lang", choices=("en", "zh"), default=None, help="en or zh (default: the scenario's lang, else en)"
    )


def _given(args: argparse.Namespace) -> Given:
    return Given(args.assignments, args.locks, args.round_name)


def _review_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    """approve, publish, runs, history: the acts on the ledger's runs, and what it holds."""
    a = sub.add_parser("approve", help="approve a draft run of the ledger (under the run lock)")
    a.add_argument("run", type=_run_id, metavar="RUN")
    a.add_argument("--ledger", type=Path, required=True, metavar="LEDGER")
    a.add_argument("--by", required=True, metavar="NAME", help="who approves")
    a.add_argument("--note", default=None, metavar="TEXT", help="why, or anything the record should say")
    a.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait this long for the lock")
    _lang_argument(a)  # the language of its refusals
    p = sub.add_parser("publish", help="write the notice of an approved run (HTML and CSV) and record it")
    p.add_argument("run", type=_run_id, metavar="RUN")
    p.add_argument("--ledger", type=Path, required=True, metavar="LEDGER")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the notice's folder")
    p.add_argument("--by", default=None, metavar="NAME", help="who publishes (default: the OS user)")
    p.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS", help="wait this long for the lock")
    _lang_argument(p)
    r = sub.add_parser("runs", help="the ledger's runs, with their state (read-only)")
    r.add_argument("--ledger", type=Path, required=True, metavar="LEDGER")
    r.add_argument("--json", action="store_true", help="print the runs as JSON")
    _lang_argument(r)
    h = sub.add_parser("history", help="one client's tiers, quotas and acts across the ledger's runs (read-only)")
    h.add_argument("client_id", metavar="CLIENT")
    h.add_argument("--ledger", type=Path, required=True, metavar="LEDGER")
    h.add_argument("--json", action="store_true", help="print the history as JSON")
    _lang_argument(h)


def _batch_failure(exc: BaseException, bug: bool = False) -> None:
    from allocator.outputs.joblog import json_log

    code = EXIT_BUG if bug else exc.exit_code if isinstance(exc, AllocatorError) else EXIT_USER
    try:
        json_log()("failed", exit=code, error=type(exc).__name__, message=str(exc))
    except BrokenPipeError:  # nobody reads the log any more; stderr still tells
        _silence_stdout()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the exit's final flush does not fail on the closed pipe."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _batch_interrupted(code: int, name: str, message: str) -> None:
    """The `failed` log line of a batch run that a signal ends (written past Python's buffers)."""
    from allocator.outputs.joblog import log_line

    interrupts.write_raw(sys.stdout.fileno(), log_line("failed", exit=code, error=name, message=message))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    _Parser.lang = _lang_in(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command == "batch" and (args.supersede is None) != (args.reason is None):
        parser.error("batch: --supersede RUN and --reason TEXT go together: give both or neither")
    if args.command in ("run", "batch"):
        _check_executor(parser, args)
    status = STATUS.get(args.command, "nothing was written")
    report = _batch_interrupted if args.command == "batch" else None
    with interrupts.handled(report, status, keep=argv is None):  # argv None: this process's command line
        code = _dispatch(args)
        interrupts.finished()
        return code


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return _command(args)
    except AllocatorError as exc:
        if args.command == "batch":
            _batch_failure(exc)  # the log line stays English: programs read it
        print(terminal_lines(translate(str(exc), _error_lang(args))), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop, as a pipe's writer does
        _silence_stdout()
        print("allocator: stopped: the output pipe was closed", file=sys.stderr)
        return EXIT_PIPE
    except KeyboardInterrupt:  # only where the signal handlers could not be installed
        print("allocator: interrupted; nothing was written", file=sys.stderr)
        return EXIT_SIGINT
    except Exception as exc:
        if args.command == "batch":
            _batch_failure(exc, bug=True)
        if args.debug:
            traceback.print_exc()
        print(
            terminal_lines(f"allocator: internal error: {type(exc).__name__}: {_shortened(str(exc))}"), file=sys.stderr
        )
        print("this is a bug in allocator; run again with --debug for the traceback and report it", file=sys.stderr)
        return EXIT_BUG


def _check_executor(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--workers and --scheduler go with --executor dask, and not with each other."""
    if args.executor != "dask" and (args.workers is not None or args.scheduler is not None):
        parser.error(f"{args.command}: --workers and --scheduler go with --executor dask")
    if args.workers is not None and args.scheduler is not None:
        parser.error(f"{args.command}: give --workers (a local cluster) or --scheduler (a running one), not both")
    from allocator.commands.partitioned import Executor, use_executor

    use_executor(Executor(args.executor, args.workers, args.scheduler))


def _error_lang(args: argparse.Namespace) -> str | None:
    """The language of a user error: --lang, else the scenario's `lang` (when its file can be read)."""
    scenario = getattr(args, "scenario", None)
    return getattr(args, "lang", None) or scenario_lang(scenario if isinstance(scenario, Path) else None)


def _shortened(text: str, limit: int = 300) -> str:
    """An internal error's text cut to one readable line (an engine error can hold every fact posted)."""
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit and line == text else f"{line[:limit]}… ({len(text)} characters; see --debug)"


def _command(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from allocator.commands.validate import validate

        return validate(args.files, args.strict, args.lang)
    if args.command == "run":
        from allocator.commands.run import run

        return run(args.scenario, args.out, args.engine, args.ledger, args.wait, _given(args), args.lang)
    if args.command == "batch":
        from allocator.commands.batch import batch

        return batch(
            args.scenario,
            args.out,
            args.ledger,
            args.wait,
            args.engine,
            args.supersede,
            args.reason,
            _given(args),
            args.lang,
        )
    if args.command in ("approve", "publish", "runs", "history"):
        return _review(args)
    if args.command == "diff":
        from allocator.commands.diff import diff

        return diff(args.before, args.after, args.snapshot, args.scenario, args.clients)
    if args.command == "explain":
        from allocator.commands.explain import explain

        return explain(args.client_id, args.scenario, args.json, args.variant, args.ledger, _given(args), args.lang)
    if args.command == "cycle":
        from allocator.commands.cycle import cycle

        return cycle(args.scenario, args.ledger, args.json, args.lang)
    if args.command == "schema":
        from allocator.commands.schema import schema

        return schema(args.out)
    raise AssertionError(args.command)


def _review(args: argparse.Namespace) -> int:
    if args.command == "approve":
        from allocator.commands.approve import approve

        return approve(args.run, args.ledger, args.by, args.note, args.wait)
    if args.command == "publish":
        from allocator.commands.publish import publish

        return publish(args.run, args.ledger, args.out, args.by, args.wait, args.lang)
    if args.command == "runs":
        from allocator.commands.runs import runs

        return runs(args.ledger, args.json, args.lang)
    from allocator.commands.history import history

    return history(args.client_id, args.ledger, args.json, args.lang)


if __name__ == "__main__":
    raise SystemExit(main())
