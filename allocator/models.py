"""Pydantic models of the v1 rule and scenario files: the shapes and types, nothing more.

Cross-references (fields a rule reads, tiers on ladders, duplicate ids) are checked in
`checks.py`, where every problem gets a path into the YAML document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = int | float
Condition = dict[str, Any]
METHODS = ("webster", "dhondt", "adams", "huntington_hill", "hamilton")
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
    max_up: int | None = Field(default=None, ge=0)
    max_down: int | None = Field(default=None, ge=0)


class TieringFile(Strict):
    kind: Literal["tiering"]
    version: Literal[1]
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
    amount: int | None = Field(default=None, ge=0)
    owner: str = Field(min_length=1)


class EligibilityRule(Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    when: Condition
    exclude: Literal[True]


class Window(Strict):
    highest: str
    lowest: str


Table = dict[str, int | dict[str, int]]
WeightTable = dict[str, Number | dict[str, Number]]


class Product(Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str | None = None
    supply: int = Field(ge=0)
    order_column: str | None = None
    reserve: Reserve | None = None
    policy: Literal["per_tier", "weighted", "priority", "tier_amounts"] = "per_tier"
    per_client: Table | None = None
    weights: WeightTable | None = None
    max_per_client: int | None = Field(default=None, ge=0)
    min_per_client: int | None = Field(default=None, ge=0)
    eligible: list[EligibilityRule] = []
    rounding: Method = "webster"
    target: Literal["at_most", "nearest"] = "at_most"
    shape: Literal["flat", "entitlement"] = "flat"
    window: Window | None = None
    ladder_split: dict[str, Number] | None = None


class AllocationFile(Strict):
    kind: Literal["allocation"]
    version: Literal[1]
    description: str | None = None
    fields: dict[str, FieldSpec] = {}
    products: list[Product] = Field(min_length=1)


class Variant(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = None
    supply: dict[str, int] = {}
    supply_factor: dict[str, float] = {}
    per_client: dict[str, Table] = {}
    rounding: dict[str, Method] = {}
    reserve: dict[str, Reserve | None] = {}
    thresholds: dict[str, Number | list[Number] | list[str] | str] = {}


class ScenarioFile(Strict):
    kind: Literal["scenario"]
    version: Literal[1]
    name: str = Field(min_length=1)
    description: str | None = None
    snapshot: str
    tiering: str
    allocation: str
    period: str = Field(min_length=1)
    seed: int = 0
    supply: dict[str, int] = {}
    variants: list[Variant] = []


MODELS: dict[str, type[Strict]] = {
    "tiering": TieringFile,
    "allocation": AllocationFile,
    "scenario": ScenarioFile,
}
