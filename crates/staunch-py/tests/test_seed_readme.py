"""The seed README's examples, as they are, with only the import line changed
(`from src.utils.resilience import ...` became `from staunch import ...`).

The examples call the user's own clients (`llm_client`, `mcp_client`, `db`, `api_client`),
a structured `logger`, a FastAPI `app` and a response cache; the stand-ins below play them,
failing on demand. The examples themselves sit between the two marker comments.
"""

import asyncio

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


class Script:
    """A stand-in dependency: fails with the queued exceptions, then answers."""

    def __init__(self):
        self.failures = []
        self.calls = 0

    def fail_with(self, *exceptions):
        self.failures.extend(exceptions)

    def answer(self, value):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return value


class LLMClient(Script):
    async def generate(self, prompt):
        return self.answer(f"echo: {prompt}")


class MCPClient(Script):
    async def call_tool(self, tool, args):
        return self.answer({"tool": tool, "args": args})


class Database(Script):
    async def execute(self, sql):
        return self.answer([("row", sql)])

    def fetch_one(self, sql, *params):
        return self.answer({"sql": sql, "params": params})


class APIClient(Script):
    async def get(self, path):
        return self.answer({"path": path})


class Logger:
    def __init__(self):
        self.records = []

    def info(self, event, **fields):
        self.records.append(("info", event, fields))

    def warning(self, event, **fields):
        self.records.append(("warning", event, fields))


llm_client = LLMClient()
mcp_client = MCPClient()
db = Database()
api_client = APIClient()
logger = Logger()
app = FastAPI()
cache = {"hello": "cached: hello"}


def get_cached_response(message):
    return cache.get(message, "cached: unavailable")


# ---- the seed README's examples ---------------------------------------------------------
from staunch import (
    retry_on_exception,
    retry_with_jitter,
    CircuitBreaker,
    CircuitBreakerError,
    CircuitState,
    resilient,
    LLM_CIRCUIT_BREAKER,
    MCP_CIRCUIT_BREAKER,
    DATABASE_CIRCUIT_BREAKER,
)


# Retry transient errors with exponential backoff (1s, 2s, 4s ... up to 10s)
@retry_on_exception(max_attempts=3, wait_min=1.0, wait_max=10.0, exception_types=(TimeoutError, ConnectionError))
async def call_llm(prompt: str) -> str:
    return await llm_client.generate(prompt)


# Exponential backoff with jitter, against thundering herds
@retry_with_jitter(max_attempts=5, base_wait=2.0, max_wait=10.0, jitter=True)
async def call_mcp_tool(tool: str, args: dict) -> dict:
    return await mcp_client.call_tool(tool, args)


# A circuit breaker: opens after 5 failures, tries again after 60 seconds
breaker = CircuitBreaker(failure_threshold=5, recovery_timeout=60, expected_exception=Exception)


@breaker
async def query_database(sql: str) -> list:
    return await db.execute(sql)


def database_status() -> str:
    if breaker.state == CircuitState.OPEN:
        logger.warning("Database circuit is open", failure_count=breaker.failure_count)
    return breaker.state.value


# Retry and circuit breaker combined
@resilient(max_attempts=3, failure_threshold=5, recovery_timeout=60, exception_types=(TimeoutError, ConnectionError))
async def fetch_user(user_id: int) -> dict:
    return await api_client.get(f"/users/{user_id}")


# Predefined circuit breakers for LLM, MCP and database calls
class ChatService:
    @LLM_CIRCUIT_BREAKER
    @retry_on_exception(max_attempts=3, exception_types=(TimeoutError, ConnectionError))
    async def chat(self, message: str) -> str:
        return await llm_client.generate(message)

    @MCP_CIRCUIT_BREAKER
    async def use_tool(self, tool: str, args: dict) -> dict:
        return await mcp_client.call_tool(tool, args)


class DatabaseService:
    @DATABASE_CIRCUIT_BREAKER
    @retry_on_exception(max_attempts=3, wait_min=0.5, wait_max=5.0, exception_types=(TimeoutError, ConnectionError))
    def get_user(self, user_id: int) -> dict:
        return db.fetch_one("SELECT * FROM users WHERE id = %s", user_id)


chat_service = ChatService()


# Graceful degradation: fall back to a cached response when the circuit is open
async def chat_with_fallback(message: str) -> str:
    try:
        return await chat_service.chat(message)
    except CircuitBreakerError:
        logger.warning("LLM circuit open, using cached response")
        return get_cached_response(message)


# Monitoring
@app.get("/api/v1/circuits")
async def get_circuit_states():
    return {
        "llm": {"state": LLM_CIRCUIT_BREAKER.state.value, "failure_count": LLM_CIRCUIT_BREAKER.failure_count},
        "mcp": {"state": MCP_CIRCUIT_BREAKER.state.value, "failure_count": MCP_CIRCUIT_BREAKER.failure_count},
        "database": {"state": DATABASE_CIRCUIT_BREAKER.state.value, "failure_count": DATABASE_CIRCUIT_BREAKER.failure_count},
    }


async def monitor_circuits():
    while True:
        logger.info("Circuit state", state=LLM_CIRCUIT_BREAKER.state.value, failure_count=LLM_CIRCUIT_BREAKER.failure_count)
        await asyncio.sleep(60)
# ---- end of the seed README's examples --------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_stand_ins():
    for script in (llm_client, mcp_client, db, api_client):
        script.failures.clear()
        script.calls = 0
    logger.records.clear()
    breaker.reset()
    fetch_user.breaker.reset()


async def test_call_llm_retries_transient_errors_with_the_seed_waits(clock):
    llm_client.fail_with(TimeoutError("slow"), ConnectionError("reset"))
    assert await call_llm("hi") == "echo: hi"
    assert llm_client.calls == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_call_llm_gives_up_after_three_attempts_with_a_retry_error(clock):
    import tenacity

    llm_client.fail_with(*[TimeoutError("slow")] * 3)
    with pytest.raises(tenacity.RetryError) as caught:
        await call_llm("hi")
    assert isinstance(caught.value.last_attempt.exception(), TimeoutError)
    assert caught.value.last_attempt.attempt_number == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_call_llm_does_not_retry_other_errors(clock):
    llm_client.fail_with(ValueError("bad prompt"))
    with pytest.raises(ValueError, match="bad prompt"):
        await call_llm("hi")
    assert llm_client.calls == 1
    assert clock.sleeps == []


async def test_call_mcp_tool_waits_with_jitter_never_above_max_wait(clock):
    mcp_client.fail_with(*[ConnectionError("down")] * 4)
    assert await call_mcp_tool("search", {"q": "x"}) == {"tool": "search", "args": {"q": "x"}}
    assert len(clock.sleeps) == 4
    assert all(2.0 <= wait <= 10.0 for wait in clock.sleeps)


async def test_breaker_opens_after_five_failures_and_recovers_after_sixty_seconds(clock):
    db.fail_with(*[TimeoutError("db timeout")] * 5)
    for _ in range(5):
        with pytest.raises(TimeoutError):
            await query_database("SELECT 1")
    assert database_status() == "open"
    assert logger.records == [("warning", "Database circuit is open", {"failure_count": 5})]
    with pytest.raises(CircuitBreakerError):
        await query_database("SELECT 1")
    assert db.calls == 5
    clock.advance(60)
    assert breaker.state == CircuitState.HALF_OPEN
    assert await query_database("SELECT 1") == [("row", "SELECT 1")]
    assert database_status() == "closed"


async def test_fetch_user_retries_then_opens_its_circuit(clock):
    api_client.fail_with(ConnectionError("reset"))
    assert await fetch_user(7) == {"path": "/users/7"}
    assert clock.sleeps == [1.0]
    import tenacity

    api_client.fail_with(*[ConnectionError("reset")] * 6)
    for _ in range(2):  # 3 attempts, then 2 that open the circuit (5 failures in a row)
        with pytest.raises(tenacity.RetryError):
            await fetch_user(7)
    assert api_client.calls == 2 + 5
    assert fetch_user.breaker.state == CircuitState.OPEN
    calls = api_client.calls
    with pytest.raises(CircuitBreakerError):
        await fetch_user(7)
    assert api_client.calls == calls


async def test_chat_falls_back_to_the_cache_while_the_llm_circuit_is_open(clock):
    LLM_CIRCUIT_BREAKER.force_open()
    assert await chat_with_fallback("hello") == "cached: hello"
    assert logger.records == [("warning", "LLM circuit open, using cached response", {})]
    assert llm_client.calls == 0
    LLM_CIRCUIT_BREAKER.reset()
    assert await chat_with_fallback("hello") == "echo: hello"


async def test_chat_service_methods_share_the_presets_with_other_functions(clock):
    mcp_client.fail_with(KeyError("no tool"), LookupError("gone"), ConnectionError("down"))
    for _ in range(3):
        with pytest.raises(Exception):
            await chat_service.use_tool("t", {})
    # The MCP preset opens after 3 failures, whatever their types.
    assert MCP_CIRCUIT_BREAKER.state == CircuitState.OPEN
    with pytest.raises(CircuitBreakerError):
        await chat_service.use_tool("t", {})


def test_database_service_is_sync_and_retried_behind_the_database_preset(clock):
    db.fail_with(ConnectionError("pool"))
    service = DatabaseService()
    assert service.get_user(1) == {"sql": "SELECT * FROM users WHERE id = %s", "params": (1,)}
    assert clock.sleeps == [0.5]
    assert DATABASE_CIRCUIT_BREAKER.failure_count == 0


def test_the_dashboard_endpoint_returns_the_seed_shape(clock):
    MCP_CIRCUIT_BREAKER.force_open()
    response = TestClient(app).get("/api/v1/circuits")
    assert response.status_code == 200
    assert response.json() == {
        "llm": {"state": "closed", "failure_count": 0},
        "mcp": {"state": "forced_open", "failure_count": 0},
        "database": {"state": "closed", "failure_count": 0},
    }


async def test_the_monitor_loop_logs_the_llm_state_every_minute(clock):
    task = asyncio.ensure_future(monitor_circuits())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert logger.records == [("info", "Circuit state", {"state": "closed", "failure_count": 0})]
