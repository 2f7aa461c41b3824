"""Pure integer apportionment: split a whole-number supply among claimants by weight.

Every method returns whole quotas with floor_i <= q_i <= cap_i that add up to
min(total, Σ effective caps); a claimant with weight 0 is held at its floor (its effective cap),
a claimant without a cap (None) has no upper bound.

Methods (see docs/apportionment.md for what each guarantees):

- Divisor methods, ``q_i = clamp(floor_i, cap_i, round_d(w_i / λ))`` for one common divisor λ,
  where x rounds up from q to q + 1 once x passes the signpost d(q):
  ``dhondt`` (Jefferson) d(q) = q + 1, ``webster`` (Sainte-Laguë) d(q) = q + 1/2,
  ``adams`` d(q) = q, ``huntington_hill`` d(q) = sqrt(q(q + 1)) (compared squared, exactly).
  Equivalently: units go one at a time to the highest priority w_i / d(q_i).
  Adams and Huntington-Hill have d(0) = 0: a claimant's first unit outranks every later unit of
  anyone. When the supply (after floors) is smaller than the number of claimants waiting for a
  first unit, first units go to the **largest weights**, and only among equal weights to the
  lowest tie-break key (d(0) is read as a vanishing ε > 0).
- ``hamilton`` (largest remainder): the capped fair share s_i = min(cap_i, w_i·μ), one μ making
  the shares add up to the supply (the fixed point of "fix whoever exceeds a cap at the cap,
  share the rest in proportion, repeat"; zero weights have s_i = 0). Every claimant starts at
  its floor and the units left go one at a time to the claimant below its cap that is owed the
  most, s_i - q_i (equal amounts: larger weight first). Without floors that is the textbook
  rule, ⌊s_i⌋ each and one more for the largest fractional parts. A floor above ⌊s_i⌋ is paid
  out of the remainder units rather than by shrinking everyone's share, as in the US House
  apportionments with a minimum of one seat per state (1880: the Alabama paradox).

Ties: claimants are tied when they compete for the last unit(s) at exactly the same priority
(divisor methods) or are owed exactly the same amount with the same weight (Hamilton), decided
with exact rational arithmetic.
**Ties go to the lowest key.** Keys come from `tiebreak_keys(seed, period, product, client_ids)`,
defined in `allocator.apportionment.tiebreak` (the rule every run uses; read it there); keys must be distinct
(two of a million 64-bit keys coincide with odds of about 3 in 100 million; `apportion` then
raises). The default key is the row index (row order), only for callers who do not care.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeGuard, TypeVar, cast

from allocator.apportionment import divisor as _divisor
from allocator.apportionment import hamilton as _hamilton
from allocator.apportionment import tiebreak
from allocator.apportionment.greedy import GroupTuple

METHODS = ("webster", "dhondt", "adams", "huntington_hill", "hamilton")

Weight = int | Fraction | float
Checked = TypeVar("Checked")


class ApportionError(ValueError):
    """Bad arguments to an apportionment; the message is one sentence naming the bad value."""


@dataclass(frozen=True)
class Group:
    """`count` interchangeable claimants sharing weight, cap (None = no cap) and floor."""

    weight: Fraction | int
    count: int
    cap: int | None = None
    floor: int = 0


@dataclass(frozen=True)
class GroupShare:
    """Every member gets `base`; `tied` members are tied for one more unit each."""

    base: int
    tied: int


def _weight(value: object, where: str) -> Fraction | int:
    if type(value) is int:
        if value < 0:
            raise ApportionError(f"{where}: must be non-negative, got {value}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction | numbers.Integral):
        raise ApportionError(f"{where}: must be an int, Fraction or float, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ApportionError(f"{where}: must be finite, got {value!r}")
    exact: Fraction | int = int(value) if isinstance(value, numbers.Integral) else Fraction(value)
    if exact < 0:
        raise ApportionError(f"{where}: must be non-negative, got {value}")
    return exact


def _is_int(value: object) -> TypeGuard[int | numbers.Integral]:
    """int or another Integral (numpy's int64 included), but not bool."""
    return type(value) is int or (isinstance(value, numbers.Integral) and not isinstance(value, bool))


def _whole(value: object, where: str) -> int:
    if not _is_int(value):
        raise ApportionError(f"{where}: must be a non-negative int, got {value!r}")
    number = int(value)
    if number < 0:
        raise ApportionError(f"{where}: must be non-negative, got {number}")
    return number


def _cap(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not _is_int(value):
        raise ApportionError(f"{where}: must be a non-negative int or None, got {value!r}")
    return _whole(value, where)


def _check_method(method: str) -> None:
    if method in METHODS:
        return
    close = difflib.get_close_matches(str(method), METHODS, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(METHODS)}"
    raise ApportionError(f"unknown apportionment method {method!r}; {hint}")


def _solve(groups: list[GroupTuple], total: int, method: str) -> tuple[list[int], list[int], int]:
    """Dispatch on validated groups: hold zero weights at their floor, cap the supply, solve."""
    floors = sum(c * f for _, c, _, f in groups)
    if floors > total:
        raise ApportionError(f"floors add up to {floors}, more than the total {total}")
    held = [(w, c, f if w == 0 else cap, f) for w, c, cap, f in groups]
    capacity = [c * cap if cap is not None else None for _, c, cap, _ in held if c > 0]
    if None not in capacity:
        total = min(total, sum(c or 0 for c in capacity))
    if method == "hamilton":
        return _hamilton.solve(held, total)
    return _divisor.solve(method, held, total)


def apportion_groups(groups: Sequence[Group], total: int, method: str = "webster") -> tuple[list[GroupShare], int]:
    """Apportion `total` among groups of interchangeable claimants.

    Returns one share per group and `extra`: that many units go one each to members tied for
    one more unit (across all groups, by the caller's tie-break). Either extra == 0 and nobody
    is tied, or 0 < extra < Σ tied; members are tied only if genuinely tied at the boundary.
    """
    _check_method(method)
    supply = _whole(total, "total")
    checked: list[GroupTuple] = []
    for i, group in enumerate(groups):
        weight = _weight(group.weight, f"groups[{i}].weight")
        count = _whole(group.count, f"groups[{i}].count")
        cap = _cap(group.cap, f"groups[{i}].cap")
        floor = _whole(group.floor, f"groups[{i}].floor")
        if cap is not None and floor > cap:
            raise ApportionError(f"groups[{i}].floor: {floor} is above the cap {cap}")
        checked.append((weight, count, cap, floor))
    bases, tied, extra = _solve(checked, supply, method)
    return [GroupShare(b, t) for b, t in zip(bases, tied, strict=True)], extra


def _plain_ints(values: Sequence[object], *, none_ok: bool) -> bool:
    """Fast path: all values are non-negative built-in ints (or None where allowed)."""
    present = [v for v in values if v is not None] if none_ok else values
    return all(type(v) is int for v in present) and min(cast("list[int]", present), default=0) >= 0


def _column(values: Sequence[object], size: int, name: str, check: Callable[[object, str], Checked]) -> list[Checked]:
    """Check a per-claimant column; each distinct (type, value) once, as columns repeat values."""
    if len(values) != size:
        raise ApportionError(f"{name}: expected {size} values (one per weight), got {len(values)}")
    if _plain_ints(values, none_ok=check is _cap):
        return cast("list[Checked]", list(values))
    memo: dict[tuple[type, object], Checked] = {}
    out: list[Checked] = []
    for i, value in enumerate(values):
        key = (type(value), value)
        try:
            out.append(memo[key])
        except KeyError:
            memo[key] = checked = check(value, f"{name}[{i}]")
            out.append(checked)
        except TypeError:  # unhashable: let the check name the problem
            out.append(check(value, f"{name}[{i}]"))
    return out


def apportion(
    weights: Sequence[Weight],
    total: int,
    *,
    caps: Sequence[int | None] | None = None,
    floors: Sequence[int] | None = None,
    method: str = "webster",
    tiebreak: Sequence[int] | None = None,
) -> list[int]:
    """Whole quotas for `weights` adding up to min(total, Σ caps); ties go to the lowest key."""
    _check_method(method)
    supply = _whole(total, "total")
    size = len(weights)
    exact = _column(weights, size, "weights", _weight)
    cap_list = [None] * size if caps is None else _column(caps, size, "caps", _cap)
    floor_list = [0] * size if floors is None else _column(floors, size, "floors", _whole)
    keys = _keys(tiebreak, size)

    index: dict[tuple[Fraction | int, int | None, int], int] = {}
    member_of = [index.setdefault(k, len(index)) for k in zip(exact, cap_list, floor_list, strict=True)]
    for w, cap, floor in index:
        if cap is not None and floor > cap:
            i = member_of.index(index[w, cap, floor])
            raise ApportionError(f"floors[{i}]: {floor} is above the cap {cap}")
    counts = [0] * len(index)
    for g in member_of:
        counts[g] += 1
    groups = [(w, counts[g], cap, f) for g, (w, cap, f) in enumerate(index)]
    bases, tied, extra = _solve(groups, supply, method)

    quotas = [bases[g] for g in member_of]
    if extra:
        contenders = [i for i, g in enumerate(member_of) if tied[g]]
        contenders.sort(key=keys.__getitem__)
        for i in contenders[:extra]:
            quotas[i] += 1
    return quotas


def _keys(tiebreak: Sequence[int] | None, size: int) -> Sequence[int]:
    if tiebreak is None:
        return range(size)
    if len(tiebreak) != size:
        raise ApportionError(f"tiebreak: expected {size} keys (one per weight), got {len(tiebreak)}")
    if all(type(key) is int for key in tiebreak):
        keys = list(tiebreak)
    else:
        for i, key in enumerate(tiebreak):
            if not _is_int(key):
                raise ApportionError(f"tiebreak[{i}]: must be an int, got {key!r}")
        keys = [int(key) for key in tiebreak]
    if len(set(keys)) != size:
        seen: dict[int, int] = {}
        for i, key in enumerate(keys):
            if key in seen:
                raise ApportionError(f"tiebreak[{i}]: key {key} repeats tiebreak[{seen[key]}]")
            seen[key] = i
    return keys


def tiebreak_keys(seed: int, period: str, product: str, client_ids: Sequence[str]) -> list[int]:
    """One tie-break key per client: BLAKE2b-64 of (seed, period, product, client id)."""
    if not _is_int(seed):
        raise ApportionError(f"seed: must be an int, got {seed!r}")
    for name, text in (("period", period), ("product", product)):
        if not isinstance(text, str):
            raise ApportionError(f"{name}: must be a str, got {text!r}")
    if not all(isinstance(cid, str) for cid in client_ids):
        bad = next(i for i, cid in enumerate(client_ids) if not isinstance(cid, str))
        raise ApportionError(f"client_ids[{bad}]: must be a str, got {client_ids[bad]!r}")
    return tiebreak.unchecked_keys(int(seed), period, product, list(client_ids))
