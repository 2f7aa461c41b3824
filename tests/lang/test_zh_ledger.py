"""The run ledger's refusals in Chinese: approve, publish, batch --supersede, runs and history with
--lang zh, each whole message as stderr shows it, the run ids, files and quoted values carried over."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.messages import translate
from allocator.outputs.ledger import Ledger, RunInfo
from allocator.outputs.tables import sha256_file

TINY = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "tiny"
T = "2026-12-01T10:00:00+00:00"  # the clock of every ledger write here
RUN = "运行 {}（tiny/scenario.yaml，周期 2026Q1）"
HINT = "请给 --ledger 一个新文件或 allocator 的台账"


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny scenario in a fresh folder, with a fixed clock and OS user."""
    for module in ("allocator.outputs.ledger", "allocator.outputs.ledger_acts", "allocator.commands.publish"):
        monkeypatch.setattr(f"{module}.now", lambda: T)
    monkeypatch.setenv("LOGNAME", "planner")
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"


def zh(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the command with --lang zh: its exit code and the whole of stderr."""
    capsys.readouterr()
    code = main([*argv, "--lang", "zh"])
    return code, capsys.readouterr().err


def _failed_and_running(ledger: Path) -> None:
    """Run 2 failed, run 3 still running."""
    with Ledger.open(ledger) as book:
        info = RunInfo("tiny/scenario.yaml", "0" * 64, "2026Q1", 7, "0" * 64, "0" * 64, "0" * 64, "0.1.0", "/x")
        book.fail(book.start(info), "SnapshotError: clients.csv: row 4, column volume: -3 is below the minimum 0")
        book.start(info)


def test_the_refusals_of_approve_and_publish_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = ("--ledger", "ledger.sqlite")
    assert zh(capsys, "batch", "tiny/scenario.yaml", "--out", "out", *ledger)[0] == 0
    assert zh(capsys, "publish", "1", *ledger, "--out", "notice") == (2, (
        f"{RUN.format(1)} 无法发布：它是草稿；请先批准（allocator approve 1 --ledger LEDGER --by NAME）\n"
    ))  # fmt: skip
    _failed_and_running(Path("ledger.sqlite"))
    assert zh(capsys, "approve", "9", *ledger, "--by", "zhang") == (2, "ledger.sqlite: 没有运行 9；台账中有运行 1, 2, 3\n")
    assert zh(capsys, "approve", "2", *ledger, "--by", "zhang") == (2, (
        f"{RUN.format(2)} 无法批准：运行失败（SnapshotError: clients.csv: row 4, column volume: -3 is below the "
        "minimum 0）；只有成功完成的运行才能批准\n"
    ))  # fmt: skip
    assert zh(capsys, "publish", "3", *ledger, "--out", "notice") == (2, (
        f"{RUN.format(3)} 无法发布：运行尚未完成（状态 running）；只有成功完成的运行才能发布\n"
    ))  # fmt: skip
    assert zh(capsys, "approve", "1", *ledger, "--by", " ") == (2, "--by 为空：请说明由谁操作（一个名字）\n")
    assert zh(capsys, "approve", "1", *ledger, "--by", "z" * 300) == (2, "--by 有 300 个字符；最多 200 个\n")
    assert zh(capsys, "approve", "1", *ledger, "--by", "zhang") == (0, "")
    assert zh(capsys, "approve", "1", *ledger, "--by", "li") == (2, f"{RUN.format(1)} 无法批准：该运行已由 zhang 批准（{T}）\n")
    assert zh(capsys, "publish", "1", *ledger, "--out", "notice")[0] == 0
    assert zh(capsys, "approve", "1", *ledger, "--by", "li") == (
        2, f"{RUN.format(1)} 无法批准：该运行已发布（由 zhang 批准，{T}）\n"
    )  # fmt: skip


def test_the_refusals_of_batch_supersede_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = ("batch", "tiny/scenario.yaml", "--ledger", "ledger.sqlite", "--out")
    assert zh(capsys, *batch, "out1", "--supersede", "1", "--reason", "why") == (2, (
        "--supersede 1: tiny/scenario.yaml 在周期 2026Q1 没有可取代的已批准或已发布运行（台账 ledger.sqlite "
        "还没有任何运行）；请去掉 --supersede 和 --reason\n"
    ))  # fmt: skip
    assert zh(capsys, *batch, "out1")[0] == 0
    assert zh(capsys, *batch, "out2", "--supersede", "1", "--reason", "why") == (2, (
        "--supersede 1: tiny/scenario.yaml 在周期 2026Q1 没有可取代的已批准或已发布运行；请去掉 --supersede 和 --reason\n"
    ))  # fmt: skip
    assert zh(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang")[0] == 0
    assert zh(capsys, *batch, "out2") == (2, (
        f"tiny/scenario.yaml 在周期 2026Q1 已有批准的运行：运行 1，已由 zhang 批准（{T}）；"
        "要替换它，请给出 --supersede 1 --reason TEXT\n"
    ))  # fmt: skip
    assert zh(capsys, *batch, "out2", "--supersede", "1", "--reason", "  ") == (
        2, "--reason 为空：请说明运行 1 为什么被取代\n"
    )  # fmt: skip
    assert zh(capsys, *batch, "out1", "--supersede", "1", "--reason", "again") == (2, (
        f"out1: 拒绝用输出替换此文件夹：其中是{RUN.format(1)}的输出，该运行已批准，而已批准和已发布的运行永不改变；"
        "请为 --out 另选文件夹\n"
    ))  # fmt: skip


def test_runs_and_history_refusals_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert zh(capsys, "runs", "--ledger", "nowhere.sqlite") == (
        2, "nowhere.sqlite: 运行台账不存在；请给 --ledger 由 batch 写出的台账\n"
    )  # fmt: skip
    assert zh(capsys, "history", "c1", "--ledger", "tiny/clients.csv") == (
        2, f"tiny/clients.csv: 不是运行台账：该文件不是 SQLite 数据库；{HINT}\n"
    )  # fmt: skip
    assert zh(capsys, "runs", "--ledger", "tiny") == (2, f"tiny: 不是运行台账：这是文件夹；{HINT}\n")
    assert zh(capsys, "batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite")[0] == 0
    code, err = zh(capsys, "history", "zz9", "--ledger", "ledger.sqlite")
    assert (code, err) == (2, "ledger.sqlite: 此台账中没有任何运行含有客户 'zz9'\n")


@pytest.mark.parametrize(("english", "chinese"), [
    ("run 4 (s.yaml, period 2026-03, round W2) cannot be approved: run 3 is already superseded by run 5, and a "
     "scenario has one approved run per period; to replace run 3, batch again with --supersede 3 --reason TEXT "
     "and approve that run",
     "运行 4（s.yaml，周期 2026-03，轮次 W2） 无法批准：运行 3 已被运行 5 取代，而一个方案每个周期只有一个批准的运行；"
     "要替换运行 3，请用 --supersede 3 --reason TEXT 重新 batch 并批准那个运行"),
    ("--supersede 1: that is not the run to replace; s.yaml already has an approved run for period 2026-03, round "
     "W1: run 2, published; to replace it, give --supersede 2 --reason TEXT",
     "--supersede 1: 这不是要替换的运行；s.yaml 在周期 2026-03、轮次 W1 已有批准的运行：运行 2，已发布；"
     "要替换它，请给出 --supersede 2 --reason TEXT"),
    ("l.sqlite: there is no run 9; the latest runs are 8, 7, 6, 5, 4 (of 8); allocator runs --ledger l.sqlite "
     "lists them all",
     "l.sqlite: 没有运行 9；最近的运行是 8, 7, 6, 5, 4（共 8 个）；allocator runs --ledger l.sqlite 可列出全部"),
    ("l.sqlite: there is no run 1: the ledger holds no runs yet", "l.sqlite: 没有运行 1：台账中还没有任何运行"),
    ("l.sqlite: a run ledger of a newer format (3; this allocator knows 2); use a newer allocator",
     "l.sqlite: 更新格式的运行台账（3；此 allocator 只认识 2）；请使用更新版本的 allocator"),
    ("l.sqlite: cannot open the run ledger: Permission denied", "l.sqlite: 无法打开运行台账：Permission denied"),
    ("run 1 (s.yaml, period 2026Q1) cannot be published: its output folder out is not as the run left it:\n"
     "out/manifest.json: seed 8, but the ledger recorded 7",
     "运行 1（s.yaml，周期 2026Q1） 无法发布：其输出文件夹 out 已不是运行结束时的样子：\n"
     "out/manifest.json: 种子为 8，但台账记录的是 7"),
])  # fmt: skip
def test_ledger_messages_no_command_here_reaches(english: str, chinese: str) -> None:
    assert translate(english, "zh") == chinese
    assert translate(english, "en") == english


def test_a_run_folder_changed_since_the_run_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = ("--ledger", "ledger.sqlite")
    assert zh(capsys, "batch", "tiny/scenario.yaml", "--out", "out", *ledger)[0] == 0
    assert zh(capsys, "approve", "1", *ledger, "--by", "zhang")[0] == 0
    manifest_path, quotas = Path("out/manifest.json"), Path("out/quotas.csv")
    recorded = {n: sha256_file(Path("out", n)) for n in ("manifest.json", "quotas.csv")}
    manifest = json.loads(manifest_path.read_text())
    seed = manifest["seed"]
    manifest["seed"] = 8
    manifest["outputs"]["../ledger.sqlite"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    quotas.write_text(quotas.read_text() + "\n")
    Path("out/summary.csv").unlink()
    assert zh(capsys, "publish", "1", *ledger, "--out", "notice") == (2, (
        f"{RUN.format(1)} 无法发布：其输出文件夹 out 已不是运行结束时的样子：\n"
        f"out/manifest.json: sha256 为 {sha256_file(manifest_path)}，但台账记录的是 {recorded['manifest.json']}\n"
        f"out/manifest.json: 种子为 8，但台账记录的是 {seed}\n"
        "out/manifest.json: 列出了 '../ledger.sqlite'，但它不是该文件夹中的文件\n"
        f"out/quotas.csv: sha256 为 {sha256_file(quotas)}，但清单记录的是 {recorded['quotas.csv']}\n"
        f"out/summary.csv: 缺失，但清单记录了它的 sha256 {manifest['outputs']['summary.csv']}\n"
    ))  # fmt: skip
    manifest_path.unlink()
    assert zh(capsys, "publish", "1", *ledger, "--out", "notice") == (
        2, f"{RUN.format(1)} 无法发布：其输出文件夹 out 已不是运行结束时的样子：out/manifest.json 不存在\n"
    )  # fmt: skip
