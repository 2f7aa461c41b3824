"""SIGINT and SIGTERM: end the command at once, cleanly, whatever it is doing.

A handler that raised an exception could be swallowed or turned into another error inside the
rule engine's C code (a traceback, exit 3). So the handler itself finishes the command: it runs
the registered clean-ups (remove the temporary folder, mark the ledger row failed), reports the
signal (a `failed` log line in batch, one line on stderr) and leaves with 128 + the signal's
number. Inside a `deferred()` section (a ledger transaction, the exchange of the output folders)
the signal waits for the section's end, so outputs and ledger always agree.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

Report = Callable[[int, str, str], None]  # (exit code, signal name, message)
Cleanup = Callable[[str], None]  # given the signal name
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Run:
    def __init__(self) -> None:
        self.report: Report | None = None
        self.cleanups: list[Cleanup] = []
        self.status = "nothing was written"
        self.critical = 0
        self.pending: int | None = None
        self.keep = False  # the handlers stay until the process ends


_run = _Run()


@contextmanager
def handled(report: Report | None = None, status: str = "nothing was written", keep: bool = False) -> Iterator[None]:
    """Handle SIGINT and SIGTERM while the block runs (in the main thread; elsewhere a no-op).

    With `keep` (the process's own command line) nothing is restored: see `finished()`."""
    global _run
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved, _run = _run, _Run()
    _run.report, _run.status, _run.keep = report, status, keep
    previous = {sig: signal.signal(sig, _handle) for sig in SIGNALS}
    try:
        yield
    finally:
        if not keep:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _run = saved


def finished() -> None:
    """The command is done. For the process's own command line a signal from now on is ignored:
    Python takes its handlers away while it shuts down, and a signal then would kill the process
    (without a word, and with the signal's exit status instead of the command's)."""
    if _run.keep:
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


@contextmanager
def on_interrupt(cleanup: Cleanup) -> Iterator[None]:
    """Run `cleanup` if a signal ends the command while the block runs."""
    _run.cleanups.append(cleanup)
    try:
        yield
    finally:
        if cleanup in _run.cleanups:
            _run.cleanups.remove(cleanup)


def set_status(status: str) -> None:
    """What the message says about the outputs if a signal ends the command from now on."""
    _run.status = status


@contextmanager
def deferred() -> Iterator[None]:
    """A section a signal never cuts: a signal that comes during it acts when it ends."""
    _run.critical += 1
    try:
        yield
    finally:
        _run.critical -= 1
        if _run.critical == 0 and _run.pending is not None:
            signum, _run.pending = _run.pending, None
            _terminate(signum)


def _handle(signum: int, frame: FrameType | None) -> None:
    if _run.critical:
        _run.pending = signum
        return
    _terminate(signum)


def _terminate(signum: int) -> None:
    for sig in SIGNALS:  # a second Ctrl-C must not cut the clean-up short
        signal.signal(sig, signal.SIG_IGN)
    name = signal.Signals(signum).name
    code = 128 + signum
    message = f"interrupted by {name}; {_run.status}"
    for cleanup in reversed(_run.cleanups):
        with suppress(Exception):  # nothing may stop the exit; the next run cleans up the rest
            cleanup(name)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, RuntimeError):  # RuntimeError: a write this signal cut short
            stream.flush()
    if _run.report is not None:
        with suppress(Exception):  # the exit code still tells what happened
            _run.report(code, name, message)
    write_raw(2, f"allocator: {message}\n")
    os._exit(code)


def write_raw(fd: int, text: str) -> None:
    """Write past Python's buffers (a signal may have come in the middle of a buffered write)."""
    data = text.encode("utf-8", "replace")
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        pass
