"""The atomic exchange of an output folder: every file is written into a temporary folder beside
the target, and only when all of them are complete is it swapped into place (renameat2
RENAME_EXCHANGE where the kernel has it), so a failed or killed run leaves the previous outputs
as they were."""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from allocator.inputs.rule_files import display_path
from allocator.outputs import interrupts
from allocator.outputs.folders import os_errors


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_TEMPORARY = re.compile(r"[a-z0-9_]{8}|old-[0-9]+")  # what mkdtemp and the fallback rename add


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def clean_leftovers(target: Path) -> None:
    """Remove the temporary folders that killed runs left beside `target`: its own only, matched
    by exact name (never a pattern made of the target's name). Call under the run lock, which
    every run writing to `target` holds, so none of them belongs to a live run."""
    target = target.resolve()
    prefix = _temporary_prefix(target)
    try:
        entries = [e.name for e in os.scandir(target.parent)]
    except FileNotFoundError:
        return
    for name in entries:
        if name.startswith(prefix) and _TEMPORARY.fullmatch(name[len(prefix) :]):
            shutil.rmtree(target.parent / name, ignore_errors=True)


class _Staged:
    """A complete folder written beside its target, to be put in the target's place."""

    def __init__(self, target: Path, tmp: Path) -> None:
        self.target, self.tmp = target, tmp
        self.old: Path | None = None  # where the previous outputs went, without an atomic exchange
        self.published = False

    def publish(self) -> None:
        exchanged = self.target.exists() and _exchange(self.tmp, self.target)  # tmp: the previous outputs
        if not exchanged:
            if self.target.exists():  # no atomic exchange here: the shortest possible window
                self.old = self.target.parent / f"{_temporary_prefix(self.target)}old-{os.getpid()}"
                os.rename(self.target, self.old)
            os.rename(self.tmp, self.target)
        self.published = True
        _fsync_dir(self.target.parent)

    def retract(self) -> None:
        """Put the previous outputs back (the ledger could not record the new ones)."""
        if not self.published:
            return
        if self.old is None and self.tmp.exists():
            _exchange(self.tmp, self.target)
        else:
            os.rename(self.target, self.tmp)
            if self.old is not None:
                os.rename(self.old, self.target)
                self.old = None
        self.published = False
        _fsync_dir(self.target.parent)

    def discard(self) -> None:
        """Remove what is left beside the target: the new files, or the previous ones."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.old is not None:
            shutil.rmtree(self.old, ignore_errors=True)


def write_atomically(
    target: Path, fill: Callable[[Path], None], record: Callable[[], AbstractContextManager[object]] | None = None
) -> None:
    """Let `fill` write a complete folder, then put it at `target` in place of any previous one.

    Everything is written and fsynced in a temporary folder beside the target; then the two are
    exchanged in one atomic rename, so at every instant `target` is either the complete previous
    outputs or the complete new ones, whenever the process is killed. With `record` (the ledger's
    transaction), the exchange happens inside it, and when its commit fails the previous outputs
    are put back: the outputs in place are the ones the ledger says were issued.
    """
    shown = display_path(target)
    target = target.resolve()
    made: list[_Staged] = []

    def discard(_: str) -> None:
        for each in made:
            each.discard()

    # the clean-up is in place before the temporary folder exists, and a signal while it is made
    # waits until it is known, so an interrupted run never leaves it behind
    with interrupts.on_interrupt(discard):
        with interrupts.deferred(), os_errors(shown, "cannot write the outputs"):
            target.parent.mkdir(parents=True, exist_ok=True)
            made.append(_Staged(target, Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), dir=target.parent))))
        staged = made[0]
        try:
            with os_errors(shown, "cannot write the outputs"):
                _fill(staged.tmp, fill)
            with interrupts.deferred():
                try:
                    with (
                        record() if record is not None else nullcontext(),
                        os_errors(shown, "cannot write the outputs"),
                    ):
                        staged.publish()
                except BaseException:
                    staged.retract()
                    raise
                interrupts.set_status("the new outputs are written" + (" and recorded" if record else ""))
        finally:
            staged.discard()


def _fill(tmp: Path, fill: Callable[[Path], None]) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; outputs are as readable as any folder
    fill(tmp)
    for f in tmp.rglob("*"):
        if f.is_file():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(tmp)
