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


class Reserve(Strict):
    share: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)
    amount: int | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    owner: str = Field(min_length=1)


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
    ladder_split: dict[str, Annotated[float, Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)]] | None = None


class AllocationFile(Strict):
    kind: Literal["allocation"]
    version: Version
    description: str | None = None
    fields: dict[str, FieldSpec] = {}
    products: list[Product] = Field(min_length=1)


class Variant(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = None
    supply: dict[str, Quantity] = Field(default={}, description="Product id to supply, like {zhonghua-soft: 900}")
    supply_factor: dict[str, Annotated[float, Field(ge=0, le=MAX_SUPPLY_FACTOR, allow_inf_nan=False)]] = Field(
        default={}, description="Product id to supply factor, like {zhonghua-soft: 0.8}"
    )
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


class ScenarioFile(Strict):
    kind: Literal["scenario"]
    version: Version
    name: str = Field(min_length=1)
    description: str | None = None
    snapshot: str
    tiering: str
    allocation: str
    period: str = Field(min_length=1)
    seed: int = Field(default=0, ge=INT64_MIN, le=INT64_MAX)
    supply: dict[str, Quantity] = Field(default={}, description="Product id to supply, like {zhonghua-soft: 900}")
    variants: list[Variant] = []


MODELS: dict[str, type[Strict]] = {
    "tiering": TieringFile,
    "allocation": AllocationFile,
    "scenario": ScenarioFile,
}
