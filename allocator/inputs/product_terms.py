"""What a scenario or one of its variants sets for a product: supply, rounding, entitlement, reserve."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from allocator.inputs.allocation_rules import ProductRules


@dataclass(frozen=True)
class ProductTerms:
    """What a scenario (or a variant) changes about a product."""

    supply: int
    rounding: str
    entitlement: dict[str, dict[str, int]] | None
    reserve_share: Fraction | None
    reserve_amount: int | None
    reserve_owner: str | None


def terms_of(product: ProductRules) -> ProductTerms:
    r = product.spec.reserve
    return ProductTerms(
        supply=product.spec.supply,
        rounding=product.spec.rounding,
        entitlement=product.entitlement,
        reserve_share=Fraction(str(r.share)) if r and r.share is not None else None,
        reserve_amount=r.amount if r else None,
        reserve_owner=r.owner if r else None,
    )


def reserve_of(settings: ProductTerms) -> int:
    """Units held back: a share is rounded down, so the reserve never exceeds what was asked."""
    if settings.reserve_amount is not None:
        return min(settings.reserve_amount, settings.supply)
    if settings.reserve_share is not None:
        return int(settings.reserve_share * settings.supply)
    return 0
