"""`--out` may replace only a folder allocator wrote, an empty one or a missing one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.outputs.atomic import clean_leftovers
from tests.safety.outputs.outputs_helpers import tree

HINT = "; give --out a new or empty folder, or one that allocator wrote"


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2, err
    return err


def test_out_dot_dot_from_the_scenario_folder_deletes_nothing(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny.parent / "sibling").mkdir()
    (tiny.parent / "sibling" / "keep.txt").write_text("mine\n")
    monkeypatch.chdir(tiny)
    before = tree(tiny.parent)
    err = _refused(["run", "scenario.yaml", "--out", ".."], capsys)
    assert err == (
        "..: refusing to replace this folder with the outputs: it contains the working directory, "
        "your home directory, the scenario scenario.yaml, files that allocator did not write (home, sibling, tiny)"
        + HINT
        + "\n"
    )
    assert tree(tiny.parent) == before


def test_out_dot_in_the_scenario_folder_is_refused(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tiny)
    before = tree(tiny)
    err = _refused(["run", "scenario.yaml", "--out", "."], capsys)
    assert err == (
        ".: refusing to replace this folder with the outputs: it is the working directory "
        "and contains the scenario scenario.yaml, files that allocator did not write (allocation.yaml, clients.csv, "
        "scenario.yaml and 1 more)" + HINT + "\n"
    )
    assert tree(tiny) == before


def test_out_at_the_scenario_folder_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(tiny)
    err = _refused(["batch", "tiny/scenario.yaml", "--out", "tiny", "--ledger", "ledger.sqlite"], capsys)
    assert err == (
        "tiny: refusing to replace this folder with the outputs: it contains the scenario tiny/scenario.yaml, "
        "files that allocator did not write (allocation.yaml, clients.csv, scenario.yaml and 1 more)" + HINT + "\n"
    )
    assert tree(tiny) == before
    assert not Path("ledger.sqlite").exists()


def test_out_at_the_home_directory_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = Path(os.environ["HOME"])
    (home / ".bashrc").write_text("export X=1\n")
    err = _refused(["run", "tiny/scenario.yaml", "--out", str(home)], capsys)
    assert err == (
        "home: refusing to replace this folder with the outputs: it is your home directory "
        "and contains files that allocator did not write (.bashrc)" + HINT + "\n"
    )
    assert (home / ".bashrc").read_text() == "export X=1\n"
    assert sorted(p.name for p in Path().iterdir()) == ["home", "tiny"]  # not even a lock file beside it


def test_a_folder_of_user_files_is_refused_and_kept(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("reports").mkdir()
    Path("reports/q3.xlsx").write_bytes(b"PK\x03\x04")
    err = _refused(["run", "tiny/scenario.yaml", "--out", "reports"], capsys)
    assert err == (
        "reports: refusing to replace this folder with the outputs: "
        "it contains files that allocator did not write (q3.xlsx)" + HINT + "\n"
    )
    assert tree(Path("reports")) == {"q3.xlsx": b"PK\x03\x04"}


def test_an_output_folder_with_one_user_file_added_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    Path("out/notes.txt").write_text("do not lose me\n")
    before = tree(Path("out"))
    capsys.readouterr()
    err = _refused(["run", "tiny/scenario.yaml", "--out", "out"], capsys)
    assert err == (
        "out: refusing to replace this folder with the outputs: "
        "it contains files that allocator did not write (notes.txt)" + HINT + "\n"
    )
    assert tree(Path("out")) == before


def test_a_forged_manifest_does_not_make_a_folder_replaceable(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("mine").mkdir()
    Path("mine/manifest.json").write_text(json.dumps({"tool": "allocator"}))
    Path("mine/thesis.tex").write_text("\\begin{document}\n")
    err = _refused(["run", "tiny/scenario.yaml", "--out", "mine"], capsys)
    assert err == (
        "mine: refusing to replace this folder with the outputs: "
        "it contains files that allocator did not write (thesis.tex)" + HINT + "\n"
    )
    assert Path("mine/thesis.tex").exists()


def test_outputs_without_an_allocator_manifest_are_not_replaced(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("look-alike").mkdir()
    Path("look-alike/tiers.csv").write_text("client_id\n")
    err = _refused(["run", "tiny/scenario.yaml", "--out", "look-alike"], capsys)
    assert err == (
        "look-alike: refusing to replace this folder with the outputs: "
        "it contains files that allocator did not write (tiers.csv)" + HINT + "\n"
    )


def test_an_earlier_runs_folder_and_an_empty_folder_are_replaced(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("empty").mkdir()
    assert main(["run", "tiny/scenario.yaml", "--out", "empty"]) == 0
    first = tree(Path("empty"))
    assert main(["run", "tiny/scenario.yaml", "--out", "empty"]) == 0
    assert tree(Path("empty")) == first
    assert sorted(first) == ["manifest.json", "quotas.csv", "report.html", "summary.csv", "tiers.csv"]


def test_a_snapshot_inside_an_earlier_output_folder_is_not_replaced(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The snapshot has an output's name, so only knowing the inputs protects it.
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    Path("out/tiers.csv").write_bytes((tiny / "clients.csv").read_bytes())
    text = (tiny / "scenario.yaml").read_text().replace("snapshot: clients.csv", "snapshot: ../out/tiers.csv")
    (tiny / "scenario.yaml").write_text(text)
    before = tree(Path("out"))
    capsys.readouterr()
    err = _refused(["run", "tiny/scenario.yaml", "--out", "out"], capsys)
    assert (
        err
        == "out: refusing to replace this folder with the outputs: it contains the snapshot out/tiers.csv" + HINT + "\n"
    )
    assert tree(Path("out")) == before


def test_out_at_an_existing_file_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (tiny / "clients.csv").read_bytes()
    err = _refused(["run", "tiny/scenario.yaml", "--out", "tiny/clients.csv"], capsys)
    assert err == "tiny/clients.csv: refusing to write the outputs there: it is a file, not a folder\n"
    assert (tiny / "clients.csv").read_bytes() == before
    assert sorted(p.name for p in tiny.iterdir()) == ["allocation.yaml", "clients.csv", "scenario.yaml", "tiering.yaml"]


def test_out_at_the_root_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["batch", "tiny/scenario.yaml", "--out", "/", "--ledger", "ledger.sqlite"], capsys)
    assert err == "/: refusing to write the outputs there: it is the root of the file system\n"
    assert not Path("/.lock").exists() and not Path("/..lock").exists()


def test_an_output_folder_name_too_long_for_its_temporary_is_refused(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "o" * 241
    err = _refused(["run", "tiny/scenario.yaml", "--out", name], capsys)
    assert err == (
        f"{name}: refusing to write the outputs there: the folder name is 241 bytes long, more than 200 "
        "(its temporary and lock files need room under the file system's limit of 255)\n"
    )
    assert sorted(p.name for p in Path().iterdir()) == ["home", "tiny"]


def test_a_ledger_inside_the_output_folder_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "o", "--ledger", "ledger.sqlite"]) == 0
    capsys.readouterr()
    code = main(["batch", "tiny/scenario.yaml", "--out", "o", "--ledger", "o/ledger.sqlite"])
    out, err = capsys.readouterr()
    message = "o: refusing to replace this folder with the outputs: it contains the ledger o/ledger.sqlite" + HINT
    assert (code, err) == (2, message + "\n")
    last = json.loads(out.splitlines()[-1])
    assert (last["step"], last["exit"], last["message"]) == ("failed", 2, message)
    assert not Path("o/ledger.sqlite").exists()


def test_a_new_output_folder_may_not_hold_the_ledger_either(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(["batch", "tiny/scenario.yaml", "--out", "o", "--ledger", "o/sub/ledger.sqlite"], capsys)
    assert (
        err
        == "o: refusing to replace this folder with the outputs: it contains the ledger o/sub/ledger.sqlite"
        + HINT
        + "\n"
    )
    assert sorted(p.name for p in Path().iterdir()) == ["home", "tiny"]


def test_cleaning_leftovers_matches_this_targets_temporaries_only(tmp_path: Path) -> None:
    for name in (
        ".*.tmp-abcd1234",
        ".other.tmp-abcd1234",
        ".other.tmp-old-77",
        ".*.tmp-keepme",
        ".*.tmp-x.tmp-abcd1234",
    ):
        (tmp_path / name).mkdir()
    clean_leftovers(tmp_path / "*")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".*.tmp-keepme", ".*.tmp-x.tmp-abcd1234", ".other.tmp-abcd1234", ".other.tmp-old-77"
    ]  # fmt: skip
    clean_leftovers(tmp_path / "other")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".*.tmp-keepme", ".*.tmp-x.tmp-abcd1234"]


def test_a_path_component_too_long_exits_2(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long = "l" * 300
    err = _refused(["run", "tiny/scenario.yaml", "--out", f"{long}/x"], capsys)
    assert err == f"{long}/x: cannot write the outputs: File name too long\n"
    err = _refused(["run", "tiny/scenario.yaml", "--out", "out", "--ledger", f"{long}/x"], capsys)
    assert err == f"{long}/x: cannot open the run ledger: File name too long\n"
    assert sorted(p.name for p in Path().iterdir()) == ["home", "tiny"]
