"""Snapshots in the encodings Chinese Excel saves (`snapshot: {path, encoding: gbk | gb18030}`), and
the messages for a file that is not UTF-8 and declares nothing, or declares what it is not."""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from allocator.cli import main
from allocator.errors import SnapshotError
from allocator.inputs.snapshots import parse_snapshot

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = """\
kind: scenario
version: 1
name: 城区 demo
snapshot: {snapshot}
tiering: tiering.yaml
allocation: allocation.yaml
period: 2026Q4
seed: 2026
outputs: {{keep_columns: [name]}}
"""


def _chinese(text: str) -> str:
    """The demo's words in Chinese: the markets (and so the ladders and rule ids), a shop name column."""
    return re.sub(r"\bvillage\b", "乡镇", re.sub(r"\bcity\b", "城区", text))


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo scenario's 3,000 shops and rules in Chinese: clients.csv in UTF-8, clients-gbk.csv
    the same text in GBK (as Chinese Excel saves a CSV)."""
    for name in ("tiering", "allocation"):
        text = (ROOT / "rules" / f"{name}.yaml").read_text(encoding="utf-8")
        (tmp_path / f"{name}.yaml").write_text(_chinese(text), encoding="utf-8")
    lines = (ROOT / "scenarios" / "data" / "demo-clients.csv").read_text(encoding="utf-8").splitlines()
    shops = ["烟酒店", "便利店", "超市", "小卖部"]
    rows = [lines[0] + ",name"] + [f"{_chinese(r)},{shops[i % 4]}{i}号" for i, r in enumerate(lines[1:])]
    text = "\r\n".join(rows) + "\r\n"
    (tmp_path / "clients.csv").write_text(text, encoding="utf-8", newline="")
    (tmp_path / "clients-gbk.csv").write_bytes(text.encode("gbk"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scenario(snapshot: str, name: str = "scenario.yaml") -> str:
    Path(name).write_text(SCENARIO.format(snapshot=snapshot), encoding="utf-8")
    return name


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_a_gbk_snapshot_declared_runs_as_its_utf8_twin(
    demo: Path, encoding: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", _scenario("clients.csv", "utf8.yaml"), "--out", "utf8"]) == 0
    declared = _scenario(f"{{path: clients-gbk.csv, encoding: {encoding}}}")
    assert main(["run", declared, "--out", "gbk"]) == 0
    capsys.readouterr()
    for name in ("tiers.csv", "quotas.csv", "summary.csv"):
        assert (demo / "gbk" / name).read_bytes() == (demo / "utf8" / name).read_bytes(), name
    assert (demo / "gbk" / "quotas.csv").read_text(encoding="utf-8").splitlines()[1] == (
        "R00001,烟酒店0号,zhonghua-soft,城区,D,4,0,,0,rules"
    )


def test_a_gbk_snapshot_that_declares_nothing_is_told_the_setting(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.move("clients-gbk.csv", "data-gbk.csv")
    first = _first_wide(Path("data-gbk.csv").read_bytes())  # 城 of row 2, 0xb3c7 in GBK
    assert main(["validate", _scenario("data-gbk.csv")]) == 2
    assert capsys.readouterr().err == (
        f"data-gbk.csv: row 2: not UTF-8 text (byte 0xb3 at offset {first}); it looks like GBK/GB18030 (Chinese "
        'Excel): declare it in the scenario, snapshot: {path: data-gbk.csv, encoding: gb18030}, or save it as "CSV '
        'UTF-8"\n'
    )


def _first_wide(raw: bytes) -> int:
    return next(i for i, b in enumerate(raw) if b > 0x7F)


def test_a_utf8_snapshot_declared_gbk_is_refused(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _first_wide(Path("clients.csv").read_bytes())  # 城 of row 2, e5 9f 8e in UTF-8
    assert main(["validate", _scenario("{path: clients.csv, encoding: gbk}")]) == 2
    assert capsys.readouterr().err == (
        f"clients.csv: row 2: UTF-8 text (byte 0xe5 at offset {first}), but the scenario declares encoding: gbk; "
        "leave the encoding out (UTF-8 is the default)\n"
    )


def test_a_character_gbk_lacks_points_to_gb18030(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = Path("clients.csv").read_text(encoding="utf-8").replace("小卖部3号", "𠀀小卖部3号").encode("gb18030")
    Path("clients-gbk.csv").write_bytes(raw)
    at = raw.index("𠀀".encode("gb18030"))  # U+20000: 0x95 0x32 0x82 0x36, four bytes
    assert main(["validate", _scenario("{path: clients-gbk.csv, encoding: gbk}")]) == 2
    assert capsys.readouterr().err == (
        f"clients-gbk.csv: row 5: not GBK text (byte 0x95 at offset {at}), though the scenario declares encoding: "
        "gbk; declare encoding: gb18030 (GBK's successor, which has these characters)\n"
    )
    assert main(["validate", _scenario("{path: clients-gbk.csv, encoding: gb18030}")]) == 0


def test_bytes_no_encoding_reads_are_refused_with_their_row(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = Path("clients-gbk.csv").read_bytes()
    cut = raw.index(b"\r\n", raw.index(b"R00002")) + 2  # row 4 starts here (the header is row 1)
    Path("clients-gbk.csv").write_bytes(raw[:cut] + b"\xff\xfe" + raw[cut:])
    assert main(["validate", _scenario("{path: clients-gbk.csv, encoding: gb18030}")]) == 2
    assert capsys.readouterr().err == (
        f"clients-gbk.csv: row 4: not GB18030 text (byte 0xff at offset {cut}), though the scenario declares "
        'encoding: gb18030; check which encoding the file was saved in, or save it as "CSV UTF-8"\n'
    )


def test_rows_keep_their_numbers_in_a_declared_encoding(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Row 3's name spans two lines inside its quotes; the bad values of rows 5 and 7 keep their numbers.
    text = Path("clients.csv").read_text(encoding="utf-8").replace("便利店1号", '"便利\r\n店1号"')
    text = text.replace("R00004,城区,", "R00004,郊区,").replace("R00006,乡镇,1012,", "R00006,乡镇,一千,")
    Path("clients-gbk.csv").write_bytes(text.encode("gbk"))
    assert main(["validate", _scenario("{path: clients-gbk.csv, encoding: gbk}")]) == 2
    assert capsys.readouterr().err == (
        "clients-gbk.csv: row 5, column market: unknown value '郊区'; expected one of 城区, 乡镇\n"
        "clients-gbk.csv: row 7, column volume: '一千' is not a number\n"
    )


def test_a_nul_byte_in_a_declared_file(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = Path("clients-gbk.csv").read_bytes()
    Path("clients-gbk.csv").write_bytes(raw[:200] + b"\x00" + raw[200:])
    assert main(["validate", _scenario("{path: clients-gbk.csv, encoding: gbk}")]) == 2
    assert capsys.readouterr().err == (
        "clients-gbk.csv: row 3: a NUL byte (0x00) at offset 200; this is not a text file\n"
    )


def test_an_encoding_is_for_a_csv_snapshot_only(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("clients.parquet").write_bytes(b"PAR1")
    assert main(["validate", _scenario("{path: clients.parquet, encoding: gb18030}")]) == 2
    assert capsys.readouterr().err == (
        "scenario.yaml:4:45: snapshot.encoding: an encoding applies only to a CSV snapshot, and clients.parquet "
        "is not one\n"
    )
    assert main(["validate", _scenario("{path: clients.csv, encoding: big5}")]) == 2
    # (the first line is the plain-path form of `snapshot:`, which every bad option also reports)
    assert capsys.readouterr().err == (
        "scenario.yaml:4:11: snapshot: input should be a valid string\n"
        "scenario.yaml:4:41: snapshot.encoding: 'big5' is not one of utf-8, gbk, gb18030\n"
    )


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Text of every plane GB18030 covers: ASCII, CJK (two bytes), and four-byte characters beyond GBK
# (CJK Extension B, emoji), with the separators and quotes a CSV must carry inside quoted values.
_CELL = st.text(
    st.one_of(
        st.sampled_from(list('ab1 ,"\r\n')),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
        st.sampled_from(["😀", "€", "·", "　"]),
    ),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@example([["𠀀", ""]])
@given(st.lists(st.lists(_CELL, min_size=2, max_size=2), min_size=1, max_size=6))
def test_any_gb18030_file_reads_as_the_same_file_in_utf8(rows: list[list[str]]) -> None:
    """Cells and row numbers of a CSV in GB18030 are those of the same CSV in UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["client_id", "name"])
    writer.writerows([f"c{i}", b] for i, (_, b) in enumerate(rows))
    writer.writerows([a or "x", b] for a, b in rows)
    text = out.getvalue()
    # A GB18030 file that is valid UTF-8 too may be taken for UTF-8 (as_utf8 refuses one that reads
    # as Chinese in UTF-8): a few bytes by chance, never real text; such draws are left out.
    assume(text.isascii() or not _valid_utf8(text.encode("gb18030")))
    with tempfile.TemporaryDirectory() as tmp:
        utf8, gb = Path(tmp) / "u.csv", Path(tmp) / "g.csv"
        utf8.write_bytes(text.encode("utf-8"))
        gb.write_bytes(text.encode("gb18030"))
        try:
            want = parse_snapshot(utf8, "clients.csv")
        except SnapshotError as exc:
            with pytest.raises(SnapshotError) as info:
                parse_snapshot(gb, "clients.csv", encoding="gb18030")
            assert str(info.value) == str(exc)
            return
        got = parse_snapshot(gb, "clients.csv", encoding="gb18030")
    assert (got.header, got.cells.rows(), got.rows.to_list()) == (  # type: ignore[union-attr]
        want.header,
        want.cells.rows(),  # type: ignore[union-attr]
        want.rows.to_list(),  # type: ignore[union-attr]
    )
