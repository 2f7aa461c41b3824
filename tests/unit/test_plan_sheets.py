"""The weekly plan as a table (allocator/inputs/plan_sheets.py), on the real week's 86 plans and on
every messy form and error a plan sheet can hold.

The real sheet is scenarios/peer-week/data/cigarette_distribution_info.xlsx (from the open-source
peer Robin-Jason/CigaretteDistributionSystem, commit da395662, unchanged); it is read with
openpyxl here, cells as text the way the xlsx reader gives them, so that these tests do not
depend on that reader.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from allocator.errors import SheetError
from allocator.inputs import plan_sheets
from allocator.inputs.models import FieldSpec, Plans
from allocator.inputs.plan_sheets import NotAllocated, PlanProducts, plan_products, read_plan_sheet
from allocator.inputs.sheets import SheetTable

SHEET = Path(__file__).resolve().parents[2] / "scenarios/peer-week/data/cigarette_distribution_info.xlsx"
NAME = "cigarette_distribution_info.xlsx"

DISTRICTS = {
    "城区": "城区烟草专卖局(营销部)",
    "丹江": "丹江口市烟草专卖局(营销部)",
    "房县": "房县烟草专卖局(营销部)",
    "郧阳": "郧阳区烟草专卖局(营销部)",
    "竹山": "竹山县烟草专卖局(营销部)",
    "郧西": "郧西县烟草专卖局(营销部)",
    "竹溪": "竹溪县烟草专卖局(营销部)",
}
URBAN_RURAL = ["主城区", "城乡结合区", "镇中心区", "镇乡结合区", "特殊区域", "乡中心区", "村庄"]
FORMATS = ["便利店", "超市", "商场", "烟草专业店", "娱乐服务类", "其他"]
FIELDS = {
    "district": FieldSpec(type="category", values=list(DISTRICTS.values())),
    "market_type": FieldSpec(type="category", values=["城网", "农网"]),
    "urban_rural": FieldSpec(type="category", values=URBAN_RURAL),
    "retail_format": FieldSpec(type="category", values=FORMATS),
}
LADDERS = {"city": [f"D{i}" for i in range(30, 0, -1)]}
TWO_WEEKS = [
    "单周周一",
    "单周周二",
    "单周周三",
    "单周周四",
    "单周周五",
    "双周周一",
    "双周周二",
    "双周周三",
    "双周周四",
    "双周周五",
]
DOUBLE = {"id": "two-week-double", "when": {"order_cycle": {"in": TWO_WEEKS}}, "factor": 2}
QUALITY = {"id": "quality-data-share", "when": {"优质客户": {"ne": "是"}}, "exclude": True}
TIERS = {"policy": "tier_amounts", "target": "nearest"}
WINDOW = {"highest": "D30", "lowest": "D1"}
COLUMNS = {
    "id": "CIG_CODE",
    "name": "CIG_NAME",
    "supply": "ADV",
    "method": "DELIVERY_METHOD",
    "segment_by": "DELIVERY_ETYPE",
    "values": "DELIVERY_AREA",
    "highest": "HIGHEST_GRADE",
    "lowest": "LOWEST_GRADE",
    "tag": "TAG",
    "remark": "BZ",
}
PLANS: dict[str, Any] = {
    "file": "data/cigarette_distribution_info.xlsx",
    "columns": COLUMNS,
    # 按档位统一投放 is the same method; 按档位拓展投放 is the sheet's one misspelling of 扩展
    "methods": {m: TIERS for m in ("按档位投放", "按档位统一投放", "按档位扩展投放", "按档位拓展投放")},
    "segment_fields": {
        "档位+区县": ["district"],
        "档位+市场类型": ["market_type"],
        "档位+城乡分类代码": ["urban_rural"],
        "档位+业态": ["retail_format"],
        "档位+区县+市场类型": ["district", "market_type"],
    },
    "aliases": {"district": DISTRICTS},
    "weights": {"market_type": {"城网": 4, "农网": 6}},
    "remarks": {"两周一访上浮100%": [DOUBLE]},
    "tags": {"优质数据共享客户": [QUALITY]},
}


def _plans(**changes: Any) -> Plans:
    return Plans.model_validate({**PLANS, **changes})


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@functools.cache
def _real() -> SheetTable:
    book = openpyxl.load_workbook(SHEET, read_only=True, data_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    return SheetTable(
        NAME, [_text(c) for c in rows[0]], [(n, [_text(c) for c in r]) for n, r in enumerate(rows[1:], 2)]
    )


def _edited(table: SheetTable, row: int, **cells: str) -> SheetTable:
    """The table with some cells of one row replaced."""
    rows = []
    for n, values in table.rows:
        if n == row:
            values = list(values)
            for name, text in cells.items():
                values[table.header.index(name)] = text
        rows.append((n, values))
    return SheetTable(table.display, table.header, rows)


def _sheet(*rows: dict[str, str]) -> SheetTable:
    """A plan sheet with the columns of PLANS and these rows (row 2 on): a city-wide plan unless told."""
    base = {
        "CIG_CODE": "42020012",
        "CIG_NAME": "黄鹤楼(软珍品)",
        "ADV": "8407",
        "DELIVERY_METHOD": "按档位投放",
        "DELIVERY_ETYPE": "NULL",
        "DELIVERY_AREA": "全市",
        "HIGHEST_GRADE": "D30",
        "LOWEST_GRADE": "D1",
        "TAG": "",
        "BZ": "",
    }
    header = list(base)
    return SheetTable("plans.csv", header, [(n, [{**base, **r}[h] for h in header]) for n, r in enumerate(rows, 2)])


def _run(table: SheetTable, plans: Plans | None = None, ladders: Any = None) -> PlanProducts:
    return plan_products(plans or _plans(), table, FIELDS, ladders=LADDERS if ladders is None else ladders)


def _problems(*rows: dict[str, str], plans: Plans | None = None) -> list[str]:
    result = _run(_sheet(*rows), plans)
    assert result.products == []
    return result.problems


def _segments(area: str, kind: str = "档位+区县") -> Any:
    result = _run(_sheet({"DELIVERY_ETYPE": kind, "DELIVERY_AREA": area}))
    assert result.problems == []
    return result.products[0].get("segments")


def _product(row: int, **extra: Any) -> dict[str, Any]:
    """The product of a real row as expected, before its own keys (extra)."""
    cells = dict(zip(_real().header, dict(_real().rows)[row], strict=True))
    return {
        **TIERS,
        "id": cells["CIG_CODE"],
        "name": cells["CIG_NAME"],
        "supply": int(cells["ADV"]),
        "window": WINDOW,
        **extra,
    }


# --- the real week -------------------------------------------------------------------------------


def test_the_copied_sheet_is_the_peers_file_unchanged() -> None:
    digest = hashlib.sha256(SHEET.read_bytes()).hexdigest()
    assert digest == "f7b516e5c74265d45839487b456cef41a025123e6f86f9bbd4ad1a48b6616a1e"
    assert len(_real().rows) == 86


@functools.cache
def _week() -> PlanProducts:
    return _run(_real())


def _by_id() -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in _week().products}


def test_a_city_wide_plan() -> None:  # row 6: 按档位投放, DELIVERY_ETYPE NULL, 全市
    assert _by_id()["42020012"] == {
        "policy": "tier_amounts",
        "target": "nearest",
        "id": "42020012",
        "name": "黄鹤楼(软珍品)",
        "supply": 8407,
        "window": {"highest": "D30", "lowest": "D1"},
    }
    # row 29: DELIVERY_ETYPE empty rather than NULL, the same city-wide plan
    assert _by_id()["41010085"] == _product(29)


def test_a_district_list_by_short_names() -> None:  # row 26: 城区，丹江
    segments = {"by": ["district"], "values": ["城区烟草专卖局(营销部)", "丹江口市烟草专卖局(营销部)"]}
    assert _by_id()["33010004"] == _product(26, segments=segments)
    assert _by_id()["33010004"]["name"] == "利群(长嘴)"


def test_urban_rural_classes_separated_by_dashes_commas_and_full_stops() -> None:
    # row 2: 城乡结合区--镇中心区，镇乡结合区; row 3: 镇中心区，镇乡结合区，特殊区域.乡中心区.村庄
    assert _by_id()["35300080"] == _product(
        2, segments={"by": ["urban_rural"], "values": ["城乡结合区", "镇中心区", "镇乡结合区"]}
    )
    values = ["镇中心区", "镇乡结合区", "特殊区域", "乡中心区", "村庄"]
    assert _by_id()["42010114"] == _product(3, segments={"by": ["urban_rural"], "values": values})


def test_a_retail_format_list() -> None:  # row 4: 商场.超市.烟草专业店
    segments = {"by": ["retail_format"], "values": ["商场", "超市", "烟草专业店"]}
    assert _by_id()["43010054"] == _product(4, segments=segments)


def test_both_market_types_split_four_to_six_and_one_alone_unweighted() -> None:
    segments = {"by": ["market_type"], "values": ["城网", "农网"], "weights": {"城网": 4, "农网": 6}}
    assert _by_id()["37570027"] == _product(28, segments=segments)  # 城网，农网
    assert _by_id()["44020006"] == _product(32, segments={"by": ["market_type"], "values": ["农网"]})


def test_district_by_market_type_with_mixed_separators_and_full_width_parentheses() -> None:
    # row 50: 丹江（城网）、丹江（农网）、房县（城网），房县（农网）,郧西（城网）,... (、 ， and ,)
    values = [[DISTRICTS[d], m] for d in ("丹江", "房县", "郧西", "郧阳", "竹山", "竹溪") for m in ("城网", "农网")]
    segments = {"by": ["district", "market_type"], "values": values, "weights": {"城网": 4, "农网": 6}}
    assert _by_id()["42010020"] == _product(50, segments=segments)


def test_the_remark_row_doubles_two_week_shops() -> None:  # row 48: 两周一访上浮100%；
    assert _by_id()["42020001"] == _product(48, multiplier=[DOUBLE])


def test_the_tagged_row_gets_the_tags_eligibility_rule() -> None:  # row 49: 优质数据共享客户
    assert _by_id()["42021111"] == _product(49, eligible=[QUALITY])


ALLOCATED = [  # (row, code, supply) of the 49 tier-based plans of the week
    (2, "35300080", 2683), (3, "42010114", 15793), (4, "43010054", 470), (5, "42020129", 4183),
    (6, "42020012", 8407), (7, "42020013", 33093), (8, "42020180", 1643), (9, "42020117", 46218),
    (10, "42020121", 91667), (11, "42020141", 42178), (12, "42020005", 67551), (13, "42020154", 6851),
    (14, "42020186", 612), (15, "42020009", 41561), (16, "42020128", 9211), (17, "42020067", 36667),
    (18, "13070059", 1467), (19, "13070011", 14073), (20, "13070067", 1376), (21, "31020030", 2249),
    (22, "31020002", 161708), (23, "32010024", 1526), (24, "32310010", 646), (25, "33010054", 1586),
    (26, "33010004", 4257), (27, "36010067", 14767), (28, "37570027", 20689), (29, "41010085", 18560),
    (30, "41010064", 41459), (31, "43500068", 397), (32, "44020006", 2552), (33, "50100001", 187970),
    (34, "51010109", 71429), (35, "51010104", 125000), (36, "51010126", 798), (37, "51010107", 92593),
    (38, "51010014", 49271), (39, "51010101", 195313), (40, "51530021", 101626), (41, "52090050", 20429),
    (42, "53010083", 77280), (43, "53210069", 48387), (44, "61020037", 16722), (45, "61020034", 201613),
    (46, "62010007", 11367), (47, "35300880", 5133), (48, "42020001", 69892), (49, "42021111", 115575),
    (50, "42010020", 51230),
]  # fmt: skip
PRICE_BANDS = [  # (row, code, name) of the 37 price-band self-selection plans (按价位段自选投放)
    (51, "31020004", "中华(软)"), (52, "32010019", "南京(雨花石)"), (53, "41010031", "黄金叶(天香细支)"),
    (54, "34010123", "黄山(徽商新概念细支)"), (55, "42020162", "黄鹤楼(金典中支)"), (56, "42020172", "黄鹤楼(视窗)"),
    (57, "52090059", "贵烟(红中支)"), (58, "43500061", "芙蓉王(硬中支)"), (59, "33010072", "利群(山外山)"),
    (60, "32010018", "南京(十二钗烤烟)"), (61, "51010111", "娇子(宽窄好运细支)"), (62, "34010097", "黄山(金皖烟)"),
    (63, "45020020", "真龙(起源)"), (64, "53010014", "云烟(软珍品)"), (65, "32010020", "南京(十二钗薄荷)"),
    (66, "35330008", "万宝路(硬金3.0)"), (67, "43500001", "芙蓉王(硬)"), (68, "35300088", "七匹狼(银中支)"),
    (69, "50100013", "天子(中支)"), (70, "53220002", "玉溪(软)"), (71, "44020074", "双喜(勿忘我)"),
    (72, "44020069", "双喜(百年经典)"), (73, "37570066", "泰山(颜悦)"), (74, "41010082", "黄金叶(乐途硬)"),
    (75, "33010058", "利群(软蓝)"), (76, "42020163", "黄鹤楼(硬蓝)"), (77, "44020014", "双喜(硬经典1906)"),
    (78, "61020007", "好猫(细支长乐)"), (79, "20160003", "人民大会堂(硬红细支)"), (80, "44020056", "双喜(硬金五叶神)"),
    (81, "52090025", "贵烟(硬黄精品)"), (82, "36010058", "金圣(滕王阁·紫光)"), (83, "34010065", "黄山(新制皖烟)"),
    (84, "51010108", "娇子(宽窄逍遥)"), (85, "53010048", "云烟(软大重九)"), (86, "41010078", "黄金叶(天叶细支)"),
    (87, "12010001", "冬虫夏草(和润)"),
]  # fmt: skip
PRICE_BAND = "按价位段自选投放"
NO_METHOD = f"method '{PRICE_BAND}' is not in plans.methods"


def test_the_week_allocates_49_plans_and_lists_the_37_price_band_plans_as_not_allocated() -> None:
    week = _week()
    assert week.problems == []
    assert [(p["id"], p["supply"]) for p in week.products] == [(code, supply) for _, code, supply in ALLOCATED]
    assert week.not_allocated == [NotAllocated(r, code, name, PRICE_BAND, NO_METHOD) for r, code, name in PRICE_BANDS]
    assert len(week.products) + len(week.not_allocated) == 86


def test_without_tags_remarks_or_the_misspelt_method_those_rows_are_listed_too() -> None:
    methods = {m: TIERS for m in ("按档位投放", "按档位统一投放", "按档位扩展投放")}
    week = _run(_real(), _plans(methods=methods, tags={}, remarks={}))
    assert week.problems == []
    assert len(week.products) == 46
    listed = [NotAllocated(r, code, name, PRICE_BAND, NO_METHOD) for r, code, name in PRICE_BANDS[:-1]]
    assert week.not_allocated == [
        NotAllocated(
            20, "13070067", "钻石(玫瑰二代)", "按档位拓展投放", "method '按档位拓展投放' is not in plans.methods"
        ),
        NotAllocated(
            48,
            "42020001",
            "黄鹤楼(软蓝)",
            "按档位投放",
            "remark '两周一访上浮100%' is not in plans.remarks (a remark may change amounts)",
        ),
        NotAllocated(49, "42021111", "黄楼(蓝)", "按档位投放", "tag '优质数据共享客户' is not in plans.tags"),
        *listed,
        NotAllocated(
            87, "12010001", "冬虫夏草(和润)", PRICE_BAND, f"{NO_METHOD}; tag '优质数据共享客户' is not in plans.tags"
        ),
    ]


def test_a_remark_that_changes_nothing_is_said_so_in_the_yaml() -> None:
    week = _run(_real(), _plans(remarks={"两周一访上浮100%；": []}))  # the key is trimmed the same way
    assert week.problems == []
    assert {p["id"]: p for p in week.products}["42020001"] == _product(48)  # allocated, no multiplier


def test_the_xlsx_reader_and_a_csv_copy_give_the_same_plans(tmp_path: Path) -> None:
    assert read_plan_sheet(SHEET, NAME, None) == _real()
    path = tmp_path / "plans.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([_real().header, *(cells for _, cells in _real().rows)])
    table = read_plan_sheet(path, "plans.csv", None)
    assert table == SheetTable("plans.csv", _real().header, _real().rows)


# --- messy forms that parse ------------------------------------------------------------------------


D = DISTRICTS


@pytest.mark.parametrize(
    "area",
    [
        "城区，丹江",
        "城区 ， 丹江",  # spaces around a separator
        "城区，，丹江",  # a run of separators
        "城区,.丹江",
        "，城区、丹江。",  # separators before and after
        "城区---丹江",  # three dashes
        "城区--丹江",
        "城区；丹江",
        "城区;丹江",
        "城区．丹江",  # a full-width full stop
        "\u3000城区\u3000、丹江",  # ideographic spaces
    ],
)
def test_area_lists_in_every_separator(area: str) -> None:
    assert _segments(area) == {"by": ["district"], "values": [D["城区"], D["丹江"]]}


def test_names_long_or_short_in_full_width_or_half_width_parentheses() -> None:
    area = "城区烟草专卖局（营销部）、丹江口市烟草专卖局(营销部)，房县"
    assert _segments(area) == {"by": ["district"], "values": [D["城区"], D["丹江"], D["房县"]]}


@pytest.mark.parametrize(
    "area",
    [
        "丹江（城网）、房县(农网)",
        "丹江(城网），房县（农网)",  # mixed parentheses
        "丹江 （ 城网 ） , 房县（农网）",
        "丹江口市烟草专卖局(营销部)（城网）、房县烟草专卖局（营销部）(农网)",  # long names, their own parentheses
    ],
)
def test_district_by_market_type_items(area: str) -> None:
    values = [[D["丹江"], "城网"], [D["房县"], "农网"]]
    segments = {"by": ["district", "market_type"], "values": values, "weights": {"城网": 4, "农网": 6}}
    assert _segments(area, "档位+区县+市场类型") == segments


def test_a_parenthesis_may_list_several_values() -> None:
    values = [[D["丹江"], "城网"], [D["丹江"], "农网"], [D["房县"], "农网"]]
    segments = {"by": ["district", "market_type"], "values": values, "weights": {"城网": 4, "农网": 6}}
    assert _segments("丹江（城网、农网），房县（农网）", "档位+区县+市场类型") == segments
    assert _segments("丹江（城网）、房县（城网）", "档位+区县+市场类型") == {
        "by": ["district", "market_type"],
        "values": [[D["丹江"], "城网"], [D["房县"], "城网"]],  # one market type: no weights
    }


def test_segment_kinds_compare_without_spaces_and_with_full_width_plus() -> None:
    assert _segments("城区", " 档位＋区县 ") == {"by": ["district"], "values": [D["城区"]]}


def test_city_wide_forms() -> None:
    for kind, area in [("NULL", "全市"), ("", "全市"), ("null", ""), ("", ""), ("档位+区县", "全市"), ("", "全市，")]:
        assert _segments(area, kind) is None, (kind, area)
    plans = _plans(columns={k: v for k, v in COLUMNS.items() if k not in ("segment_by", "values")})
    assert _run(_sheet({"DELIVERY_AREA": "城区"}), plans).products == [
        {**TIERS, "id": "42020012", "name": "黄鹤楼(软珍品)", "supply": 8407, "window": WINDOW}
    ]


def test_a_field_without_declared_values_takes_any_name_after_its_aliases() -> None:
    result = plan_products(
        _plans(), _sheet({"DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "城区,新区"}), {}, ladders=LADDERS
    )
    assert result.problems == []
    assert result.products[0]["segments"] == {"by": ["district"], "values": [D["城区"], "新区"]}


def test_numbers_and_codes_as_a_spreadsheet_stores_them() -> None:
    for adv in ("2683", " 2683 ", "2683.0", "02683", "+2683", "2683."):
        product = _run(_sheet({"ADV": adv, "CIG_CODE": "35300080.0"})).products[0]
        assert (product["id"], product["supply"]) == ("35300080", 2683), adv
    assert _run(_sheet({"ADV": "0"})).products[0]["supply"] == 0


def test_remarks_and_tags_compare_trimmed() -> None:
    for remark in ("两周一访上浮100%", " 两周一访上浮100% ；", "两周一访上浮100%;；"):
        assert _run(_sheet({"BZ": remark})).products[0]["multiplier"] == [DOUBLE], remark
    assert _run(_sheet({"TAG": " 优质数据共享客户 "})).products[0]["eligible"] == [QUALITY]


def test_the_methods_own_rules_come_first_and_the_rows_keys_win() -> None:
    own = {"id": "own", "when": {"credit": "AA"}, "exclude": True}
    settings = {**TIERS, "supply": 1, "eligible": [own], "max_per_client": 5}
    result = _run(_sheet({"TAG": "优质数据共享客户"}), _plans(methods={"按档位投放": settings}))
    assert result.products == [
        {**TIERS, "id": "42020012", "name": "黄鹤楼(软珍品)", "supply": 8407, "window": WINDOW,
         "eligible": [own, QUALITY], "max_per_client": 5}
    ]  # fmt: skip
    assert settings["eligible"] == [own]  # the settings are copied, never changed


def test_no_grade_columns_means_no_window_and_empty_names_are_left_out() -> None:
    result = _run(_sheet({"HIGHEST_GRADE": "", "LOWEST_GRADE": "NULL", "CIG_NAME": ""}))
    assert result.products == [{**TIERS, "id": "42020012", "supply": 8407}]


# --- problems -------------------------------------------------------------------------------------


def test_an_unknown_district_with_a_suggestion() -> None:
    table = _edited(_real(), 17, DELIVERY_ETYPE="档位+区县", DELIVERY_AREA="城区，丹江口、竹西")
    result = _run(table)
    assert result.problems == [
        "cigarette_distribution_info.xlsx: row 17, column DELIVERY_AREA: '丹江口' is not a district; did you mean '丹江'?",
        # two characters with one in common are not close enough for a suggestion (difflib's 0.6)
        "cigarette_distribution_info.xlsx: row 17, column DELIVERY_AREA: '竹西' is not a district",
    ]
    assert "42020067" not in {p["id"] for p in result.products}
    assert len(result.products) == 48


def test_every_problem_of_every_row_at_once_sorted_by_row() -> None:
    table = _edited(_real(), 30, ADV="41459.5", HIGHEST_GRADE="D31")
    table = _edited(table, 3, DELIVERY_AREA="镇中心区，镇乡结合")
    table = _edited(table, 9, CIG_CODE="42020013")
    assert _run(table).problems == [
        "cigarette_distribution_info.xlsx: row 3, column DELIVERY_AREA: '镇乡结合' is not a urban_rural; did you mean '镇乡结合区'?",
        "cigarette_distribution_info.xlsx: row 9, column CIG_CODE: duplicate code '42020013' (first in row 7)",
        "cigarette_distribution_info.xlsx: row 30, column ADV: '41459.5' is not a whole number of cartons >= 0",
        "cigarette_distribution_info.xlsx: row 30, column HIGHEST_GRADE: 'D31' is not a tier; did you mean 'D3'?",
    ]


def test_missing_and_repeated_columns() -> None:
    header = ["CIG_CODE", "CIG_NAME", "ADV", "DELIVRY_METHOD", "DELIVERY_AREA", "ADV", "TAG", "BZ", "X", "Y"]
    table = SheetTable("plans.csv", header, [(2, ["1"] * 10)])
    assert plan_products(_plans(), table, FIELDS, ladders=LADDERS) == PlanProducts(
        [],
        [],
        [
            "plans.csv: row 1: column 'ADV' appears 2 times (columns 3 and 6); rename all but one",
            "plans.csv: row 1: missing column 'DELIVERY_METHOD' (plans.columns.method); did you mean 'DELIVRY_METHOD'?",
            "plans.csv: row 1: missing column 'DELIVERY_ETYPE' (plans.columns.segment_by)",
            "plans.csv: row 1: missing column 'HIGHEST_GRADE' (plans.columns.highest)",
            "plans.csv: row 1: missing column 'LOWEST_GRADE' (plans.columns.lowest)",
        ],
    )


def test_codes() -> None:
    assert _run(_sheet({"CIG_CODE": ""}, {"CIG_CODE": "NULL"}, {"CIG_CODE": "7"}, {"CIG_CODE": "7.0"})).problems == [
        "plans.csv: row 2, column CIG_CODE: empty; every plan needs a code",
        "plans.csv: row 3, column CIG_CODE: empty; every plan needs a code",
        "plans.csv: row 5, column CIG_CODE: duplicate code '7' (first in row 4)",
    ]


def test_a_duplicate_code_among_rows_not_allocated_is_a_problem_too() -> None:
    result = _run(_sheet({"CIG_CODE": "1"}, {"CIG_CODE": "1", "DELIVERY_METHOD": PRICE_BAND}))
    assert result.problems == ["plans.csv: row 3, column CIG_CODE: duplicate code '1' (first in row 2)"]
    assert result.not_allocated == [NotAllocated(3, "1", "黄鹤楼(软珍品)", PRICE_BAND, NO_METHOD)]


def test_supply() -> None:
    rows = [
        {"CIG_CODE": str(i), "ADV": adv}
        for i, adv in enumerate(["", "26.5", "-3", "2,683", "1e3", "１２", "1000000000001", "9" * 5000])
    ]
    assert _problems(*rows) == [
        "plans.csv: row 2, column ADV: empty; every plan needs a supply (cartons)",
        "plans.csv: row 3, column ADV: '26.5' is not a whole number of cartons >= 0",
        "plans.csv: row 4, column ADV: '-3' is not a whole number of cartons >= 0",
        "plans.csv: row 5, column ADV: '2,683' is not a whole number of cartons >= 0",
        "plans.csv: row 6, column ADV: '1e3' is not a whole number of cartons >= 0",
        "plans.csv: row 7, column ADV: '１２' is not a whole number of cartons >= 0",
        "plans.csv: row 8, column ADV: '1000000000001' is more than the largest supply, 1000000000000",
        f"plans.csv: row 9, column ADV: '{'9' * 40}…' is more than the largest supply, 1000000000000",
    ]


def test_grades() -> None:
    rows = [
        {"CIG_CODE": "1", "HIGHEST_GRADE": "d30"},
        {"CIG_CODE": "2", "LOWEST_GRADE": ""},
        {"CIG_CODE": "3", "HIGHEST_GRADE": "D1", "LOWEST_GRADE": "D30"},
        {"CIG_CODE": "4", "HIGHEST_GRADE": "一档"},
    ]
    assert _problems(*rows) == [
        "plans.csv: row 2, column HIGHEST_GRADE: 'd30' is not a tier; did you mean 'D30'?",
        "plans.csv: row 3, column LOWEST_GRADE: empty, but HIGHEST_GRADE is 'D30'; give both grades or neither",
        "plans.csv: row 4, column HIGHEST_GRADE: 'D1' is below the lowest grade 'D30'",
        "plans.csv: row 5, column HIGHEST_GRADE: '一档' is not a tier",
    ]


def test_grades_on_two_ladders() -> None:
    ladders = {"city": ["A", "B", "C"], "village": ["B", "C"]}
    rows = [
        {"CIG_CODE": "1", "HIGHEST_GRADE": "A", "LOWEST_GRADE": "C"},
        {"CIG_CODE": "2", "HIGHEST_GRADE": "C", "LOWEST_GRADE": "B"},
    ]
    assert _run(_sheet(*rows), ladders=ladders).problems == [
        "plans.csv: row 2, column HIGHEST_GRADE: 'A' is not a tier of ladder 'village'",
        "plans.csv: row 3, column HIGHEST_GRADE: 'C' is below the lowest grade 'B' on ladder 'city'",
    ]


def test_segment_kinds_and_areas() -> None:
    rows = [
        {"CIG_CODE": "1", "DELIVERY_ETYPE": "档位+区域", "DELIVERY_AREA": "城区"},
        {"CIG_CODE": "2", "DELIVERY_ETYPE": "NULL", "DELIVERY_AREA": "城区，丹江"},
        {"CIG_CODE": "3", "DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": ""},
        {"CIG_CODE": "4", "DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "全市，城区"},
        {"CIG_CODE": "5", "DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "，、"},
    ]
    kinds = "档位+区县, 档位+市场类型, 档位+城乡分类代码, 档位+业态, 档位+区县+市场类型"
    assert _problems(*rows) == [
        "plans.csv: row 2, column DELIVERY_ETYPE: '档位+区域' is not a segment kind of plans.segment_fields; did you mean '档位+区县'?",
        f"plans.csv: row 3, column DELIVERY_AREA: '城区，丹江' chooses segments, but DELIVERY_ETYPE names no segment kind ({kinds}); name one there, or write 全市 here",
        "plans.csv: row 4, column DELIVERY_AREA: empty; choose the segments of 档位+区县 or write 全市",
        "plans.csv: row 5, column DELIVERY_AREA: '全市' means every client; it cannot be listed with other values",
        "plans.csv: row 6, column DELIVERY_AREA: empty; choose the segments of 档位+区县 or write 全市",
    ]


def test_parentheses() -> None:
    kind = "档位+区县+市场类型"
    rows = [
        {"CIG_CODE": "1", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "丹江（城网、房县（农网）"},
        {"CIG_CODE": "2", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "丹江城网）"},
        {"CIG_CODE": "3", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "丹江，房县（农网）"},
        {"CIG_CODE": "4", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "丹江（）"},
        {"CIG_CODE": "5", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "（城网）"},
        {"CIG_CODE": "6", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "丹江（城）"},
    ]
    assert _problems(*rows) == [
        "plans.csv: row 2, column DELIVERY_AREA: '丹江（城网、房县（农网）' has a parenthesis that is never closed",
        "plans.csv: row 3, column DELIVERY_AREA: '丹江城网）' has a '）' that closes no parenthesis",
        "plans.csv: row 4, column DELIVERY_AREA: '丹江' needs its market_type in parentheses, like '丹江（城网）'",
        "plans.csv: row 5, column DELIVERY_AREA: '丹江（）' has no market_type in its parentheses",
        "plans.csv: row 6, column DELIVERY_AREA: '（城网）' needs its market_type in parentheses, like '（城网）（城网）'",
        "plans.csv: row 7, column DELIVERY_AREA: '城' is not a market_type; did you mean '城网'?",
    ]


def test_a_segment_chosen_twice_and_an_alias_to_an_undeclared_value() -> None:
    rows = [
        {"CIG_CODE": "1", "DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "城区，丹江，城区"},
        {"CIG_CODE": "2", "DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "城区、城区烟草专卖局（营销部）"},
        {"CIG_CODE": "3", "DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "茅箭"},
    ]
    plans = _plans(aliases={"district": {**DISTRICTS, "茅箭": "茅箭区烟草专卖局(营销部)"}})
    assert _problems(*rows, plans=plans) == [
        "plans.csv: row 2, column DELIVERY_AREA: '城区' is chosen twice",
        "plans.csv: row 3, column DELIVERY_AREA: '城区' and '城区烟草专卖局（营销部）' are the same segment",
        "plans.csv: row 4, column DELIVERY_AREA: '茅箭' stands for '茅箭区烟草专卖局(营销部)' (plans.aliases.district), which is not a district",
    ]


def test_weights_without_a_share_and_on_two_fields() -> None:
    kind = "档位+区县+市场类型"
    rows = [{"CIG_CODE": "1", "DELIVERY_ETYPE": kind, "DELIVERY_AREA": "丹江（城网），房县（农网）"}]
    plans = _plans(weights={"market_type": {"城网": 4}})
    assert _problems(*rows, plans=plans) == [
        "plans.csv: row 2, column DELIVERY_AREA: '农网' has no share in plans.weights.market_type"
    ]
    plans = _plans(weights={"market_type": {"城网": 4, "农网": 6}, "district": {"丹江": 1, "房县": 1}})
    assert _problems(*rows, plans=plans) == [
        "plans.csv: row 2, column DELIVERY_AREA: plans.weights has shares for district and market_type; a plan is split by one field only"
    ]
    plans = _plans(weights={"district": {"丹江": 1, "房县烟草专卖局(营销部)": 3}})  # keys by alias or value
    segments = _run(_sheet({"DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": "丹江，房县"}), plans).products[0][
        "segments"
    ]
    assert segments == {"by": ["district"], "values": [D["丹江"], D["房县"]], "weights": {D["丹江"]: 1, D["房县"]: 3}}


def test_an_empty_method_is_a_problem_and_an_unknown_one_is_not_allocated() -> None:
    result = _run(
        _sheet({"CIG_CODE": "1", "DELIVERY_METHOD": " "}, {"CIG_CODE": "2", "DELIVERY_METHOD": "按档位投放 "})
    )
    assert result.problems == [
        "plans.csv: row 2, column DELIVERY_METHOD: empty; every plan needs a method, one of 按档位投放, 按档位统一投放, 按档位扩展投放, 按档位拓展投放"
    ]
    assert [p["id"] for p in result.products] == ["2"]


def test_an_error_in_a_methods_settings_is_reported_once_with_its_rows() -> None:
    plans = _plans(methods={"按档位投放": {"polcy": "tier_amounts", "target": "closest"}})
    rows = [{"CIG_CODE": str(i)} for i in range(3)]
    assert _problems(*rows, {"CIG_CODE": "9", "ADV": "x"}, plans=plans) == [
        "plans.csv: row 2, column DELIVERY_METHOD: target: Input should be 'at_most' or 'nearest' (2 more rows like this)",
        "plans.csv: row 2, column DELIVERY_METHOD: polcy: unknown product key; did you mean 'policy'? (2 more rows like this)",
        "plans.csv: row 5, column ADV: 'x' is not a whole number of cartons >= 0",
    ]


def test_a_code_too_long_for_an_id_is_located_at_its_column() -> None:
    assert _problems({"CIG_CODE": "1" * 101}) == [
        "plans.csv: row 2, column CIG_CODE: id: String should have at most 100 characters"
    ]


def test_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    area = "，".join(f"区{i}" for i in range(201))
    assert _problems({"DELIVERY_ETYPE": "档位+区县", "DELIVERY_AREA": area}) == [
        "plans.csv: row 2, column DELIVERY_AREA: 201 values; at most 200 may be chosen; choose the segments of 档位+区县 or write 全市"
    ]
    monkeypatch.setattr(plan_sheets, "MAX_PROBLEMS", 2)
    assert _problems(*({"CIG_CODE": "", "ADV": ""} for _ in range(3))) == [
        "plans.csv: row 2, column CIG_CODE: empty; every plan needs a code",
        "plans.csv: row 2, column ADV: empty; every plan needs a supply (cartons)",
        "plans.csv: ... and 4 more problems",
    ]
    monkeypatch.setattr(plan_sheets, "MAX_PLAN_ROWS", 2)
    assert _problems({}, {}, {}) == ["plans.csv: row 1: 3 plans; a plan sheet may hold at most 2"]


# --- reading a plan sheet -------------------------------------------------------------------------


def test_a_csv_plan_sheet(tmp_path: Path) -> None:
    path = tmp_path / "plans.csv"
    path.write_bytes('\ufeffCIG_CODE,ADV,DELIVERY_AREA\n35300080,2683,"城区,丹江"\n,,\n42020012,8407,全市\n'.encode())
    assert read_plan_sheet(path, "plans.csv", None) == SheetTable(
        "plans.csv",
        ["CIG_CODE", "ADV", "DELIVERY_AREA"],
        [(2, ["35300080", "2683", "城区,丹江"]), (4, ["42020012", "8407", "全市"])],
    )


@pytest.mark.parametrize(
    ("name", "content", "sheet", "message"),
    [
        (
            "plans.xls",
            b"x",
            None,
            "plans.xls: unknown plan sheet format '.xls'; use .xlsx or .csv; save it as .xlsx (Excel 2007 or later)",
        ),
        ("plans.ods", b"x", None, "plans.ods: unknown plan sheet format '.ods'; use .xlsx or .csv"),
        (
            "plans.csv",
            b"a\n1\n",
            "Week 3",
            "plans.csv: a CSV file has no sheets, but plans.sheet is 'Week 3'; remove it",
        ),
        (
            "plans.csv",
            b"\xef\xbb\xbf \n",
            None,
            "plans.csv: the file is empty; expected a header row and one row per plan",
        ),
        (
            "plans.csv",
            "CIG_CODE\n城区\n".encode("gb18030"),
            None,
            'plans.csv: row 2: not UTF-8 text (byte 0xb3 at offset 9); it looks like GBK/GB18030 (Chinese Excel): save it as "CSV UTF-8"',
        ),
        ("plans.csv", b"a,b\n1\n", None, "plans.csv: row 2: 1 values, but the header has 2 columns"),
    ],
)
def test_plan_sheets_that_cannot_be_read(
    tmp_path: Path, name: str, content: bytes, sheet: str | None, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SheetError) as caught:
        read_plan_sheet(path, name, sheet)
    assert str(caught.value) == message


def test_a_fifo_a_folder_and_a_missing_file_are_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "folder.csv").mkdir()
    for name, why in [
        ("fifo.csv", "is a named pipe (FIFO), not a regular file"),
        ("folder.csv", "is a directory, not a file"),
        ("none.csv", "no such file"),
    ]:
        with pytest.raises(SheetError) as caught:
            read_plan_sheet(tmp_path / name, name, None)
        assert str(caught.value) == f"{name}: {why}"


def test_a_csv_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_sheets, "MAX_PLAN_BYTES", 10)
    (tmp_path / "plans.csv").write_bytes(b"CIG_CODE\n123456\n")
    with pytest.raises(SheetError) as caught:
        read_plan_sheet(tmp_path / "plans.csv", "plans.csv", None)
    assert str(caught.value) == "plans.csv: the file has more than 10 bytes; plan sheets are limited to that"


# --- the property ---------------------------------------------------------------------------------

SEPARATORS = ["，", "、", ",", ".", "--", "---", "；", ";", "。", "．"]
SPACES = ["", "", " ", "  ", "\u3000"]
PAIRS = sorted(DISTRICTS.items())  # (short name, value)
# Between two items: one or more separators, each with spaces around it; at an end, maybe none.
GAP = st.lists(
    st.tuples(st.sampled_from(SPACES), st.sampled_from(SEPARATORS), st.sampled_from(SPACES)), min_size=1, max_size=3
).map(lambda parts: "".join("".join(p) for p in parts))
END = st.one_of(st.sampled_from(SPACES), GAP)


def _joined(head: str, items: list[tuple[str, str]], tail: str) -> str:
    """(gap before, item) joined, the first item's gap left out."""
    return head + "".join(item if i == 0 else gap + item for i, (gap, item) in enumerate(items)) + tail


@given(
    st.lists(st.tuples(st.sampled_from(PAIRS), st.booleans(), GAP), min_size=1, max_size=7, unique_by=lambda t: t[0]),
    END,
    END,
)
@example([(("丹江", D["丹江"]), False, ""), (("城区", D["城区"]), False, "、")], "", "")  # with 、 not a separator
def test_known_names_joined_by_any_separators_parse_back(
    picks: list[tuple[tuple[str, str], bool, str]], head: str, tail: str
) -> None:
    area = _joined(head, [(gap, pair[1] if long else pair[0]) for pair, long, gap in picks], tail)
    assert _segments(area) == {"by": ["district"], "values": [pair[1] for pair, _, _ in picks]}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(PAIRS),
            st.sampled_from(["城网", "农网"]),
            st.booleans(),
            st.sampled_from(["(", "（"]),
            st.sampled_from([")", "）"]),
            GAP,
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda t: (t[0], t[1]),
    ),
    END,
    END,
)
@example([(("丹江", D["丹江"]), "城网", False, "（", "）", "")], "、", "")
@example([(("丹江", D["丹江"]), "城网", False, "(", ")", "")], "", "")  # when only （ ） were read
def test_district_market_items_joined_by_any_separators_parse_back(
    picks: list[tuple[tuple[str, str], str, bool, str, str, str]], head: str, tail: str
) -> None:
    items = [(gap, (pair[1] if long else pair[0]) + o + m + c) for pair, m, long, o, c, gap in picks]
    markets = list(dict.fromkeys(m for _, m, *_ in picks))
    expected: dict[str, Any] = {"by": ["district", "market_type"], "values": [[p[1], m] for p, m, *_ in picks]}
    if len(markets) == 2:
        expected["weights"] = {m: {"城网": 4, "农网": 6}[m] for m in markets}
    assert _segments(_joined(head, items, tail), "档位+区县+市场类型") == expected
