"""`diff --snapshot` names what is wrong with a snapshot that is not a regular file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allocator.cli import main

RULES = Path(__file__).resolve().parents[3] / "rules" / "tiering.yaml"


def test_a_fifo_snapshot_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seen before: "clients.csv: no such file"
    monkeypatch.chdir(tmp_path)
    os.mkfifo("clients.csv")
    code = main(["diff", "--before", str(RULES), "--after", str(RULES), "--snapshot", "clients.csv"])
    assert (code, capsys.readouterr().err) == (2, "clients.csv: is a named pipe (FIFO), not a regular file\n")
