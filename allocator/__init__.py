"""Allocator: allocate scarce products to clients by tier.

The few public names: `apportion` (integer apportionment with caps, floors and a named method),
`load_rules` (read and check a tiering and an allocation file together) and `run_scenario`.
"""

__version__ = "0.1.0"

from allocator.apportion import apportion
from allocator.runner import run_scenario
from allocator.scenarios import load_rules

__all__ = ["__version__", "apportion", "load_rules", "run_scenario"]
