"""Shared test set-up: hypothesis profiles (`dev` for quick local runs, `ci` for `make test`, `fuzz` for long runs).

The fuzz tests (tests/fuzz/) scale their example counts by the loaded profile's max_examples
(ci = 300 is the unit), so `--hypothesis-profile=fuzz` runs ten times the ci budget.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=3000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("dev")
