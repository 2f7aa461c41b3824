"""Output-folder and lock refusals in Chinese: run, batch and publish with --lang zh driven into
each, the whole of stderr, the folders, files and lock holder carried over as written."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.messages import translate

TINY = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "tiny"
HINT = "；请给 --out 一个新的或空的文件夹，或 allocator 写过的文件夹\n"


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny scenario in a fresh working directory."""
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "tiny"


def zh(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the command with --lang zh: its exit code and the whole of stderr."""
    capsys.readouterr()
    code = main([*argv, "--lang", "zh"])
    return code, capsys.readouterr().err


def test_the_refusals_to_write_the_outputs_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = ("run", "tiny/scenario.yaml", "--out")
    assert zh(capsys, *run, "tiny/clients.csv") == (2, "tiny/clients.csv: 拒绝把输出写到这里：这是文件，不是文件夹\n")
    assert zh(capsys, *run, "/") == (2, "/: 拒绝把输出写到这里：这是文件系统的根目录\n")
    name = "o" * 241
    assert zh(capsys, *run, name) == (2, (
        f"{name}: 拒绝把输出写到这里：文件夹名有 241 字节，超过 200（其临时文件和锁文件需要在文件系统 255 字节的限制内留出余地）\n"
    ))  # fmt: skip
    assert zh(capsys, *run, "tiny") == (2, (
        "tiny: 拒绝用输出替换此文件夹：其中有方案 tiny/scenario.yaml、分档规则文件 tiny/tiering.yaml、"
        "投放规则文件 tiny/allocation.yaml、客户数据 tiny/clients.csv、不是 allocator 写出的文件（allocation.yaml, "
        "clients.csv, scenario.yaml，另有 1 个）" + HINT
    ))  # fmt: skip
    assert zh(capsys, *run, ".") == (2, ".: 拒绝用输出替换此文件夹：它是工作目录；其中有你的主目录、方案 tiny/scenario.yaml、"
        "分档规则文件 tiny/tiering.yaml、投放规则文件 tiny/allocation.yaml、客户数据 tiny/clients.csv、"
        "不是 allocator 写出的文件（tiny）" + HINT)  # fmt: skip
    Path("mine").mkdir()
    for n in range(5):
        (Path("mine") / f"n{n}.txt").write_text("mine")
    assert zh(capsys, *run, "mine") == (2, "mine: 拒绝用输出替换此文件夹：其中有不是 allocator 写出的文件（n0.txt, n1.txt, "
        "n2.txt，另有 2 个）" + HINT)  # fmt: skip


def test_a_busy_output_folder_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fd = os.open(".out.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, b"pid 4242, since 2026-11-28T02:00:00+00:00", 0)
    try:
        assert zh(capsys, "batch", "tiny/scenario.yaml", "--out", "out", "--wait", "0") == (4, (
            "输出文件夹 out 正被另一个 allocator 运行占用（pid 4242, since 2026-11-28T02:00:00+00:00）；已等待 0 秒；"
            "请稍后再试，或给出 --wait SECONDS\n"
        ))  # fmt: skip
    finally:
        os.close(fd)


@pytest.mark.parametrize(("english", "chinese"), [
    ("out: refusing to put the notice there: it is the working directory; it contains the ledger l.sqlite, the "
     "outputs of run 1; give --out a new or empty folder, or one that holds an earlier notice",
     "out: 拒绝把通知放在这里：它是工作目录；其中有台账 l.sqlite、运行 1 的输出；请给 --out 一个新的或空的文件夹，或存有之前通知的文件夹"),
    ("ledger l.sqlite is in use by another allocator run (unknown); waited 2.5 s; try again later or give --wait "
     "SECONDS",
     "台账 l.sqlite 正被另一个 allocator 运行占用（unknown）；已等待 2.5 秒；请稍后再试，或给出 --wait SECONDS"),
    ("out: cannot write the outputs: Permission denied", "out: 无法写出输出：Permission denied"),
    ("s.yaml: variants 'a' and 'A' would share the output folder variants/a; give one of them another name",
     "s.yaml: 方案 'a' 和 'A' 会共用输出文件夹 variants/a；请给其中一个另起名字"),
    ("x: refusing to replace this folder with the outputs: it is somewhere odd; give --out a new or empty folder, "
     "or one that allocator wrote",
     "x: 拒绝用输出替换此文件夹：it is somewhere odd" + HINT.rstrip("\n")),
])  # fmt: skip
def test_folder_messages_in_zh(english: str, chinese: str) -> None:
    assert translate(english, "zh") == chinese
    assert translate(english, "en") == english
