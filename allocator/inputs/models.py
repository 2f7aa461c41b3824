"""Pydantic models of the v1 rule and scenario files: the shapes and types, nothing more.

Cross-references (fields a rule reads, tiers on ladders, duplicate ids) are checked in
`tiering_rules.py` and `allocation_rules.py`, where every problem gets a path into the YAML document.

Every quantity has an upper bound, so that no value a file may hold overflows an int64 sum of
quotas later: a user error here, not a crash in a run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from allocator.inputs.alert_rules import Alerts

Number = int | float
MAX_QUANTITY = 10**12  # cartons: supply, entitlements, caps, reserve amounts
MAX_SUPPLY_FACTOR = 1000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]


def _exactly(expected: int | bool) -> BeforeValidator:
    """A Literal that also refuses values merely equal to it (`true` and `1.0` equal 1 in Python)."""

    def check(value: Any) -> Any:
        if type(value) is not type(expected):
            raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": repr(expected)})
        return value

    return BeforeValidator(check)


Version = Annotated[Literal[1], _exactly(1)]
Condition = dict[str, Any]
Method = Literal["webster", "dhondt", "adams", "huntington_hill", "hamilton"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FieldSpec(Strict):
    """A snapshot column that rules read."""

    type: Literal["number", "integer", "category", "tier", "text"]
    description: str | None = None
    values: list[str] | None = None
    min: Number | None = Field(default=None, allow_inf_nan=False)
    max: Number | None = Field(default=None, allow_inf_nan=False)
    optional: bool = False


class PlacementRule(Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    ladder: str | None = None
    when: Condition
    tier: str


class AdjustRule(Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    ladder: str | None = None
    when: Condition
    demote: int | None = Field(default=None, ge=1, le=1000)
    promote: int | None = Field(default=None, ge=1, le=1000)


class Moves(Strict):
    max_up: int | None = Field(default=None, ge=0, le=1000)
    max_down: int | None = Field(default=None, ge=0, le=1000)


class TieringFile(Strict):
    kind: Literal["tiering"]
    version: Version
    description: str | None = None
    fields: dict[str, FieldSpec]
    derive: dict[str, str] = {}
    ladders: dict[str, str | list[str]]
    placement: list[PlacementRule] = []
    default_tier: str | dict[str, str] | None = None
    adjust: list[AdjustRule] = []
    moves: Moves = Moves()


OwnerName = Annotated[str, Field(min_length=1, max_length=100)]
OwnerShare = Annotated[float, Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)]


class Reserve(Strict):
    """Units held back from the policy for people to hand out: a share of the supply or an amount.

    Who holds them, one of: `owner` (one label, the whole reserve); `owners` (the managers'
    budgets as shares of the reserve, {zhang: 0.5, li: 0.5}, split in whole units that add up
    exactly); `by_segment` (each segment pool's part of the reserve goes to its manager,
    {城网: zhang, 农网: li}). `unassigned`: budget units no assignment hands out are kept
    (`keep`, the default: held, reported per owner) or given back to the product's policy
    (`release`)."""

    share: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)
    amount: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    owner: OwnerName | None = None
    owners: dict[OwnerName, OwnerShare] | None = Field(default=None, min_length=1, max_length=1000)
    by_segment: dict[str, OwnerName] | None = Field(default=None, min_length=1, max_length=1000)
    unassigned: Literal["keep", "release"] = "keep"


class EligibilityRule(Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    when: Condition
    exclude: Annotated[Literal[True], _exactly(True)]


class Window(Strict):
    highest: str
    lowest: str


Table = dict[str, int | dict[str, int]]
WeightTable = dict[str, Number | dict[str, Number]]
Share = Annotated[float, Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)]


class Segments(Strict):
    """Who may receive a product, and how its supply is split between them (DESIGN.md, version 2).

    `by`: one or more category fields of the snapshot; a segment is one combination of their
    values. `values`: the chosen segments (`all`, or a list: a value for one field, or a list of
    one value per field). `weights`: omitted, every chosen segment shares one pool; a mapping from
    the values of one `by` field to shares (pools by that field: {城网: 4, 农网: 6}); `clients` or
    `orders`, each segment its own pool, with shares by its client count or its orders."""

    by: list[str] = Field(min_length=1, max_length=4)
    values: Literal["all"] | list[str | list[str]] = "all"
    weights: dict[str, Share] | Literal["clients", "orders"] | None = None


class Multiplier(Strict):
    """A client matching `when` gets `factor` times its tier's amount (or entitlement)."""

    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    when: Condition
    factor: int = Field(ge=0, le=1000)


class Product(Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    supply: Quantity
    order_column: str | None = None
    reserve: Reserve | None = None
    policy: Literal["per_tier", "weighted", "priority", "tier_amounts"] = "per_tier"
    per_client: Table | None = None
    weights: WeightTable | None = None
    max_per_client: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    min_per_client: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    eligible: list[EligibilityRule] = []
    rounding: Method = "webster"
    target: Literal["at_most", "nearest"] = "at_most"
    shape: Literal["flat", "entitlement"] = "flat"
    window: Window | None = None
    ladder_split: dict[str, Share] | None = None
    name: str | None = None
    segments: Segments | None = None
    multiplier: list[Multiplier] = []
    rotation: bool = False  # in a cycle: among equal claims, who got less earlier in the cycle goes first
    alerts: Alerts | None = None  # overrides the file's alerts key by key


class PlanColumns(Strict):
    """Which column of the plan sheet holds what (the sheet's own header names)."""

    id: str
    supply: str
    method: str
    name: str | None = None
    segment_by: str | None = None
    values: str | None = None
    highest: str | None = None
    lowest: str | None = None
    tag: str | None = None
    remark: str | None = None


class Plans(Strict):
    """More products, one per row of a plan sheet (xlsx or CSV); see README, "The weekly plan"."""

    file: str
    sheet: str | None = None
    columns: PlanColumns
    methods: dict[str, dict[str, Any]] = Field(
        min_length=1,
        description="Method name in the sheet to product settings, like {按档位投放: {policy: tier_amounts}}",
    )
    segment_fields: dict[str, list[str]] = Field(
        default={}, description="Segment kind in the sheet to snapshot fields, like {档位+区县: [district]}"
    )
    aliases: dict[str, dict[str, str]] = Field(
        default={}, description="Field to short name to value, like {district: {城区: 城区烟草专卖局(营销部)}}"
    )
    everywhere: list[str] = Field(default=["全市"], description="Area words meaning every client")
    weights: dict[str, dict[str, Share]] = Field(
        default={},
        description="Field to shares, used when two or more of its values are chosen, like {market_type: {城网: 4, 农网: 6}}",
    )
    remarks: dict[str, list[Multiplier]] = Field(
        default={}, description="Remark text to the multipliers it means, like {两周一访上浮100%: [...]}"
    )
    tags: dict[str, list[EligibilityRule]] = Field(
        default={}, description="Tag to the eligibility rules it means; a tag not listed is not allocated"
    )


class AllocationFile(Strict):
    kind: Literal["allocation"]
    version: Version
    description: str | None = None
    fields: dict[str, FieldSpec] = {}
    products: list[Product] = []
    plans: Plans | None = None
    alerts: Alerts | None = None  # thresholds for every product


def _factor_per_product(value: Any) -> Any:
    """`supply_factor: 0.8`, one number where a factor per product is needed, says which form is meant."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "per_product", "give one factor per product, like supply_factor: {zhonghua-soft: 0.8}"
        )
    return value


class Variant(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = None
    supply: dict[str, Quantity] = Field(default={}, description="Product id to supply, like {zhonghua-soft: 900}")
    supply_factor: Annotated[
        dict[str, Annotated[float, Field(ge=0, le=MAX_SUPPLY_FACTOR, allow_inf_nan=False)]],
        BeforeValidator(_factor_per_product),
    ] = Field(default={}, description="Product id to supply factor, like {zhonghua-soft: 0.8}")
    per_client: dict[str, Table] = Field(
        default={}, description="Product id to per-client table, like {zhonghua-soft: {A: 5, B: 3, C: 1}}"
    )
    rounding: dict[str, Method] = Field(
        default={}, description="Product id to rounding, like {zhonghua-soft: hamilton}"
    )
    reserve: dict[str, Reserve | None] = Field(
        default={}, description="Product id to reserve, like {zhonghua-soft: {share: 0.1, owner: managers}}"
    )
    thresholds: dict[str, Number | list[Number] | list[str] | str] = Field(
        default={}, description="Threshold path to new value, like {city-a.when.volume.gte: 700}"
    )


Encoding = Literal["utf-8", "gbk", "gb18030"]


class SnapshotSpec(Strict):
    """A snapshot with options: an xlsx sheet, the column holding client ids, a CSV's encoding."""

    path: str
    sheet: str | None = None
    id_column: str = "client_id"
    encoding: Encoding = Field(
        default="utf-8", description="A CSV snapshot's text encoding: utf-8, or gbk / gb18030 as Chinese Excel saves"
    )


class Outputs(Strict):
    """What a run writes: tiers and quotas as CSV (default) or Parquet, a workbook, CSV BOMs, kept columns."""

    format: Literal["csv", "parquet"] = Field(
        default="csv", description="tiers and quotas as .csv, or as .parquet (columnar, for millions of clients)"
    )
    xlsx: bool = Field(default=False, description="Write workbook.xlsx beside the CSVs (slow for a million shops)")
    csv_bom: bool = Field(default=False, description="Start every CSV with a UTF-8 BOM, for Excel to read it as UTF-8")
    keep_columns: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default=[], max_length=100, description="Snapshot columns carried into quotas.csv as text, like [name]"
    )


RoundName = Annotated[str, Field(min_length=1, max_length=40)]


class Partition(Strict):
    """Independent runs of one scenario, one per value of a snapshot field (README, "Partitions").

    `by`: a category or text field the rule files declare (not optional): each of its values that
    occurs is a partition, with its own clients and its own supply of every product. `split`: how
    each product's supply is divided between the partitions first, in whole units that add up
    exactly (largest remainder, ties to the partition first in order): `clients` (by the number
    of clients), `ordered` (by the units the partition's clients ordered of that product) or
    fixed weights per value ({城区: 3, 郊区: 1}). Reserve, eligibility and caps then apply within
    each partition, as if its clients were alone."""

    by: str = Field(min_length=1, max_length=200)
    split: Literal["clients", "ordered"] | dict[Annotated[str, Field(min_length=1)], Share] = Field(
        description="clients, ordered, or a weight per value of the field, like {城区: 3, 郊区: 1}"
    )


class CycleSpec(Strict):
    """A supply issued in rounds: the cycle's id, its rounds in order (with their shares, equal
    when omitted), and each product's supply for the whole cycle."""

    id: str = Field(min_length=1, max_length=100)
    rounds: list[RoundName] = Field(min_length=1, max_length=100)
    shares: dict[RoundName, Annotated[float, Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)]] | None = None
    supply: dict[str, Quantity] = Field(min_length=1, description="Product id to the cycle's supply")


class LockSpec(Strict):
    """One client's quota of one product, fixed by a person: who, and why."""

    client_id: str = Field(min_length=1)
    product: str = Field(min_length=1)
    quota: Quantity
    reason: str = Field(min_length=1, max_length=2000)
    by: str = Field(min_length=1, max_length=100)


class ScenarioFile(Strict):
    kind: Literal["scenario"]
    version: Version
    name: str = Field(min_length=1)
    description: str | None = None
    snapshot: str | SnapshotSpec
    tiering: str
    allocation: str
    period: str = Field(min_length=1)
    seed: int = Field(default=0, ge=INT64_MIN, le=INT64_MAX)
    supply: dict[str, Quantity] = Field(default={}, description="Product id to supply, like {zhonghua-soft: 900}")
    variants: list[Variant] = []
    assignments: str | None = Field(
        default=None, description="CSV or xlsx file: owner, client_id, product, units, reason"
    )
    locks: str | list[LockSpec] | None = Field(
        default=None, description="CSV or xlsx file (client_id, product, quota, reason, by), or a list of locks"
    )
    cycle: CycleSpec | None = None
    round: RoundName | None = Field(default=None, description="The cycle's round this run issues (or --round)")
    outputs: Outputs = Outputs()
    lang: Literal["en", "zh"] = Field(default="en", description="Language of the report, tables, workbook and messages")
    partition: Partition | None = Field(
        default=None, description="Independent runs, one per value of a field, like {by: district, split: clients}"
    )


MODELS: dict[str, type[Strict]] = {
    "tiering": TieringFile,
    "allocation": AllocationFile,
    "scenario": ScenarioFile,
}
