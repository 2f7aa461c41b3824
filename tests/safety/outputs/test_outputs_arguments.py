"""Arguments that used to hang or end in a traceback: --wait, schema --out, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.cli import main
from allocator.errors import AllocatorError, BusyError, LedgerError, OutputError


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "-inf", "1e9", "soon", ""])
@pytest.mark.parametrize("command", ["run", "batch"])
def test_wait_takes_only_a_finite_number_of_seconds(
    tiny: Path, command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "tiny/scenario.yaml", "--out", "out", f"--wait={value}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"allocator: error: argument --wait: {value!r} is not a number of seconds from 0 to 86400"
    )
    assert sorted(p.name for p in Path().iterdir()) == ["home", "tiny"]


def test_wait_accepts_zero_and_fractions(tiny: Path) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--wait", "0.5"]) == 0
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--wait", "0"]) == 0


def test_schema_into_an_existing_file_exits_2(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("notes.txt").write_text("keep\n")
    assert main(["schema", "--out", "notes.txt"]) == 2
    assert capsys.readouterr().err == "notes.txt: cannot write the schemas there: it is a file, not a folder\n"
    assert Path("notes.txt").read_text() == "keep\n"


def test_schema_below_a_file_exits_2(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("notes.txt").write_text("keep\n")
    assert main(["schema", "--out", "notes.txt/schema"]) == 2
    assert capsys.readouterr().err == "notes.txt/schema: cannot write the schemas there: Not a directory\n"


def test_every_error_carries_its_exit_code() -> None:
    assert AllocatorError.exit_code == 2
    assert (LedgerError.exit_code, OutputError.exit_code) == (2, 2)
    assert BusyError.exit_code == 4
    assert issubclass(BusyError, AllocatorError)
