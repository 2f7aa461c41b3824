"""The fuzz harness: run the CLI in-process on one hostile input and check the safety contract.

The contract every example must keep, whatever the input:
- the exit code is 0, 1 or 2 (3 is a bug; 4 only for a busy lock, which one process never meets);
- no traceback on stdout or stderr;
- a bounded time: a per-example alarm turns a hang into a failure (it measures nothing);
- nothing written outside the output folder (and its run lock beside it); a foreign folder given
  as --out is left byte-identical.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from hypothesis import HealthCheck, Phase, settings

from allocator.cli import main

REPO = Path(__file__).resolve().parents[2]
ALARM_SECONDS = 20
SNAPSHOT_ROWS = 40  # rows kept from each real snapshot: enough for every tier, small enough to be quick
CI_EXAMPLES = 300  # the ci profile's max_examples; budgets below are written for it

# Shrinking a fuzz failure can take hypothesis's full five minutes (each try runs the CLI), which
# would blow the ci budget: ci and dev report the failing example as found (print_blob replays it);
# the long `fuzz` profile shrinks.
_SHRINK = settings.default.max_examples > CI_EXAMPLES
FUZZ_SETTINGS = {
    "deadline": None,
    "phases": [p for p in Phase if _SHRINK or p is not Phase.shrink],
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
}


def budget(ci_examples: int) -> int:
    """Examples for one fuzz target: `ci_examples` under the ci profile, scaled by the loaded profile.

    The dev profile (100) runs a third of them, the fuzz profile (3000) ten times as many.
    """
    return max(10, ci_examples * settings.default.max_examples // CI_EXAMPLES)


class ExampleTimeout(BaseException):
    """Raised by the alarm; a BaseException so that the CLI's `except Exception` cannot swallow it."""


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"allocator {' '.join(self.argv)} -> exit {self.code}\nstdout: {self.out[-2000:]}\nstderr: {self.err[-2000:]}"


@contextlib.contextmanager
def alarm(seconds: float = ALARM_SECONDS) -> Iterator[None]:
    """Turn a hang into ExampleTimeout (Python code only: a hang inside C code never returns)."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise ExampleTimeout(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def working_dir(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def invoke(argv: Sequence[str], cwd: Path) -> Outcome:
    """`allocator ARGV` in `cwd`, in this process; argparse's SystemExit becomes the exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with working_dir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), alarm():
            try:
                code = main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2 if exc.code else 0
    except ExampleTimeout as exc:
        # A fresh exception: pytest cannot render the frame the signal interrupted. Keep where it hung.
        where = "".join(traceback.format_tb(exc.__traceback__)[-4:-1])
        raise AssertionError(f"allocator {' '.join(argv)}: {exc}; it was here:\n{where}") from None
    return Outcome(tuple(argv), code, out.getvalue(), err.getvalue())


def assert_safe(outcome: Outcome) -> None:
    """Exit 0, 1 or 2 and no traceback."""
    assert outcome.code in (0, 1, 2), str(outcome)
    assert "Traceback" not in outcome.out + outcome.err, str(outcome)


def tree(root: Path) -> dict[str, str]:
    """Every entry under `root`: a file's sha256, 'dir', or a symlink's target."""
    entries: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                entries[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                entries[rel] = "dir"
            else:
                entries[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def outside(entries: dict[str, str], out: str | None) -> dict[str, str]:
    """The entries that are neither the output folder, inside it, its run lock beside it, nor its parent folders."""
    if out is None:
        return entries
    name = out.rstrip("/")
    parent, _, leaf = name.rpartition("/")
    lock = f"{parent}/.{leaf}.lock" if parent else f".{leaf}.lock"
    return {
        k: v
        for k, v in entries.items()
        if k != name and not k.startswith(name + "/") and k != lock and not (v == "dir" and name.startswith(k + "/"))
    }


def assert_nothing_written_outside(before: dict[str, str], after: dict[str, str], out: str | None) -> None:
    """Only the output folder (and its lock) may have changed; no temporary folder is left."""
    assert outside(after, out) == outside(before, out), "files changed outside the output folder"


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A fresh copy of the template (real rules, scenarios with short snapshots, the tiny scenario)."""
    with tempfile.TemporaryDirectory(prefix="allocator-fuzz-") as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(template(), root, symlinks=True)
        yield root


_TEMPLATE: list[Path] = []


def template() -> Path:
    """Built once per process: rules/, scenarios/ with the first SNAPSHOT_ROWS rows of each snapshot, tiny/."""
    if _TEMPLATE:
        return _TEMPLATE[0]
    root = Path(tempfile.mkdtemp(prefix="allocator-fuzz-template-"))
    shutil.copytree(REPO / "rules", root / "rules")
    (root / "scenarios").mkdir()
    for scenario in sorted((REPO / "scenarios").glob("*.yaml")):
        shutil.copy(scenario, root / "scenarios" / scenario.name)
    for snapshot in (
        "data/demo-clients.csv",
        "data/online-retail/online-retail-2011Q3.csv",
        "data/tobacco-30/clients.csv",
    ):
        source = REPO / "scenarios" / snapshot
        target = root / "scenarios" / snapshot
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open(encoding="utf-8") as f:
            target.write_text("".join(line for _, line in zip(range(SNAPSHOT_ROWS + 1), f, strict=False)), encoding="utf-8")
    shutil.copytree(REPO / "tests" / "cli" / "fixtures" / "tiny", root / "tiny")
    _TEMPLATE.append(root)
    return root
