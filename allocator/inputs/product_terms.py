"""What a scenario or one of its variants sets for a product: supply, rounding, entitlement, reserve."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from allocator.inputs.models import Reserve
from allocator.inputs.product_rules import ProductRules


@dataclass(frozen=True)
class ProductTerms:
    """What a scenario (or a variant) sets for a product: supply, rounding, entitlement, reserve."""

    supply: int
    rounding: str
    entitlement: dict[str, dict[str, int]] | None
    reserve_share: Fraction | None
    reserve_amount: int | None
    reserve_owner: str | None  # who holds it, as a label: the owner, or the owners' names
    reserve_spec: Reserve | None = None  # the reserve as written: its owners' budgets


def terms_of(product: ProductRules) -> ProductTerms:
    """A product's terms as its allocation file states them."""
    plain = ProductTerms(product.spec.supply, product.spec.rounding, product.entitlement, None, None, None)
    return with_reserve(plain, product.spec.reserve)


def with_reserve(terms: ProductTerms, reserve: Reserve | None) -> ProductTerms:
    """The terms with this reserve (None: no reserve); a share is kept exact, as a Fraction."""
    return replace(
        terms,
        reserve_share=Fraction(str(reserve.share)) if reserve and reserve.share is not None else None,
        reserve_amount=reserve.amount if reserve else None,
        reserve_owner=owner_label(reserve) if reserve else None,
        reserve_spec=reserve,
    )


def owner_label(reserve: Reserve) -> str:
    """Who holds a reserve, for a summary line: its owner, or its owners' names in file order."""
    if reserve.owners is not None:
        return ", ".join(reserve.owners)
    if reserve.by_segment is not None:
        return ", ".join(dict.fromkeys(reserve.by_segment.values()))
    return reserve.owner or ""


def reserve_of(terms: ProductTerms) -> int:
    """Units held back: a share is rounded down, so the reserve never exceeds what was asked."""
    if terms.reserve_amount is not None:
        return min(terms.reserve_amount, terms.supply)
    if terms.reserve_share is not None:
        return int(terms.reserve_share * terms.supply)
    return 0


def owners_of(reserve: Reserve | None) -> list[str]:
    """Everyone who holds a budget of a reserve, in file order."""
    if reserve is None:
        return []
    if reserve.owners is not None:
        return list(reserve.owners)
    if reserve.by_segment is not None:
        return list(dict.fromkeys(reserve.by_segment.values()))
    return [reserve.owner] if reserve.owner else []
