"""Decision-table verification of tiering files: whole findings for hand-made files and the examples."""

from __future__ import annotations

from pathlib import Path

from allocator.engine.analysis import Finding, analyse
from allocator.inputs.tiering_rules import TieringRules, load_tiering

RULES = Path(__file__).resolve().parents[2] / "rules"

HEADER = """\
kind: tiering
version: 1
fields:
  market: {type: category, values: [city, village]}
  volume: {type: number, min: 0}
  amount: {type: number, min: 0}
  score: {type: number, optional: true}
  violations: {type: integer, min: 0}
derive:
  unit_value: amount / volume
  double: volume * 2
ladders:
  by: market
  city: [A, B, C, D]
  village: [A, B, C, D]
default_tier: D
"""


def load(tmp_path: Path, body: str) -> TieringRules:
    path = tmp_path / "tiering.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return load_tiering(path)


def gap(ladder: str, where: str, example: dict[str, object], extra: str = "") -> Finding:
    msg = f"no placement rule covers clients where {where} on ladder {ladder}{extra}; they get the default tier D"
    return Finding("gap", None, ladder, msg, example)


COMPLETE = """\
placement:
  - {id: city-top, when: {market: city, volume: {gte: 100}}, tier: A}
  - {id: city-rest, when: {market: city, volume: {lt: 100}}, tier: C}
  - {id: village-all, ladder: village, when: {volume: {gte: 0}}, tier: B}
adjust:
  - {id: violations, when: {violations: {gte: 1}}, demote: 1}
"""


def test_a_complete_rule_set_has_no_findings(tmp_path: Path) -> None:
    assert analyse(load(tmp_path, COMPLETE)) == []


def test_a_gap_is_described_as_a_range_with_an_example(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: city-a, when: {market: city, volume: {gte: 600}}, tier: A}
  - {id: city-b, when: {market: city, volume: {gte: 250, lt: 400}}, tier: B}
  - {id: village-a, ladder: village, when: {volume: {gte: 0}}, tier: A}
""",
    )
    assert analyse(rules) == [
        gap("city", "volume < 250 or 400 <= volume < 600", {"market": "city", "volume": 125}),
    ]


def test_a_rule_behind_an_earlier_broader_rule_is_unreachable(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: city-b, when: {market: city, volume: {gte: 250}}, tier: B}
  - {id: city-a, when: {market: city, volume: {gte: 600}}, tier: A}
  - {id: city-c, when: {market: city}, tier: C}
  - {id: village-low, ladder: village, when: {score: {lt: 5}}, tier: C}
  - {id: village-high, ladder: village, when: {score: {gte: 5}}, tier: B}
  - {id: village-known, ladder: village, when: {score: {is_null: false}, volume: {gte: 10}}, tier: A}
  - {id: village-rest, ladder: village, when: {volume: {gte: 0}}, tier: C}
""",
    )
    assert analyse(rules) == [
        Finding(
            "unreachable",
            "city-a",
            "city",
            "can never place a client on ladder city: city-b always matches first",
            {"market": "city", "volume": 600},
        ),
        Finding(
            "unreachable",
            "village-known",
            "village",
            "can never place a client on ladder village: earlier rules village-low, village-high always match first",
            {"market": "village", "volume": 10, "score": 0},
        ),
    ]


def test_impossible_conditions_name_the_clash(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: city-x, when: {market: city, volume: {gte: 600, lt: 100}}, tier: A}
  - {id: village-x, ladder: village, when: {market: {in: [city]}, volume: {gte: 1}}, tier: A}
  - {id: negative, when: {volume: {lt: 0}}, tier: A}
  - {id: null-volume, when: {volume: {is_null: true}}, tier: A}
  - {id: null-double, when: {double: {is_null: true}}, tier: A}
  - {id: clash-in-any, when: {any: [{volume: {gt: 5, lt: 5}}, {volume: {lt: 0}}]}, tier: A}
  - {id: rest, when: {volume: {gte: 0}}, tier: D}
adjust:
  - {id: never, when: {violations: {between: [3, 4]}, not: {violations: {gte: 2}}}, demote: 1}
  - {id: fractional, when: {violations: {gt: 1, lt: 2}}, demote: 1}
""",
    )
    never = "its condition can never hold"
    assert analyse(rules) == [
        Finding(
            "impossible",
            "city-x",
            "city",
            f"{never} on ladder city: volume >= 600 and volume < 100 are never both true",
            None,
        ),
        Finding("impossible", "negative", "city", f"{never}: volume < 0 is never true", None),
        Finding("impossible", "null-volume", "city", f"{never}: volume is null is never true", None),
        Finding("impossible", "null-double", "city", f"{never}: double is null is never true", None),
        Finding(
            "impossible",
            "clash-in-any",
            "city",
            f"{never}: ((volume > 5 and volume < 5) or volume < 0) is never true",
            None,
        ),
        Finding(
            "impossible",
            "never",
            "city",
            f"{never}: violations between 3 and 4 and not (violations >= 2) are never both true",
            None,
        ),
        Finding(
            "impossible", "fractional", "city", f"{never}: violations > 1 and violations < 2 are never both true", None
        ),
        Finding(
            "impossible", "village-x", "village", f"{never} on ladder village: market in [city] is never true", None
        ),
    ]


def test_not_any_between_and_is_null(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: not-big, ladder: city, when: {not: {volume: {gte: 100}}}, tier: C}
  - {id: very-big, ladder: city, when: {volume: {gte: 200}}, tier: A}
  - {id: edges, ladder: city, when: {any: [{volume: {lt: 10}}, {volume: {gt: 150}}]}, tier: B}
  - {id: no-score, ladder: village, when: {score: {is_null: true}}, tier: C}
  - {id: mid-score, ladder: village, when: {score: {between: [0, 100]}}, tier: B}
  - {id: high-score, ladder: village, when: {score: {gt: 100.5}}, tier: A}
  - {id: not-scored, ladder: village, when: {not: {score: {gte: -5}}}, tier: D}
""",
    )
    assert analyse(rules) == [
        gap("city", "100 <= volume <= 150", {"market": "city", "volume": 125}),
        gap("village", "-5 <= score < 0 or 100 < score <= 100.5", {"market": "village", "score": -2.5}),
    ]


def test_not_holds_on_a_missing_value(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: low, when: {not: {score: {gte: 5}}}, tier: A}
  - {id: below-five, when: {score: {lt: 5}}, tier: B}
  - {id: missing, when: {score: {is_null: true}}, tier: B}
  - {id: high, when: {score: {gte: 5}}, tier: C}
""",
    )
    shadow = "can never place a client on ladder {}: low always matches first"
    assert analyse(rules) == [
        Finding("unreachable", "below-five", "city", shadow.format("city"), {"market": "city", "score": 4}),
        Finding("unreachable", "missing", "city", shadow.format("city"), {"market": "city", "score": None}),
        Finding("unreachable", "below-five", "village", shadow.format("village"), {"market": "village", "score": 4}),
        Finding("unreachable", "missing", "village", shadow.format("village"), {"market": "village", "score": None}),
    ]


def test_a_null_derived_value_is_a_gap_for_some_input_values(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: rich, when: {unit_value: {gte: 10}}, tier: A}
  - {id: poor, when: {unit_value: {lt: 10}}, tier: B}
  - {id: city-empty, ladder: city, when: {volume: 0}, tier: D}
""",
    )
    caveat = ", for some input values (unit_value: derived)"
    assert analyse(rules) == [
        gap("city", "volume > 0 and unit_value is null", {"market": "city", "volume": 1, "unit_value": None}, caveat),
        gap("village", "unit_value is null", {"market": "village", "unit_value": None}, caveat),
    ]


def test_two_ladders_are_analysed_apart(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: city-big, when: {market: city, volume: {gte: 50}}, tier: A}
  - {id: small, when: {volume: {lt: 50}}, tier: C}
  - {id: tiny, when: {volume: {lt: 10}}, tier: D}
  - {id: village-big, ladder: village, when: {volume: {gte: 100}}, tier: A}
""",
    )
    assert analyse(rules) == [
        Finding(
            "unreachable",
            "tiny",
            "city",
            "can never place a client on ladder city: small always matches first",
            {"market": "city", "volume": 5},
        ),
        Finding(
            "unreachable",
            "tiny",
            "village",
            "can never place a client on ladder village: small always matches first",
            {"market": "village", "volume": 5},
        ),
        gap("village", "50 <= volume < 100", {"market": "village", "volume": 75}),
    ]


def test_a_ladder_without_rules_is_one_gap(tmp_path: Path) -> None:
    rules = load(tmp_path, "placement:\n  - {id: city-all, when: {market: city}, tier: A}\n")
    msg = "no placement rule covers any client on ladder village; they all get the default tier D"
    assert analyse(rules) == [Finding("gap", None, "village", msg, {"market": "village"})]


def test_too_many_cells_limits_the_analysis(tmp_path: Path) -> None:
    rules = load(
        tmp_path,
        """\
placement:
  - {id: wide, ladder: city, when: {volume: {gte: 10}, score: {gte: 1}}, tier: A}
  - {id: narrow, ladder: city, when: {volume: {gte: 20}, score: {gte: 2}}, tier: B}
  - {id: some-volumes, ladder: city, when: {volume: {in: [30, 40, 50, 60, 70]}}, tier: C}
  - {id: clean, ladder: city, when: {violations: {in: [0, 1, 2]}}, tier: C}
  - {id: village-all, ladder: village, when: {volume: {gte: 0}}, tier: B}
""",
    )
    limited = (
        "too many combinations of values to check every client (24 > {}): gaps were not checked, "
        "and a rule counts as unreachable only when earlier rules reading no other fields always match first"
    )
    assert analyse(rules, max_cells=22) == [
        Finding("limited", None, "city", limited.format(22), None),
        Finding(
            "unreachable",
            "narrow",
            "city",
            "can never place a client on ladder city: wide always matches first",
            {"market": "city", "volume": 20, "score": 2},
        ),
    ]
    unchecked = limited.format(10) + "; not checked within the limit of 10 facts: narrow, clean"
    assert analyse(rules, max_cells=10) == [Finding("limited", None, "city", unchecked, None)]


def test_the_example_tiering_file(tmp_path: Path) -> None:
    rules = load_tiering(RULES / "tiering.yaml")
    assert analyse(rules) == [
        gap("city", "volume < 80", {"market": "city", "volume": 40}),
        gap("village", "volume < 40", {"market": "village", "volume": 20}),
    ]


def test_the_online_retail_tiering_file(tmp_path: Path) -> None:
    rules = load_tiering(RULES / "online-retail-tiering.yaml")
    assert analyse(rules) == [
        gap("domestic_UK", "0 < volume < 100", {"market_group": "domestic_UK", "volume": 40}),
        gap("europe", "0 < volume < 80", {"market_group": "europe", "volume": 40}),
        gap("rest_of_world", "0 < volume < 80", {"market_group": "rest_of_world", "volume": 40}),
    ]


def test_text_and_tier_fields(tmp_path: Path) -> None:
    path = tmp_path / "shops.yaml"
    path.write_text(
        """\
kind: tiering
version: 1
fields:
  note: {type: text}
  current_tier: {type: tier, optional: true}
ladders:
  shops: [A, B, C]
placement:
  - {id: vip, when: {note: {in: [vip, gold]}}, tier: A}
  - {id: was-top, when: {current_tier: A}, tier: A}
  - {id: was-lower, when: {current_tier: {in: [B, C]}, note: {ne: vip}}, tier: B}
  - {id: gold-b, when: {current_tier: B, note: gold}, tier: B}
default_tier: C
""",
        encoding="utf-8",
    )
    msg = "no placement rule covers clients where note not in [gold, vip] and current_tier is null on ladder shops"
    assert analyse(load_tiering(path)) == [
        Finding(
            "unreachable",
            "gold-b",
            "shops",
            "can never place a client on ladder shops: vip always matches first",
            {"current_tier": "B", "note": "gold"},
        ),
        Finding("gap", None, "shops", msg + "; they get the default tier C", {"note": "other", "current_tier": None}),
    ]
