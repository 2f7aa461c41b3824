"""Alert thresholds of an allocation file: the model, its checks, and each product's thresholds.

`alerts:` at the top of the file applies to every product; `products[].alerts` overrides it key
by key (a key set to null there switches that alert off for the product). Each threshold is a
share from 0 to 1; a crossed one becomes a warning line of the run (`pipeline/alerts.py`).

This module imports nothing of the package's models, so that `models.py` can use `Alerts`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from allocator.inputs.safe_yaml import Document, Problem

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

# alert name -> (summary column, "below" or "above"); fill_rate_gap compares the tiers of a product
ALERTS: dict[str, tuple[str, str]] = {
    "fill_rate_below": ("fill_rate", "below"),
    "full_fill_rate_below": ("full_fill_rate", "below"),
    "coverage_below": ("coverage", "below"),
    "gap_rate_above": ("gap_rate", "above"),
    "top10_share_above": ("top10_share", "above"),
    "gini_above": ("gini", "above"),
    "fill_rate_gap_above": ("fill_rate_gap", "above"),
}
NEEDS_ORDERS = ("fill_rate_below", "full_fill_rate_below", "gap_rate_above", "fill_rate_gap_above")


class Alerts(BaseModel):
    """Thresholds that turn a summary figure into a warning: `X_below: t` warns when X < t,
    `X_above: t` when X > t, for each tier line and each product line of the summary."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    fill_rate_below: Share | None = Field(default=None, description="订单满足率: allocated / ordered")
    full_fill_rate_below: Share | None = Field(
        default=None, description="订足面: share of the ordering clients whose order was fully met"
    )
    coverage_below: Share | None = Field(default=None, description="投放面: share of the clients that got more than 0")
    gap_rate_above: Share | None = Field(default=None, description="需求缺口率: (ordered - allocated) / ordered")
    top10_share_above: Share | None = Field(
        default=None, description="share of the units held by the top 10 % of clients by quota"
    )
    gini_above: Share | None = Field(default=None, description="Gini coefficient of the quotas")
    fill_rate_gap_above: Share | None = Field(
        default=None, description="largest difference in fill rate between two tiers of a product (and segment)"
    )


def alert_problems(doc: Document, data: dict[str, Any]) -> list[Problem]:
    """A product's own alert that needs orders, on a product without `order_column`: it could
    never fire, so it is refused where it stands (an inherited one is skipped for that product)."""
    products = data.get("products")
    problems = []
    for i, raw in enumerate(products if isinstance(products, list) else []):
        if not isinstance(raw, dict) or not isinstance(raw.get("alerts"), dict) or raw.get("order_column"):
            continue
        for name in raw["alerts"]:
            if name in NEEDS_ORDERS and raw["alerts"][name] is not None:
                msg = "needs the product's orders (order_column); without them it has no fill rates"
                problems.append(doc.problem(("products", i, "alerts", name), msg, key=True))
    return problems


def merged(top: Alerts | None, own: Alerts | None) -> dict[str, float]:
    """The thresholds a product uses: the file's, then its own key by key (null: switched off)."""
    out = {k: v for k, v in (top or Alerts()).model_dump().items() if v is not None}
    for name in own.model_fields_set if own is not None else ():
        value = getattr(own, name)
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return {name: out[name] for name in ALERTS if name in out}
