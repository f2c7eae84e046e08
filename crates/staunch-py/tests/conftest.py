"""Every test runs on a fresh fake clock (no test waits) with the presets closed."""

import pytest

from staunch import DATABASE_CIRCUIT_BREAKER, LLM_CIRCUIT_BREAKER, MCP_CIRCUIT_BREAKER
from staunch.testing import FakeClock


@pytest.fixture(autouse=True)
def clock():
    for preset in (LLM_CIRCUIT_BREAKER, MCP_CIRCUIT_BREAKER, DATABASE_CIRCUIT_BREAKER):
        preset.reset()
    with FakeClock() as fake:
        yield fake
