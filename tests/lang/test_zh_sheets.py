"""xlsx and plan-sheet problems in Chinese: run and validate with --lang zh driven into each, the
whole of stderr, files, rows, columns and quoted cells carried over as written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.messages import translate

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "cli" / "fixtures" / "tiny"
PEER = ROOT / "scenarios" / "peer-week"
PLANS = """CIG_CODE,CIG_NAME,ADV,DELIVERY_METHOD,DELIVERY_ETYPE,DELIVERY_AREA,HIGHEST_GRADE,LOWEST_GRADE,TAG,BZ
A1,a,12x,按档位投放,档位+区县,城区,D30,D1,,
A1,b,5,按档位投放,档位+区县,城区,D1,D30,,
A3,c,5,按档位投放,档位+乡,城区,D31,,,
A4,d,5,,档位+区县,城区,D30,D1,,
"""


def zh(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the command with --lang zh: its exit code and the whole of stderr."""
    capsys.readouterr()
    code = main([*argv, "--lang", "zh"])
    return code, capsys.readouterr().err


def test_an_unreadable_assignments_or_locks_sheet_in_zh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    Path("text.xlsx").write_text("a,b\n")
    Path("empty.xlsx").write_bytes(b"")
    Path("old.xls").write_text("x")
    Path("empty.csv").write_text("")
    Path("folder.csv").mkdir()
    with zipfile.ZipFile("zip.xlsx", "w") as z:
        z.writestr("a.txt", "x")
    run = ("run", "tiny/scenario.yaml", "--out", "out")
    expected = {
        ("--assignments", "text.xlsx"): "text.xlsx: 不是 xlsx 文件：这是文本，不是 xlsx 文件那样的 zip 压缩包；"
        "CSV 文件必须以 .csv 结尾命名",
        ("--locks", "empty.xlsx"): "empty.xlsx: 不是 xlsx 文件：文件为空",
        ("--assignments", "zip.xlsx"): "zip.xlsx: 不是 xlsx 文件：是 zip 压缩包，但不是 Excel 工作簿",
        ("--assignments", "old.xls"): "old.xls: 未知的分配文件格式 '.xls'；请使用 .xlsx 或 .csv；"
        "请另存为 .xlsx（Excel 2007 或更高版本）",
        ("--locks", "empty.csv"): "empty.csv: 文件为空；应有表头行，每个锁定一行",
        ("--assignments", "folder.csv"): "folder.csv: 是文件夹，不是文件",
        ("--locks", "nowhere.csv"): "nowhere.csv: 文件不存在",
    }
    for given, message in expected.items():
        assert zh(capsys, *run, *given) == (2, message + "\n")
    assert not Path("out").exists()


def test_the_problems_of_a_plan_sheet_in_zh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("tiering.yaml", "allocation.yaml"):
        shutil.copy(PEER / name, tmp_path / name)
    allocation = tmp_path / "allocation.yaml"
    allocation.write_text(allocation.read_text().replace("data/cigarette_distribution_info.xlsx", "plans.csv"))
    (tmp_path / "plans.csv").write_text(PLANS)
    monkeypatch.chdir(tmp_path)
    code, err = zh(capsys, "validate", "tiering.yaml", "allocation.yaml")
    assert code == 2
    assert err.splitlines() == [
        "plans.csv: 第 2 行，列 ADV: '12x' 不是大于等于 0 的整数条数",
        "plans.csv: 第 3 行，列 CIG_CODE: 重复的代码 'A1'（首次在第 2 行）",
        "plans.csv: 第 3 行，列 HIGHEST_GRADE: 'D1' 低于最低档位 'D30'",
        "plans.csv: 第 4 行，列 HIGHEST_GRADE: 'D31' 不是档位；是否应为 'D3'？",
        "plans.csv: 第 4 行，列 LOWEST_GRADE: 为空，但 HIGHEST_GRADE 为 'D31'；请两个档位都给出或都不给",
        "plans.csv: 第 4 行，列 DELIVERY_ETYPE: '档位+乡' 不是 plans.segment_fields 中的区域类型；是否应为 '档位+区县'？",
        "plans.csv: 第 5 行，列 DELIVERY_METHOD: 为空；每个计划都需要投放方法，可选 按档位投放, 按档位统一投放, "
        "按档位扩展投放, 按档位拓展投放",
    ]


@pytest.mark.parametrize(("english", "chinese"), [
    ("b.xlsx: no sheet named 'Shet1'; did you mean 'Sheet1'? (the sheets are: 'Sheet1', 'Plans')",
     "b.xlsx: 没有名为 'Shet1' 的工作表；是否应为 'Sheet1'？（现有工作表：'Sheet1', 'Plans'）"),
    ("b.xlsx: no sheet named 'x' (the sheets are: 'Sheet1')", "b.xlsx: 没有名为 'x' 的工作表（现有工作表：'Sheet1'）"),
    ("b.xlsx: row 7 comes after row 9: rows out of order or repeated, which Excel never writes; open the file in "
     "Excel and save it again",
     "b.xlsx: 第 7 行出现在第 9 行之后：行的顺序错乱或重复，Excel 从不这样写；请用 Excel 打开该文件并重新保存"),
    ("b.xlsx, sheet 'P': row 3, column name: 40000 characters; a cell holds at most 32767",
     "b.xlsx, sheet 'P': 第 3 行，列 name: 共 40000 个字符；一个单元格最多 32767 个字符"),
    ("b.xlsx: refused: 'xl/sheet1.xml' would unpack 100 bytes to 900000, more than 100 times (this is how a zip "
     "bomb looks)",
     "b.xlsx: 拒绝读取：'xl/sheet1.xml' 会把 100 字节解压为 900000 字节，超过 100 倍（zip 炸弹就是这样）"),
    ("p.csv: row 6, column HIGHEST_GRADE: 'D1' is below the lowest grade 'D5' on ladder 'city'",
     "p.csv: 第 6 行，列 HIGHEST_GRADE: 档位序列 'city' 中 'D1' 低于最低档位 'D5'"),
    ("p.csv: row 2, column DELIVERY_AREA: '北京' stands for '北京市' (plans.aliases.DISTRICT), which is not a DISTRICT",
     "p.csv: 第 2 行，列 DELIVERY_AREA: '北京' 代表 '北京市'（plans.aliases.DISTRICT），它不是 DISTRICT"),
    ("p.csv: row 4, column DELIVERY_METHOD: polcy: unknown product key; did you mean 'policy'?",
     "p.csv: 第 4 行，列 DELIVERY_METHOD: polcy: 未知的品规键；是否应为 'policy'？"),
])  # fmt: skip
def test_sheet_messages_in_zh(english: str, chinese: str) -> None:
    assert translate(english, "zh") == chinese
    assert translate(english, "en") == english
