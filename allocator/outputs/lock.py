"""One run at a time: an exclusive lock per output folder and per ledger.

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

from allocator.errors import AllocatorError, BusyError, LedgerError, OutputError
from allocator.inputs.rule_files import display_path
from allocator.outputs.folders import USER_ERRNOS

__all__ = ["run_lock"]


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
