"""`diff --clients FILE`: the full client list, written only where allocator may write it.

`allocator.commands.diff.diff` is what `allocator diff ... --clients FILE` runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.commands.diff import diff
from allocator.errors import OutputError

SHOPS = Path(__file__).parents[1] / "diff" / "fixtures" / "shops"

# city-b's threshold lowered from 250 to 100: s05 moves from C to B and gains 1 of each product;
# every other client keeps its tier and its quotas (placed_by empty: the default tier)
LIST = """\
client_id,ladder_before,ladder_after,tier_before,tier_after,placed_by_before,placed_by_after,product,quota_before,quota_after,change
s01,city,city,A,A,city-a,city-a,soft,5,5,0
s01,city,city,A,A,city-a,city-a,hard,4,4,0
s02,city,city,A,A,city-a,city-a,soft,5,5,0
s02,city,city,A,A,city-a,city-a,hard,4,4,0
s03,city,city,B,B,city-b,city-b,soft,3,3,0
s03,city,city,B,B,city-b,city-b,hard,2,2,0
s04,city,city,C,C,city-b,city-b,soft,1,1,0
s04,city,city,C,C,city-b,city-b,hard,1,1,0
s05,city,city,C,B,,city-b,soft,1,2,1
s05,city,city,C,B,,city-b,hard,1,2,1
s06,city,city,C,C,,,soft,1,1,0
s06,city,city,C,C,,,hard,1,1,0
s07,village,village,A,A,village-a,village-a,soft,5,5,0
s07,village,village,A,A,village-a,village-a,hard,4,4,0
s08,village,village,B,B,village-a,village-a,soft,0,0,0
s08,village,village,B,B,village-a,village-a,hard,2,2,0
s09,village,village,C,C,,,soft,1,1,0
s09,village,village,C,C,,,hard,1,1,0
s10,village,village,C,C,,,soft,0,0,0
s10,village,village,C,C,,,hard,1,1,0
"""


@pytest.fixture
def shops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """before/ and after/ with the shops rules; after/ lowers city-b's threshold."""
    shutil.copytree(SHOPS, tmp_path, dirs_exist_ok=True)
    for side in ("before", "after"):
        (tmp_path / side).mkdir()
        for name in ("tiering.yaml", "allocation.yaml"):
            shutil.copy(SHOPS / name, tmp_path / side / name)
    tiering = tmp_path / "after" / "tiering.yaml"
    tiering.write_text(tiering.read_text().replace("volume: {gte: 250}", "volume: {gte: 100}"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_full_list_is_written_and_the_markdown_printed(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert diff("before", "after", Path("clients.csv"), None, Path("list.csv")) == 1
    out, err = capsys.readouterr()
    assert out.startswith("## Allocator diff: 1 client changes tier") and "### Gainers (1 client;" in out
    assert err == "wrote list.csv (20 rows)\n"
    assert Path("list.csv").read_text() == LIST
    assert sorted(p.name for p in shops.iterdir() if p.name.startswith(".list")) == []  # no temporary left


def test_a_list_allocator_wrote_is_replaced(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("list.csv").write_text(LIST.splitlines()[0] + "\nold,rows\n")
    assert diff("before", "after", Path("clients.csv"), None, Path("list.csv")) == 1
    assert Path("list.csv").read_text() == LIST
    Path("empty.csv").write_text("")
    assert diff("before", "after", Path("clients.csv"), None, Path("empty.csv")) == 1
    assert Path("empty.csv").read_text() == LIST


def test_tiers_only_lists_the_tiers(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert diff("before/tiering.yaml", "after/tiering.yaml", Path("clients.csv"), None, Path("tiers.csv")) == 1
    lines = Path("tiers.csv").read_text().splitlines()
    assert lines[0] == "client_id,ladder_before,ladder_after,tier_before,tier_after,placed_by_before,placed_by_after"
    assert lines[5] == "s05,city,city,C,B,,city-b"
    assert len(lines) == 11
    # a tiers-only list is a list allocator wrote, too
    assert diff("before", "after", Path("clients.csv"), None, Path("tiers.csv")) == 1
    assert Path("tiers.csv").read_text() == LIST


def test_anything_else_is_refused_before_any_work_and_left_as_it_was(
    shops: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hint = "give --clients a new file, or a client list that allocator wrote"
    Path("notes.csv").write_text("client_id,comment\ns01,call back\n")
    Path("folder").mkdir()
    os.symlink("notes.csv", "link.csv")
    cases = {
        "notes.csv": "it is a file that allocator did not write (its first line is not a client list's header)",
        "clients.csv": "it is a file that allocator did not write (its first line is not a client list's header)",
        "folder": "it is a folder",
        "link.csv": "it is a symbolic link",
        "missing/list.csv": "its folder missing does not exist",
    }
    for name, why in cases.items():
        with pytest.raises(OutputError) as exc:
            diff("before", "missing-side", Path("clients.csv"), None, Path(name))  # refused before reading a side
        assert str(exc.value) == f"{name}: refusing to write the client list there: {why}; {hint}"
    assert Path("notes.csv").read_text() == "client_id,comment\ns01,call back\n"
    assert (shops / "clients.csv").read_bytes() == (SHOPS / "clients.csv").read_bytes()
    assert capsys.readouterr() == ("", "")


def test_the_command_line_flag(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["diff", "--before", "before", "--after", "after", "--snapshot", "clients.csv", "--clients", "l.csv"]) == 1
    )
    assert Path("l.csv").read_text() == LIST
    Path("mine.csv").write_text("mine\n")
    assert (
        main(["diff", "--before", "before", "--after", "after", "--snapshot", "clients.csv", "--clients", "mine.csv"])
        == 2
    )
    _, err = capsys.readouterr()
    assert err.endswith(
        "mine.csv: refusing to write the client list there: it is a file that allocator did not write "
        "(its first line is not a client list's header); give --clients a new file, or a client list that allocator wrote\n"
    )
    assert Path("mine.csv").read_text() == "mine\n"
