"""tier_amounts: the work is bounded by what can be handed out, and what cannot be proved is refused.

Each hostile case runs in a child process under an address-space limit (RLIMIT_AS), so a solver
that grows with the raw supply fails with MemoryError instead of eating the machine; the timeout
only turns a hang into a failure, it measures nothing.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap

import pytest

SAFETY_TIMEOUT = 300  # seconds; only so that a hang fails the test
ADDRESS_SPACE = 3 * 2**30  # bytes for the child: numpy plus a bounded solver fit easily


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_in_child(code: str) -> str:
    """Run `code` (solve_tier_amounts and TierDemand imported) in a memory-bounded child: its stdout."""
    code = "from allocator.apportionment.tier_amounts import TierAmountsTooLarge, TierDemand, solve_tier_amounts\n" + textwrap.dedent(
        code
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT,
        preexec_fn=_limit_memory,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def solve_in_child(call: str) -> str:
    """The repr of `call`'s result in a memory-bounded child, or the class and message of a refusal."""
    return run_in_child(f"""
        try:
            print(repr({call}))
        except TierAmountsTooLarge as exc:
            print(type(exc).__name__, exc)
    """)


FIVE_CAPPED = "[TierDemand(f'D{5 - i}', {5: 30, 9: 2}) for i in range(5)]"


@pytest.mark.parametrize("target", ["at_most", "nearest"])
def test_a_huge_supply_with_order_caps_gives_every_client_its_cap(target: str) -> None:
    # every client is capped (30 at 5, 2 at 9 in each tier): the most anyone can receive is
    # 5 * (30 * 5 + 2 * 9) = 840, reached by the amount 9 everywhere (the smallest that fills them)
    got = solve_in_child(f"solve_tier_amounts({FIVE_CAPPED}, 10**12, target={target!r})")
    assert got == "TierAmounts(amounts=(9, 9, 9, 9, 9), total=840)\n"


def test_a_huge_supply_with_order_caps_and_entitlement_shape() -> None:
    got = solve_in_child(f"solve_tier_amounts({FIVE_CAPPED}, 10**12, shape='entitlement', entitlement=[5, 4, 3, 2, 1])")
    # H(lam) is full from lam = 9 (the worst tier's cap 9 over its entitlement 1): ideal 9 * e,
    # which every client's cap already fills, so the deviation is 0
    assert got == "TierAmounts(amounts=(45, 36, 27, 18, 9), total=840)\n"


def test_a_max_per_client_of_a_billion_with_a_trillion_supply_is_refused() -> None:
    got = solve_in_child(
        "solve_tier_amounts([TierDemand(f'D{5 - i}', {None: 3000}) for i in range(5)], 10**12, max_amount=10**9)"
    )
    # totals up to the supply 10**12 (the caps add up to 1.5e13); tier s may need up to
    # 10**12 // (3000 s) amounts: 333,333,333 + 1, 166,666,666 + 1, ...; the table keeps
    # 4 tiers x (10**12 + 1) totals at 4 bytes (amounts above 2**16)
    steps = (333_333_334 + 166_666_667 + 111_111_112 + 83_333_334 + 66_666_667) * (10**12 + 1)
    assert got == (
        f"TierAmountsTooLarge proving the optimal tier amounts needs {steps:,} steps and "
        f"{4 * (10**12 + 1) * 4:,} bytes of tables (5 tiers, up to 333,333,334 amounts a tier, "
        "totals up to 1,000,000,000,000), above the limits of 8,589,934,592 steps and 268,435,456 bytes: "
        "give clients caps (an order_column or max_per_client), or a smaller supply\n"
    )


def test_a_million_units_for_fifteen_uncapped_clients_is_refused() -> None:
    got = solve_in_child("solve_tier_amounts([TierDemand(f'D{5 - i}', {None: 3}) for i in range(5)], 10**6)")
    # tier s may need up to 10**6 // (3 s) amounts; the table keeps 4 tiers x (10**6 + 1) totals
    # at 4 bytes (amounts above 2**16)
    steps = (333_334 + 166_667 + 111_112 + 83_334 + 66_667) * (10**6 + 1)
    assert got == (
        f"TierAmountsTooLarge proving the optimal tier amounts needs {steps:,} steps and "
        f"{4 * (10**6 + 1) * 4:,} bytes of tables (5 tiers, up to 333,334 amounts a tier, "
        "totals up to 1,000,000), above the limits of 8,589,934,592 steps and 268,435,456 bytes: "
        "give clients caps (an order_column or max_per_client), or a smaller supply\n"
    )


def test_a_modest_uncapped_supply_is_still_solved_exactly() -> None:
    # 15 uncapped clients in 5 tiers of 3: 3 * (a1 + ... + a5) = 30,000 with a flat 2,000 each
    got = solve_in_child("solve_tier_amounts([TierDemand(f'D{5 - i}', {None: 3}) for i in range(5)], 30_000)")
    assert got == "TierAmounts(amounts=(2000, 2000, 2000, 2000, 2000), total=30000)\n"


ONE_CLIENT_TRILLION = (
    # one uncapped client: one amount per total, totals up to 10**12, no table (a single tier)
    f"proving the optimal tier amounts needs {(10**12 + 1) ** 2:,} steps and 0 bytes of tables "
    "(1 tiers, up to 1,000,000,000,001 amounts a tier, totals up to 1,000,000,000,000), above the limits "
    "of 8,589,934,592 steps and 268,435,456 bytes: give clients caps (an order_column or max_per_client), "
    "or a smaller supply"
)


def test_the_refusal_is_a_user_error() -> None:
    # the solver's own refusal is a ValueError (apportionment knows nothing of the tool's errors) ...
    got = run_in_child("""
        try:
            solve_tier_amounts([TierDemand("D1", {None: 1})], 10**12)
        except ValueError as exc:
            print(type(exc).__name__, exc)
    """)
    assert got == f"TierAmountsTooLarge {ONE_CLIENT_TRILLION}\n"
    # ... which allocation reports as a user error, naming the product and the ladder; tier B of the
    # ladder (no client: one amount, 0) is part of the proof too, so 2 tiers and one table
    got = allocate_in_child("[('a', 'A', None)]", "Product(id='p', supply=10**12, policy='tier_amounts')")
    totals = 10**12 + 1
    assert got == (
        f"product p, ladder shops: proving the optimal tier amounts needs {totals * (totals + 1):,} steps and "
        f"{totals * 8:,} bytes of tables (2 tiers, up to 1,000,000,000,001 amounts a tier, totals up to "
        "1,000,000,000,000), above the limits of 8,589,934,592 steps and 268,435,456 bytes: give clients caps "
        "(an order_column or max_per_client), or a smaller supply\n"
    )


ALLOCATE = """
    import polars as pl
    from allocator.inputs.product_terms import terms_of
    from allocator.pipeline.allocation import TieredClients, allocate_product
    from allocator.inputs.product_rules import ProductRules
    from allocator.errors import AllocatorError
    from allocator.inputs.models import Product

    table = pl.DataFrame(
        [(c, "shops", t, o) for c, t, o in ROWS],
        schema={"client_id": pl.String, "ladder": pl.String, "tier": pl.String, "order": pl.Int64},
        orient="row",
    )
    ctx = TieredClients.build(table, table.select("client_id", "ladder", "tier"), {"shops": ("A", "B")}, 1, "P", "grouped")
    product = ProductRules(SPEC, None, None, (), {"shops": ("A", "B")})
    try:
        result = allocate_product(product, terms_of(product), ctx)
        print(result.tier_amounts, result.quotas["quota"].to_list(), result.allocated, result.unallocated)
    except AllocatorError as exc:
        print(exc)
"""


def allocate_in_child(rows: str, spec: str) -> str:
    setup = f"from allocator.inputs.models import Product\nROWS = {rows}\nSPEC = {spec}\n"
    return run_in_child(setup + textwrap.dedent(ALLOCATE))


def test_allocation_with_a_trillion_supply_meets_every_order() -> None:
    got = allocate_in_child(
        "[('a', 'A', 7), ('b', 'B', 3)]", "Product(id='p', supply=10**12, order_column='order', policy='tier_amounts')"
    )
    assert got == f"{{('shops', 'A'): 7, ('shops', 'B'): 3}} [7, 3] 10 {10**12 - 10}\n"


def test_allocation_names_the_product_and_ladder_it_refuses() -> None:
    got = allocate_in_child(
        "[('a', 'A', None), ('b', 'B', None)]", "Product(id='zhonghua', supply=10**12, policy='tier_amounts')"
    )
    # two uncapped clients, one a tier: b_1 = 10**12 (tier A alone), b_2 = 5 * 10**11
    steps = (10**12 + 1 + 5 * 10**11 + 1) * (10**12 + 1)
    assert got == (
        f"product zhonghua, ladder shops: proving the optimal tier amounts needs {steps:,} steps and "
        f"{(10**12 + 1) * 8:,} bytes of tables (2 tiers, up to 1,000,000,000,001 amounts a tier, "
        "totals up to 1,000,000,000,000), above the limits of 8,589,934,592 steps and 268,435,456 bytes: "
        "give clients caps (an order_column or max_per_client), or a smaller supply\n"
    )
