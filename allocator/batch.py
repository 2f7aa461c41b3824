"""Unattended runs: one lock per output folder and ledger, a ledger record, a log line per step.

Two runs on the same output folder or ledger never interleave: each takes an exclusive lock
(flock on a `.lock` file beside the folder and beside the ledger) and waits for it up to
`--wait` seconds, then fails with the holder's pid and start time (exit code 4). The lock dies
with its process, so a killed run never blocks the next one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TextIO

from allocator import __version__
from allocator.errors import AllocatorError
from allocator.files import display_path
from allocator.ledger import Ledger, RunInfo
from allocator.outputs import clean_leftovers, sha256_file
from allocator.runner import RunResult, run_scenario, write_outputs
from allocator.scenarios import Scenario
from allocator.tiering import Mode


class BusyError(AllocatorError):
    """Another run holds the lock on the output folder or the ledger."""


Log = Callable[..., None]


def json_log(stream: TextIO | None = None) -> Log:
    """One JSON object per line (on stdout unless told otherwise): time, step, what the step reports."""

    def log(step: str, **fields: Any) -> None:
        out = stream if stream is not None else sys.stdout
        line = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "step": step, **fields}
        out.write(json.dumps(line, ensure_ascii=False, sort_keys=False) + "\n")
        out.flush()

    return log


def quiet(step: str, **fields: Any) -> None:
    return None


@contextmanager
def _flock(path: Path, what: str, wait: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                    raise BusyError(
                        f"{what} is in use by another allocator run ({holder}); "
                        f"waited {wait:g} s; try again later or give --wait SECONDS"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def run_lock(out: Path, ledger: Path | None, wait: float) -> Iterator[None]:
    """Hold the locks of the output folder and of the ledger for the whole run."""
    with ExitStack() as stack:
        target = out.resolve()
        stack.enter_context(_flock(target.parent / f".{target.name}.lock", f"output folder {display_path(out)}", wait))
        if ledger is not None:
            stack.enter_context(
                _flock(ledger.resolve().with_name(ledger.name + ".lock"), f"ledger {display_path(ledger)}", wait)
            )
        yield


def execute(
    scenario: Path,
    out: Path,
    *,
    ledger: Path | None,
    wait: float,
    mode: Mode,
    log: Log,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run a scenario under the locks, write its outputs atomically, record it in the ledger."""
    log(
        "start",
        scenario=display_path(scenario),
        out=display_path(out),
        ledger=display_path(ledger) if ledger else None,
        version=__version__,
    )
    with run_lock(out, ledger, wait):
        log("locked")
        clean_leftovers(out)
        if ledger is None:
            result = run_scenario(scenario, mode, progress=progress)
            _log_result(log, result)
            if progress is not None:
                progress(f"writing {display_path(out)}")
            write_outputs(result, out)
            log("written", out=display_path(out))
            return result
        with Ledger.open(ledger) as book:
            abandoned = book.fail_abandoned()
            if abandoned:
                log("ledger", abandoned_runs_marked_failed=abandoned)
            run_id = None

            def started(s: Scenario) -> None:
                nonlocal run_id
                info = RunInfo(
                    scenario=display_path(scenario), scenario_sha256=s.sha256, period=s.spec.period, seed=s.spec.seed,
                    snapshot_sha256=sha256_file(s.snapshot), tiering_sha256=s.tiering.sha256,
                    allocation_sha256=s.allocation.sha256, version=__version__, out_dir=str(out.resolve()),
                )  # fmt: skip
                run_id = book.start(info)

            try:
                result = run_scenario(
                    scenario, mode, previous=book.previous_tiers, on_loaded=started, progress=progress
                )
                _log_result(log, result)
                if progress is not None:
                    progress(f"writing {display_path(out)}")
                write_outputs(result, out)
                log("written", out=display_path(out))
                assert run_id is not None
                book.finish(
                    run_id, result.scenario.spec.period, result.tiers, [p.quotas for p in result.variants[0].products]
                )
                log("recorded", ledger=display_path(ledger), run=run_id)
            except BaseException as exc:
                if run_id is not None:
                    book.fail(run_id, f"{type(exc).__name__}: {exc}")
                raise
            return result


def _log_result(log: Log, result: RunResult) -> None:
    t = result.timings
    if result.previous is not None:
        log("current_tier", **result.previous)
    log("loaded", clients=result.tiers.height, seconds=round(t.get("load", 0.0), 3))
    log("tiered", seconds=round(t.get("tier", 0.0), 3))
    for p in result.variants[0].products:
        log(
            "allocated",
            product=p.product,
            supply=p.supply,
            reserve=p.reserve,
            allocated=p.allocated,
            unallocated=p.unallocated,
        )
    log("variants", count=len(result.variants) - 1, seconds=round(t.get("allocate", 0.0), 3))
