"""Unattended runs: one lock per output folder and ledger, a ledger record, a log line per step.

Two runs on the same output folder or ledger never interleave: each takes an exclusive lock
(flock on a `.lock` file beside the folder and beside the ledger) and waits for it up to
`--wait` seconds, then fails with the holder's pid and start time (exit code 4). The lock dies
with its process, so a killed run never blocks the next one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from allocator import __version__, interrupts
from allocator.errors import AllocatorError, BusyError, LedgerError, OutputError
from allocator.files import display_path
from allocator.folders import USER_ERRNOS, guard_output_folder
from allocator.joblog import Log, json_log, quiet
from allocator.ledger import Ledger, RunInfo, check_ledger_file
from allocator.outputs import clean_leftovers, sha256_file
from allocator.runner import RunResult, check_variant_folders, run_scenario, write_outputs
from allocator.scenarios import Scenario
from allocator.tiering import Mode

__all__ = ["BusyError", "execute", "json_log", "quiet", "run_lock"]


@contextmanager
def _flock(path: Path, what: str, wait: float, failed: Callable[[str], AllocatorError]) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno not in USER_ERRNOS:
            raise
        raise failed(exc.strerror or str(exc)) from None
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
        target, shown = out.resolve(), display_path(out)
        stack.enter_context(
            _flock(
                target.parent / f".{target.name}.lock", f"output folder {shown}", wait,
                lambda why: OutputError(f"{shown}: cannot write the outputs: {why}"),
            )
        )  # fmt: skip
        if ledger is not None:
            book = display_path(ledger)
            stack.enter_context(
                _flock(
                    ledger.resolve().with_name(ledger.name + ".lock"), f"ledger {book}", wait,
                    lambda why: LedgerError(f"{book}: cannot open the run ledger: {why}"),
                )
            )  # fmt: skip
        yield


def _inputs(scenario: Path, s: Scenario | None) -> list[tuple[str, Path]]:
    """The files a run reads, as (what, path), for the output folder's guard."""
    found = [("the scenario", scenario)]
    if s is not None:
        base = scenario.parent
        found += [("the tiering file", base / s.spec.tiering), ("the allocation file", base / s.spec.allocation)]
        found.append(("the snapshot", s.snapshot))
    return found


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
    """Run a scenario under the locks, write its outputs atomically, record it in the ledger.

    Nothing is written before the output folder and the ledger are known to be safe to use: an
    output folder that holds anything but an earlier run's outputs, and a file that is not an
    allocator ledger, are refused first."""
    log(
        "start",
        scenario=display_path(scenario),
        out=display_path(out),
        ledger=display_path(ledger) if ledger else None,
        version=__version__,
    )
    guard_output_folder(out, _inputs(scenario, None), ledger)
    if ledger is not None:
        check_ledger_file(ledger)
    with run_lock(out, ledger, wait):
        log("locked")
        clean_leftovers(out)

        def loaded(s: Scenario) -> None:
            guard_output_folder(out, _inputs(scenario, s), ledger)  # now that the rule files are known
            check_variant_folders(s)

        if ledger is None:
            result = run_scenario(scenario, mode, on_loaded=loaded, progress=progress)
            _log_result(log, result)
            if progress is not None:
                progress(f"writing {display_path(out)}")
            write_outputs(result, out)
            log("written", out=display_path(out))
            return result
        with Ledger.open(ledger) as book:
            return _recorded(book, scenario, out, mode, log, loaded, progress)


def _recorded(
    book: Ledger,
    scenario: Path,
    out: Path,
    mode: Mode,
    log: Log,
    loaded: Callable[[Scenario], None],
    progress: Callable[[str], None] | None,
) -> RunResult:
    """The run with its ledger record: a `running` row first, then tiers, quotas and `ok` with the outputs."""
    abandoned = book.fail_abandoned()
    if abandoned:
        log("ledger", abandoned_runs_marked_failed=abandoned)
    run_id = None

    def started(s: Scenario) -> None:
        nonlocal run_id
        loaded(s)
        info = RunInfo(
            scenario=display_path(scenario), scenario_sha256=s.sha256, period=s.spec.period, seed=s.spec.seed,
            snapshot_sha256=sha256_file(s.snapshot), tiering_sha256=s.tiering.sha256,
            allocation_sha256=s.allocation.sha256, version=__version__, out_dir=str(out.resolve()),
        )  # fmt: skip
        run_id = book.start(info)

    def interrupted(name: str) -> None:
        if run_id is not None:
            book.fail_quietly(run_id, f"interrupted by {name}")

    with interrupts.on_interrupt(interrupted):
        try:
            result = run_scenario(scenario, mode, previous=book.previous_tiers, on_loaded=started, progress=progress)
            _log_result(log, result)
            if progress is not None:
                progress(f"writing {display_path(out)}")
            assert run_id is not None
            rid, period, tiers = run_id, result.scenario.spec.period, result.tiers
            quotas = [p.quotas for p in result.variants[0].products]
            write_outputs(result, out, record=lambda: book.recording(rid, period, tiers, quotas))
            log("written", out=display_path(out))
            log("recorded", ledger=display_path(book.path), run=rid)
        except BaseException as exc:
            if run_id is not None:
                book.fail_quietly(run_id, f"{type(exc).__name__}: {exc}")
            raise
    return result


def _log_result(log: Log, result: RunResult) -> None:
    t = result.timings
    if result.previous is not None:
        log("current_tier", **result.previous)
    log("loaded", clients=result.tiers.height, seconds=round(t.get("load", 0.0), 3))
    for warning in result.warnings:
        log("warning", message=warning)
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
