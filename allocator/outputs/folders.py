"""Where outputs may go: readable folder names, and which folders a run may replace.

A run replaces its output folder as a whole, so the folder must be one allocator wrote (an
allocator manifest, and nothing in it that allocator does not write), an empty one or a missing
one; never one that holds the inputs, the ledger, the working directory or the home directory.
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from allocator.errors import OutputError
from allocator.inputs.rule_files import display_path

MAX_NAME_BYTES = 200  # NAME_MAX is 255; `.NAME.tmp-old-PID` and `.NAME.lock` need the rest
TABLE_FILES = frozenset({"tiers.csv", "quotas.csv", "tiers.parquet", "quotas.parquet"})  # outputs: {format: ...}
VARIANT_FILES = TABLE_FILES | {"summary.csv", "tier_amounts.csv", "manifest.json", "workbook.xlsx"}
RUN_FILES = VARIANT_FILES | {"comparison.csv", "report.html", "timings.json"}
HINT = "give --out a new or empty folder, or one that allocator wrote"


USER_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.ENAMETOOLONG,
     errno.ENOTDIR, errno.EISDIR, errno.ELOOP, errno.EMLINK, errno.EIO, errno.EBUSY, errno.ENOENT, errno.EEXIST}
)  # fmt: skip  # the place or the disk, not the program


_RUST_OS_ERROR = re.compile(r"\(os error (\d+)\)")


@contextmanager
def os_errors(shown: str, what: str) -> Iterator[None]:
    """Turn an OS error of the place or the disk into a user error that names `shown`."""
    try:
        yield
    except OSError as exc:
        code = exc.errno
        if code is None and (found := _RUST_OS_ERROR.search(str(exc))):  # polars: "... (os error 28)"
            code = int(found.group(1))
        if code not in USER_ERRNOS:
            raise
        raise OutputError(f"{shown}: {what}: {os.strerror(code)}") from None


def check_output_target(out: Path) -> None:
    """Refuse a target no run can ever use: a file, the root, a mount point, a name too long."""
    shown, target = display_path(out), out.resolve()
    reason = None
    if target.parent == target:
        reason = "it is the root of the file system"
    elif target.exists() and not target.is_dir():
        reason = "it is a file, not a folder"
    elif target.is_dir() and os.path.ismount(target):
        reason = "it is a mount point; give a folder inside it"
    elif (n := len(os.fsencode(target.name))) > MAX_NAME_BYTES:
        reason = (
            f"the folder name is {n} bytes long, more than {MAX_NAME_BYTES} "
            "(its temporary and lock files need room under the file system's limit of 255)"
        )
    if reason is not None:
        raise OutputError(f"{shown}: refusing to write the outputs there: {reason}")


def guard_output_folder(out: Path, inputs: Sequence[tuple[str, Path]], ledger: Path | None) -> None:
    """Refuse to replace `out` when it is or holds anything but an earlier run's outputs.

    `inputs` are (what, path) of the files the run reads, e.g. ("the scenario", path)."""
    with os_errors(display_path(out), "cannot write the outputs"):
        check_output_target(out)
        _guard(out, inputs, ledger)


def _guard(out: Path, inputs: Sequence[tuple[str, Path]], ledger: Path | None) -> None:
    target = out.resolve()
    is_, holds = [], []
    for what, place in (("the working directory", Path.cwd()), ("your home directory", _home())):
        if place is not None and place.resolve() == target:
            is_.append(what)
        elif place is not None and target in place.resolve().parents:
            holds.append(what)
    named = [*inputs, *([("the ledger", ledger)] if ledger is not None else [])]
    holds += [f"{what} {display_path(p)}" for what, p in named if _within(p.resolve(), target)]
    foreign = foreign_entries(target)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        holds.append(f"files that allocator did not write ({shown})")
    if not is_ and not holds:
        return
    parts = []
    if is_:
        parts.append("it is " + " and ".join(is_))
    if holds:
        parts.append(("and contains " if is_ else "it contains ") + ", ".join(holds))
    raise OutputError(
        f"{display_path(out)}: refusing to replace this folder with the outputs: {' '.join(parts)}; {HINT}"
    )


def foreign_entries(folder: Path) -> list[str]:
    """The entries of `folder` that no run writes (all of them without an allocator manifest), sorted."""
    if not folder.is_dir():
        return []
    names = sorted(e.name for e in os.scandir(folder))
    if not names:
        return []
    if not _stamped(folder):
        return names
    foreign = [n for n in names if n not in RUN_FILES | {"variants"} or not _plain(folder / n, n == "variants")]
    if "variants" in names and "variants" not in foreign:
        for sub in sorted(e.name for e in os.scandir(folder / "variants")):
            path = folder / "variants" / sub
            if not _plain(path, True) or not _stamped(path):
                foreign.append(f"variants/{sub}")
                continue
            foreign += [f"variants/{sub}/{e.name}" for e in os.scandir(path) if not _variant_file(path / e.name)]
    return sorted(foreign)


def _variant_file(path: Path) -> bool:
    return path.name in VARIANT_FILES and _plain(path, False)


def _plain(path: Path, folder: bool) -> bool:
    """A real file (or folder), not a link to one somewhere else."""
    return not path.is_symlink() and (path.is_dir() if folder else path.is_file())


def _stamped(folder: Path) -> bool:
    """Whether the folder holds a manifest that allocator wrote."""
    manifest = folder / "manifest.json"
    try:
        if not _plain(manifest, False) or manifest.stat().st_size > 1 << 20:
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == "allocator"


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _home() -> Path | None:
    try:
        return Path.home()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return None
