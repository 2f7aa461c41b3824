"""Allocator: allocate scarce products to clients by tier.

The few public names: `apportion` (integer apportionment with caps, floors and a named method),
`load_rules` (read and check a tiering and an allocation file together), `load_scenario` (every
input of a run, read and checked), `run` (tiers and quotas of a loaded scenario, nothing
written) and `run_scenario` (both). They are imported on first use, so `allocator --help` starts without polars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "apportion": "allocator.apportionment.methods",
    "load_rules": "allocator.inputs.scenarios",
    "load_scenario": "allocator.inputs.scenarios",
    "run": "allocator.pipeline.run",
    "run_scenario": "allocator.pipeline.run",
}

if TYPE_CHECKING:
    from allocator.apportionment.methods import apportion
    from allocator.inputs.scenarios import load_rules, load_scenario
    from allocator.pipeline.run import run, run_scenario


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'allocator' has no attribute {name!r}")


__all__ = ["__version__", "apportion", "load_rules", "load_scenario", "run", "run_scenario"]
