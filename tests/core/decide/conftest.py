"""Fixtures for tests/core/decide (helpers live in decide_fixtures.py)."""

from __future__ import annotations

import pytest
from decide_fixtures import make_catalog, make_prices

from studio.core.decide.platforms import PlatformCatalog
from studio.core.tokens.prices import PriceTable


@pytest.fixture
def prices() -> PriceTable:
    return make_prices()


@pytest.fixture
def catalog() -> PlatformCatalog:
    return make_catalog()
