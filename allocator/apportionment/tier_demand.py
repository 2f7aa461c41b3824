"""The demand of one tier as the tier-amount solvers read it: clients by cap and by multiplier.

A tier is passed as histograms, never as clients: `TierDemand(name, {cap: clients})`, cap None for
an uncapped client, and in `multiplied` the clients who receive a multiple of the tier's amount,
`{(cap, factor): clients}` (a client with factor k and cap c receives min(k * amount, c); the remark
两周一访上浮100% is factor 2). Inside, a tier is a `_Tier`: the factors of its uncapped clients added
up, and its capped groups (cap, factor, clients) with max_amount folded in as a cap of factor *
max_amount, which is what a bound on the amount means for such a client.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TierDemand:
    """The clients of one tier: cap -> number of clients with that cap (None = uncapped), and in
    `multiplied` the clients who get a multiple of the amount: (cap, factor) -> clients."""

    name: str
    caps: Mapping[int | None, int]
    # a client with factor k receives min(k * amount, cap): 两周一访上浮100% is factor 2
    multiplied: Mapping[tuple[int | None, int], int] = field(default_factory=dict)


class TierAmountsError(ValueError):
    """Invalid tiers, supply or options given to the tier-amounts solver."""


@dataclass(frozen=True)
class _Tier:
    """A tier's demand as client groups; max_amount already folded in as a cap of factor * max_amount."""

    uncapped: int  # the uncapped clients' factors added up: f grows by this much per unit far out
    capped: tuple[tuple[int, int, int], ...]  # (cap, factor, clients), ascending, clients > 0
    clients: int = 0  # every client of the tier, a cap of 0 included

    @property
    def saturation(self) -> int | None:
        """The amount from which the tier's quota stops growing; None if it never does."""
        if self.uncapped:
            return None
        return max((-(-cap // k) for cap, k, _ in self.capped), default=0)

    def quota(self, amount: int) -> int:
        """f(a): what the tier's clients receive in all at amount a."""
        return self.uncapped * amount + sum(n * min(k * amount, cap) for cap, k, n in self.capped)

    def quotas(self, lo: int, hi: int) -> list[int]:
        """[f(lo), ..., f(hi)], incrementally: a group (cap, k, n) adds n * k on each step a -> a + 1
        while k * (a + 1) <= cap, n * (cap mod k) on the step that fills it, then nothing."""
        if hi < lo:
            return []
        groups = sorted((cap // k, n * k, n * (cap % k)) for cap, k, n in self.capped)
        ends = [full for full, _, _ in groups]
        i = bisect_right(ends, lo)  # groups[i:] are still growing fully on the step from lo
        slope = self.uncapped + sum(step for _, step, _ in groups[i:])
        partial: dict[int, int] = {}
        for full, _, rest in groups:
            if rest:
                partial[full] = partial.get(full, 0) + rest
        value = self.quota(lo)
        out = [value]
        for a in range(lo, hi):  # the step a -> a + 1
            while i < len(ends) and ends[i] <= a:
                slope -= groups[i][1]
                i += 1
            value += slope + partial.get(a, 0) if partial else slope
            out.append(value)
        return out


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= 0


def _groups(where: str, demand: TierDemand) -> list[tuple[int | None, int, int]]:
    """(cap, factor, clients) for every entry of the tier, or the first problem as a TierAmountsError."""
    out: list[tuple[int | None, int, int]] = []
    for cap, clients in demand.caps.items():
        if cap is not None and not _is_count(cap):
            raise TierAmountsError(f"{where}: cap {cap!r} must be an int >= 0 or None")
        if not _is_count(clients):
            raise TierAmountsError(f"{where}: clients with cap {cap!r} must be an int >= 0, got {clients!r}")
        out.append((cap, 1, clients))
    for key, clients in demand.multiplied.items():
        if not isinstance(key, tuple) or len(key) != 2:
            raise TierAmountsError(f"{where}: multiplied key {key!r} must be a (cap, factor) pair")
        cap, factor = key
        if not _is_count(factor) or factor < 1:
            raise TierAmountsError(f"{where}: factor {factor!r} must be an int >= 1")
        if cap is not None and not _is_count(cap):
            raise TierAmountsError(
                f"{where}: cap {cap!r} of the clients with factor {factor} must be an int >= 0 or None"
            )
        if not _is_count(clients):
            raise TierAmountsError(
                f"{where}: clients with cap {cap!r} and factor {factor} must be an int >= 0, got {clients!r}"
            )
        out.append((cap, factor, clients))
    return out


def _tier(index: int, demand: TierDemand, max_amount: int | None, where: str | None = None) -> _Tier:
    where = where or f"tiers[{index}] (name={demand.name})"
    uncapped = everyone = 0
    capped: dict[tuple[int, int], int] = {}
    for cap, factor, clients in _groups(where, demand):
        everyone += clients
        if clients == 0:
            continue
        bound = None if max_amount is None else factor * max_amount  # max_amount bounds the amount
        limit = cap if bound is None else bound if cap is None else min(cap, bound)
        if limit is None:
            uncapped += factor * clients
        else:
            capped[limit, factor] = capped.get((limit, factor), 0) + clients
    return _Tier(uncapped, tuple(sorted((cap, k, n) for (cap, k), n in capped.items())), everyone)


def _non_negative_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TierAmountsError(f"{name} must be an int >= 0, got {value!r}")
