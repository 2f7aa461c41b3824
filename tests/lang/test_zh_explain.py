"""`allocator explain ... --lang zh`: the whole explanation in Chinese (a short supply and its
divisor, a lock, an assignment, tier amounts in segments, a variant and a tie), through the
command line; the JSON the same in both languages; and for every client of the fixtures the zh
text made from the same facts as the English sentence, with no English sentence left in it."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.labels import PHRASES
from allocator.pipeline.run import run_scenario
from allocator.review.explain import explain_client
from allocator.review.explain_sentence import explanation
from allocator.review.explain_text import render_explain

ROOT = Path(__file__).parents[2]
FIXTURES = {"tiny": "tests/cli/fixtures/tiny", "managers": "tests/manual/fixtures/shops",
            "moves": "tests/report/fixtures/moves", "shops": "tests/diff/fixtures/shops",
            "zh": "tests/report/fixtures/zh"}  # fmt: skip


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, folder in FIXTURES.items():
        shutil.copytree(ROOT / folder, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


TINY = """\
客户 c1 · tiny（tiny/scenario.yaml） · 周期 2026Q1 · 随机种子 7
档位序列 shops · 最终档位 A

输入
  volume（数字）：150
  order_p1（订单）：5

定档（第一条匹配的规则决定档位）
  big → 档位 A：匹配
      volume gte 100：150 → 是
  mid → 档位 B：未检验
  由规则 big 定为档位 A

调档（依次进行，不超出档位序列）
  （无调档规则）

升降档限制
  无当前档位（无升降档限制）：保持档位 A

最终档位：A

品规 p1（投放方法 per_tier，取整方法 webster）
  标准量 3，订单量 5（order_p1），max_per_client 3 → 上限 3，应得 3
  货源 8，预留 1，可投放 7
  投放量 2：货源不足（可投放 7，应得 9）：各档位标准量除以同一个除数 λ，再按 webster 取整（λ 取 1.33333 到 2
    之间任意值都能得出该品规的全部投放量）：3 / λ ≈ 1.8 取整为 2 → 投放量 2，为应得量 3 的 66.7%
"""


S02 = """\
客户 S02 · shops with managers（managers/scenario.yaml） · 周期 2026W10 · 随机种子 11
档位序列 shops · 最终档位 A

输入
  volume（数字）：130
  market（分类）：城网
  licensed（分类）："yes"
  order_zh（订单）：5
  order_yx（订单）：4

定档（第一条匹配的规则决定档位）
  big → 档位 A：匹配
      volume gte 100：130 → 是
  mid → 档位 B：未检验
  small → 档位 C：未检验
  由规则 big 定为档位 A

调档（依次进行，不超出档位序列）
  （无调档规则）

升降档限制
  无当前档位（无升降档限制）：保持档位 A

最终档位：A

品规 zhonghua-soft（投放方法 per_tier，取整方法 webster）
  标准量 5，订单量 5（order_zh） → 上限 5，锁定为 2
  准入规则 licensed-only：不匹配
      licensed eq "no"："yes" → 否
  货源 40，预留 10，锁定 2，可投放 28
  投放量 2：由 wang 锁定为 2（complaint: over-allocated last
    week；managers/locks.csv：第 2 行，列 quota） → 投放量 2

品规 yuxi（投放方法 tier_amounts，取整方法 webster）
  订单量 4（order_yx） → 上限 4，应得 3
  货源 30，预留 6，退回 5，锁定 1，可投放 28
  投放量 3：该档（区域 城网）每户同一投放量：3，上限 4 → 投放量 3，为应得量 3 的 100.0%
"""


S08 = """\
客户 S08 · shops with managers（managers/scenario.yaml） · 周期 2026W10 · 随机种子 11
档位序列 shops · 最终档位 C

输入
  volume（数字）：40
  market（分类）：农网
  licensed（分类）："yes"
  order_zh（订单）：2
  order_yx（订单）：2

定档（第一条匹配的规则决定档位）
  big → 档位 A：不匹配
      volume gte 100：40 → 否
  mid → 档位 B：不匹配
      volume gte 50：40 → 否
  small → 档位 C：匹配
      volume gte 0：40 → 是
  由规则 small 定为档位 C

调档（依次进行，不超出档位序列）
  （无调档规则）

升降档限制
  无当前档位（无升降档限制）：保持档位 C

最终档位：C

品规 zhonghua-soft（投放方法 per_tier，取整方法 webster）
  标准量 1，订单量 2（order_zh） → 上限 0（扣除已分配的 2），应得 0
  准入规则 licensed-only：不匹配
      licensed eq "no"："yes" → 否
  货源 40，预留 10，锁定 2，可投放 28
  投放量 2：无应得量（其上限为 0） → 投放量 0；另加 li 分配 2（complaint
    2026-03-02；managers/assignments.csv：第 3 行，列 units） → 投放量 2

品规 yuxi（投放方法 tier_amounts，取整方法 webster）
  订单量 2（order_yx） → 上限 2，应得 2
  货源 30，预留 6，退回 5，锁定 1，可投放 28
  投放量 2：该档（区域 农网）每户同一投放量：2，上限 2 → 投放量 2，为应得量 2 的 100.0%
"""


C6 = """\
客户 c6 · moves（moves/scenario.yaml） · 周期 2026Q2 · 随机种子 11 · 方案 lower bar
档位序列 shops · 最终档位 B

输入
  volume（数字）：5
  current_tier（档位）：空
  order_p1（订单）：3

定档（第一条匹配的规则决定档位）
  big → 档位 A：不匹配
      volume gte 100：5 → 否
  mid → 档位 B：匹配
      volume gte 5：5 → 是
  由规则 mid 定为档位 B

调档（依次进行，不超出档位序列）
  （无调档规则）

升降档限制
  无当前档位（max_up 1，max_down 2）：保持档位 B

最终档位：B

品规 p1（投放方法 per_tier，取整方法 webster）
  标准量 2，订单量 3（order_p1） → 上限 3，应得 2
  货源 8，可投放 8
  投放量 2：货源不足（可投放 8，应得 10）：各档位标准量除以同一个除数 λ，再按 webster 取整（λ =
    1.33333，是唯一能得出该品规全部投放量的除数）：2 / λ = 1.5 恰在 1 与 2 的分界上，由带种子的决胜键决定 →
    投放量 2，为应得量 2 的 100.0%
"""


@pytest.mark.parametrize(("argv", "text"), [
    (["c1", "tiny/scenario.yaml"], TINY),
    (["S02", "managers/scenario.yaml"], S02),
    (["S08", "managers/scenario.yaml"], S08),
    (["c6", "moves/scenario.yaml", "--variant", "lower bar"], C6),
])  # fmt: skip
def test_explain_in_zh(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str], text: str) -> None:
    assert main(["explain", *argv, "--lang", "zh"]) == 0
    assert capsys.readouterr() == (text, "")


def test_a_zh_scenario_explains_in_zh_and_lang_en_wins(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Path("tiny/scenario.yaml")
    scenario.write_text(scenario.read_text(encoding="utf-8") + "lang: zh\n", encoding="utf-8")
    assert main(["explain", "c1", "tiny/scenario.yaml"]) == 0
    assert capsys.readouterr().out == TINY
    assert main(["explain", "c1", "tiny/scenario.yaml", "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "Client c1 · tiny (tiny/scenario.yaml) · period 2026Q1 · seed 7", "ladder shops · final tier A",
    ]  # fmt: skip


def test_the_json_is_the_same_in_both_languages(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "S08", "managers/scenario.yaml", "--json", "--lang", "zh"]) == 0
    zh = capsys.readouterr().out
    assert main(["explain", "S08", "managers/scenario.yaml", "--json"]) == 0
    assert zh == capsys.readouterr().out
    assert json.loads(zh)["products"][0]["explanation"] == (
        "nothing to claim (its cap is 0) → quota 0; plus 2 assigned by li (complaint 2026-03-02; "
        "managers/assignments.csv: row 3, column units) → quota 2"
    )


# the English words of the catalogue's phrases (each phrase's longest run of words between its
# fields, three words or more): none may be left in the Chinese text
SENTENCES = {max(re.split(r"\{\w+\}", en), key=len).strip(" (),:;") for en in PHRASES}
SENTENCES = {words for words in SENTENCES if len(words.split()) >= 3}


def test_every_client_of_the_fixtures_in_zh(here: Path) -> None:
    """Each product's zh sentence is made from the facts its English sentence was (explanation(p,
    "en") is the JSON's sentence), and the zh text keeps no English sentence of the catalogue."""
    explained = in_english = 0
    for name in FIXTURES:
        os.chdir(here / name)
        result = run_scenario(Path("scenario.yaml"))
        for client in result.clients["client_id"].to_list():
            for variant in [None, *(v.name for v in result.variants[1:])]:
                data = explain_client(client, result, variant)
                assert [explanation(p, "en") for p in data["products"]] == [
                    p["explanation"] for p in data["products"]
                ]
                text = render_explain(data, "zh")
                assert sorted(words for words in SENTENCES if words in text) == [], (name, client, variant)
                in_english += sum(words in render_explain(data) for words in SENTENCES)
                explained += 1
    assert (explained, in_english) == (220, 2161)  # the English text has them: the check bites
