"""The last English messages in Chinese: a plan sheet's value that is none of its field's, pydantic's
own texts by error type (English kept for a type the catalogue does not list), and an invalid
--lang said in both languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic_core._pydantic_core import list_all_errors

from allocator.cli import main
from allocator.message_catalogue import PYDANTIC
from allocator.messages import translate, usage_error

PEER = Path(__file__).resolve().parents[2] / "scenarios" / "peer-week"
PLANS = """CIG_CODE,CIG_NAME,ADV,DELIVERY_METHOD,DELIVERY_ETYPE,DELIVERY_AREA,HIGHEST_GRADE,LOWEST_GRADE,TAG,BZ
A1,a,12,按档位投放,档位+区县,城区x,D30,D1,,
A2,b,5,按档位投放,档位+市场类型,城网、县网,D30,D1,,
"""


def test_a_value_that_is_none_of_its_fields_in_zh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("tiering.yaml", "allocation.yaml"):
        shutil.copy(PEER / name, tmp_path / name)
    allocation = tmp_path / "allocation.yaml"
    allocation.write_text(allocation.read_text().replace("data/cigarette_distribution_info.xlsx", "plans.csv"))
    (tmp_path / "plans.csv").write_text(PLANS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    found = {}
    for lang in ("zh", "en"):
        assert main(["validate", "tiering.yaml", "allocation.yaml", "--lang", lang]) == 2
        found[lang] = capsys.readouterr().err.splitlines()
    assert found == {
        "zh": ["plans.csv: 第 2 行，列 DELIVERY_AREA: '城区x' 不是 COMPANY_DISTRICT 的取值；是否应为 '城区'？",
               "plans.csv: 第 3 行，列 DELIVERY_AREA: '县网' 不是 MARKET_TYPE 的取值"],
        "en": ["plans.csv: row 2, column DELIVERY_AREA: '城区x' is not a COMPANY_DISTRICT; did you mean '城区'?",
               "plans.csv: row 3, column DELIVERY_AREA: '县网' is not a MARKET_TYPE"],
    }  # fmt: skip


HEAD = "plans.xlsx: row 3, column DELIVERY_METHOD: "
ZH_HEAD = "plans.xlsx: 第 3 行，列 DELIVERY_METHOD: "


@pytest.mark.parametrize(("english", "chinese"), [
    ("per_client.A: Input should be greater than or equal to 0", "per_client.A: 应大于或等于 0"),
    ("max_per_client: Input should be less than or equal to 1000000", "max_per_client: 应小于或等于 1000000"),
    ("max_per_client: Input should be a valid integer, got a number with a fractional part",
     "max_per_client: 应为有效的整数，实际为带小数的数"),
    ("min_per_client: Input should be a valid integer, unable to parse string as an integer",
     "min_per_client: 应为有效的整数，无法把文本解析为整数"),
    ("target: Input should be 'at_most' or 'nearest'", "target: 应为 'at_most' or 'nearest'"),
    ("supply: Field required", "supply: 缺少必需的字段"),
    ("multiplier.0.factor: Input should be greater than 0", "multiplier.0.factor: 应大于 0"),
    ("id: String should have at least 1 character", "id: 文本至少应有 1 个字符"),
    ("name: String should have at most 200 characters", "name: 文本最多只能有 200 个字符"),
    ("segments.values: List should have at least 1 item after validation, not 0",
     "segments.values: List 至少应有 1 项，实际为 0 项"),
    ("rotation: Input should be a valid boolean, unable to interpret input", "rotation: 应为有效的布尔值，无法解读输入"),
    ("per_client: Input should be a valid dictionary", "per_client: 应为有效的映射（键: 值）"),
])  # fmt: skip
def test_pydantic_messages_in_a_plan_sheet_row_in_zh(english: str, chinese: str) -> None:
    assert translate(HEAD + english, "zh") == ZH_HEAD + chinese
    assert translate(HEAD + english, "en") == HEAD + english


def test_a_rule_files_lower_cased_pydantic_message_and_an_unknown_type() -> None:
    assert translate("rules/allocation.yaml:3:5: products[0].x: input should be a valid integer", "zh") == (
        "rules/allocation.yaml:3:5: products[0].x: 应为有效的整数"
    )
    unknown = HEAD + "when: Input tag 'x' found using 'kind' does not match any of the expected tags: 'a'"
    assert translate(unknown, "zh") == unknown  # a type the catalogue does not list: the whole line as it was


def test_the_catalogue_has_pydantics_own_english_for_each_type() -> None:
    """pydantic-core's templates: a newer pydantic that words one otherwise fails here, not silently."""
    templates = {e["type"]: e["message_template_python"] for e in list_all_errors()}
    assert {kind: en for kind, (en, _) in PYDANTIC.items()} == {kind: templates[kind] for kind in PYDANTIC}


def test_an_invalid_lang_is_said_in_both_languages() -> None:
    message = "argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')"
    assert usage_error(message, "fr") == (
        "allocator: error: argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')\n"
        "allocator: 错误：参数 --lang：无效的选择：'fr'（可选 'en', 'zh'）"
    )
    assert usage_error(message, None) == f"allocator: error: {message}"
    assert usage_error("unrecognized arguments: --x", "zh") == "allocator: 错误：无法识别的参数：--x"
    assert usage_error("unrecognized arguments: --x", "en") == "allocator: error: unrecognized arguments: --x"
