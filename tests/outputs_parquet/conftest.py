"""The shops scenario of tests/outputs_files (its fixtures, imported here), run with either format."""

from __future__ import annotations

from tests.outputs_files.conftest import run_to, shops

__all__ = ["run_to", "shops"]
