"""The report tests' HTML reader, shared with tests/report."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.report.conftest import Page


@pytest.fixture(scope="session")
def read_page() -> Callable[[str], Page]:
    return Page
