"""The FastAPI example serves the Rust breakers' snapshot in the seed's shape."""

import importlib.util
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from staunch import LLM_CIRCUIT_BREAKER, CircuitBreaker

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "dashboard.py"


@pytest.fixture(scope="module")
def client():
    spec = importlib.util.spec_from_file_location("dashboard_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return TestClient(module.app)


def test_the_presets_are_listed_closed(client):
    circuits = client.get("/api/v1/circuits").json()
    for name in ("llm", "mcp", "database"):
        assert circuits[name]["state"] == "closed"
        assert circuits[name]["failure_count"] == 0


def test_a_tripped_breaker_and_a_failing_preset_show_at_once(client, clock):
    orders = CircuitBreaker(failure_threshold=1, recovery_timeout=10, name="orders")

    @orders
    def place_order():
        raise ConnectionError("down")

    @LLM_CIRCUIT_BREAKER
    async def complete():
        raise TimeoutError("slow")

    with pytest.raises(ConnectionError):
        place_order()
    import asyncio

    with pytest.raises(TimeoutError):
        asyncio.run(complete())
    circuits = client.get("/api/v1/circuits").json()
    assert circuits["orders"]["state"] == "open"
    assert circuits["orders"]["retry_in"] == 10.0
    assert circuits["llm"]["failure_count"] == 1
    clock.advance(10)
    assert client.get("/api/v1/circuits").json()["orders"]["state"] == "half_open"
