"""The seed's semantics, each for plain functions, `async def` functions and methods."""

import asyncio
import functools
import os
import subprocess
import sys
import threading
import traceback

import pytest
import tenacity

import staunch
from staunch import (
    MCP_CIRCUIT_BREAKER,
    CircuitBreaker,
    CircuitBreakerError,
    CircuitState,
    ResilienceSettings,
    RetryError,
    resilient,
    retry_on_exception,
    retry_with_jitter,
)


def call(func, *args):
    """Calls `func` and runs its coroutine, if it returns one, to the end."""
    result = func(*args)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    return result


def failing(errors, value="ok", kind="sync"):
    """A function of `kind` ("sync", "async" or "method") that raises `errors` in turn,
    then returns `value`; `.calls` counts its calls."""
    errors = list(errors)
    calls = []

    def body():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return value

    if kind == "sync":
        def plain():
            return body()
        plain.calls = calls
        return plain

    if kind == "async":
        async def coroutine():
            await asyncio.sleep(0)
            return body()
        coroutine.calls = calls
        return coroutine

    class Service:
        def method(self):
            assert isinstance(self, Service)
            return body()
    Service.calls = calls
    return Service


def decorate(decorator, func):
    """Applies `decorator` to `func`; for a method, to the method of its class, and
    returns a bound method of a fresh instance."""
    if isinstance(func, type):
        func.method = decorator(func.method)
        bound = functools.partial(func().method)
        bound.calls = func.calls
        return bound
    wrapped = decorator(func)
    wrapped.calls = func.calls
    return wrapped


KINDS = ["sync", "async", "method"]


@pytest.mark.parametrize("kind", KINDS)
def test_retries_wait_one_two_four_seconds(clock, kind):
    func = decorate(retry_on_exception(max_attempts=4), failing([ConnectionError()] * 3, kind=kind))
    assert call(func) == "ok"
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(func.calls) == 4


@pytest.mark.parametrize("kind", KINDS)
def test_waits_double_up_to_wait_max(clock, kind):
    func = decorate(retry_on_exception(max_attempts=7), failing([OSError()] * 6, kind=kind))
    assert call(func) == "ok"
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


@pytest.mark.parametrize("kind", KINDS)
def test_exhausted_attempts_raise_a_retry_error_that_tenacity_catches(clock, kind):
    last = TimeoutError("third")
    func = decorate(retry_on_exception(), failing([TimeoutError("1"), TimeoutError("2"), last], kind=kind))
    with pytest.raises(tenacity.RetryError) as caught:
        call(func)
    error = caught.value
    assert isinstance(error, RetryError)
    assert error.last_attempt.attempt_number == 3 and error.attempts == 3
    assert error.last_attempt.exception() is last and error.__cause__ is last
    assert error.elapsed == 3.0  # waits of 1 s and 2 s on the fake clock
    with pytest.raises(TimeoutError, match="third"):
        error.reraise()
    assert clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("kind", KINDS)
def test_subclasses_of_the_listed_types_are_retried(clock, kind):
    func = decorate(
        retry_on_exception(exception_types=(OSError,)),
        failing([ConnectionResetError(), FileNotFoundError()], kind=kind),
    )
    assert call(func) == "ok"
    assert len(func.calls) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_other_exceptions_are_reraised_unchanged_with_their_traceback(clock, kind):
    original = KeyError("missing")
    func = decorate(
        retry_on_exception(exception_types=(TimeoutError, ConnectionError)),
        failing([original], kind=kind),
    )
    with pytest.raises(KeyError) as caught:
        call(func)
    assert caught.value is original
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert frames[-1] == "body"
    assert len(func.calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize("kind", KINDS)
def test_jittered_waits_never_exceed_max_wait_and_stay_random(clock, kind):
    func = decorate(
        retry_with_jitter(max_attempts=40, base_wait=2.0, max_wait=10.0),
        failing([ConnectionError()] * 39, kind=kind),
    )
    assert call(func) == "ok"
    assert len(clock.sleeps) == 39
    assert all(2.0 <= wait <= 10.0 for wait in clock.sleeps)
    assert len(set(clock.sleeps[3:])) > 1  # still random once the ceiling is the cap


@pytest.mark.parametrize("kind", KINDS)
def test_jitter_false_waits_exactly(clock, kind):
    func = decorate(
        retry_with_jitter(max_attempts=5, base_wait=2.0, max_wait=10.0, jitter=False),
        failing([ConnectionError()] * 4, kind=kind),
    )
    assert call(func) == "ok"
    assert clock.sleeps == [2.0, 4.0, 8.0, 10.0]


@pytest.mark.parametrize("kind", KINDS)
def test_circuit_opens_after_the_threshold_and_rejects_without_calling(clock, kind):
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=60)
    func = decorate(breaker, failing([ConnectionError()] * 3, kind=kind))
    for count in range(1, 4):
        with pytest.raises(ConnectionError):
            call(func)
        assert breaker.failure_count == count
    assert breaker.state == CircuitState.OPEN and breaker.state.value == "open"
    with pytest.raises(CircuitBreakerError) as rejected:
        call(func)
    assert rejected.value.retry_after == 60.0
    assert len(func.calls) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_only_expected_exceptions_count_and_a_success_resets_the_count(clock, kind):
    breaker = CircuitBreaker(failure_threshold=2, expected_exception=ConnectionError)
    func = decorate(breaker, failing([ConnectionError(), ValueError(), ValueError()], kind=kind))
    with pytest.raises(ConnectionError):
        call(func)
    for _ in range(2):
        with pytest.raises(ValueError):
            call(func)
    assert breaker.failure_count == 1 and breaker.state == CircuitState.CLOSED
    assert call(func) == "ok"
    assert breaker.failure_count == 0


@pytest.mark.parametrize("kind", KINDS)
def test_half_open_after_the_recovery_timeout_then_probe_decides(clock, kind):
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=30)
    func = decorate(breaker, failing([ConnectionError(), ConnectionError()], kind=kind))
    with pytest.raises(ConnectionError):
        call(func)
    clock.advance(29.9)
    assert breaker.state == CircuitState.OPEN
    clock.advance(0.1)
    assert breaker.state == CircuitState.HALF_OPEN
    with pytest.raises(ConnectionError):  # the probe fails: open again
        call(func)
    assert breaker.state == CircuitState.OPEN
    clock.advance(30)
    assert call(func) == "ok"  # the probe succeeds: closed
    assert breaker.state == CircuitState.CLOSED and breaker.failure_count == 0


def test_reset_closes_and_clears_the_count(clock):
    breaker = CircuitBreaker(failure_threshold=2)
    func = breaker(failing([OSError(), OSError()]))
    for _ in range(2):
        with pytest.raises(OSError):
            func()
    assert breaker.state == CircuitState.OPEN
    breaker.reset()
    assert breaker.state == CircuitState.CLOSED and breaker.failure_count == 0
    assert func() == "ok"


@pytest.mark.parametrize("kind", KINDS)
def test_a_preset_is_shared_by_functions_raising_different_exceptions(clock, kind):
    assert MCP_CIRCUIT_BREAKER.failure_threshold == 3
    first = decorate(MCP_CIRCUIT_BREAKER, failing([TimeoutError(), KeyError("k")], kind=kind))
    second = decorate(MCP_CIRCUIT_BREAKER, failing([RuntimeError()], kind=kind))
    with pytest.raises(TimeoutError):
        call(first)
    with pytest.raises(RuntimeError):
        call(second)
    assert MCP_CIRCUIT_BREAKER.failure_count == 2
    with pytest.raises(KeyError):
        call(first)
    assert MCP_CIRCUIT_BREAKER.state == CircuitState.OPEN
    with pytest.raises(CircuitBreakerError):
        call(second)
    assert staunch.snapshot()["mcp"]["state"] == "open"


@pytest.mark.parametrize("kind", KINDS)
def test_resilient_waits_for_the_probe_when_it_comes_before_the_next_wait(clock, kind):
    func = decorate(
        resilient(max_attempts=3, failure_threshold=1, recovery_timeout=1, exception_types=(ConnectionError,)),
        failing([ConnectionError()], kind=kind),
    )
    assert call(func) == "ok"
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize("kind", KINDS)
def test_resilient_stops_at_once_when_the_circuit_stays_open(clock, kind):
    func = decorate(
        resilient(max_attempts=3, failure_threshold=2, recovery_timeout=60, exception_types=(ConnectionError,)),
        failing([ConnectionError("a"), ConnectionError("b")], kind=kind),
    )
    with pytest.raises(RetryError) as caught:
        call(func)  # fails twice, opens the circuit, does not sleep 60 s
    assert str(caught.value.last_exception) == "b"
    assert clock.sleeps == [1.0]
    with pytest.raises(CircuitBreakerError):
        call(func)
    assert len(func.calls) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_resilient_passes_other_exceptions_through_uncounted(clock, kind):
    func = decorate(
        resilient(failure_threshold=1, exception_types=(ConnectionError,)),
        failing([ValueError("bad")], kind=kind),
    )
    with pytest.raises(ValueError):
        call(func)
    assert clock.sleeps == []
    assert call(func) == "ok"


def test_a_breaker_is_one_for_threads_and_asyncio_tasks(clock):
    breaker = CircuitBreaker(failure_threshold=40, recovery_timeout=60)

    @breaker
    def sync_failure():
        raise ConnectionError()

    @breaker
    async def async_failure():
        await asyncio.sleep(0)
        raise ConnectionError()

    def in_thread():
        for _ in range(5):
            with pytest.raises(ConnectionError):
                sync_failure()

    async def in_tasks():
        async def one():
            with pytest.raises(ConnectionError):
                await async_failure()
        await asyncio.gather(*(one() for _ in range(20)))

    threads = [threading.Thread(target=in_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    asyncio.run(in_tasks())
    for thread in threads:
        thread.join()
    assert breaker.failure_count == 40 and breaker.state == CircuitState.OPEN
    with pytest.raises(CircuitBreakerError):
        sync_failure()
    with pytest.raises(CircuitBreakerError):
        asyncio.run(async_failure())


def test_named_breakers_show_in_the_snapshot(clock):
    breaker = CircuitBreaker(failure_threshold=1, name="payments")
    with pytest.raises(OSError):
        breaker(failing([OSError()]))()
    entry = staunch.snapshot()["payments"]
    assert (entry["state"], entry["failure_count"]) == ("open", 1)
    assert {"llm", "mcp", "database"} <= set(staunch.snapshot())


def test_decorated_functions_keep_their_name_and_signature():
    @retry_on_exception()
    def lookup(user_id: int, *, fresh: bool = False) -> dict:
        """Finds a user."""
        return {}

    import inspect

    assert lookup.__name__ == "lookup" and lookup.__doc__ == "Finds a user."
    assert str(inspect.signature(lookup)) == "(user_id: int, *, fresh: bool = False) -> dict"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0"),
        ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "ten"),
        ("CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "-5"),
        ("RETRY_MAX_ATTEMPTS", "zero"),
        ("RETRY_WAIT_MIN", "fast"),
        ("RETRY_WAIT_MAX", "0.5"),  # below RETRY_WAIT_MIN's 1.0
    ],
)
def test_bad_environment_values_are_rejected_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"invalid {variable} `{value}`"):
        ResilienceSettings()


def test_settings_come_from_the_seed_variables_with_the_seed_defaults(monkeypatch, tmp_path):
    for variable in ("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "RETRY_MAX_ATTEMPTS", "RETRY_WAIT_MAX"):
        monkeypatch.delenv(variable, raising=False)
    defaults = ResilienceSettings()
    assert (defaults.circuit_breaker_failure_threshold, defaults.circuit_breaker_recovery_timeout) == (10, 60)
    assert (defaults.retry_max_attempts, defaults.retry_wait_min, defaults.retry_wait_max) == (3, 1.0, 10.0)
    monkeypatch.setenv("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "7")
    monkeypatch.setenv("RETRY_WAIT_MAX", "2m")
    env_file = tmp_path / ".env"
    env_file.write_text("RETRY_MAX_ATTEMPTS=5\nCIRCUIT_BREAKER_FAILURE_THRESHOLD=99\n")
    settings = ResilienceSettings(_env_file=str(env_file))
    assert settings.circuit_breaker_failure_threshold == 7  # the environment wins over .env
    assert settings.retry_max_attempts == 5
    assert settings.retry_wait_max == 120.0
    assert ResilienceSettings(retry_max_attempts=2).retry_max_attempts == 2


def test_retry_error_stands_alone_without_tenacity():
    script = (
        "import sys; sys.modules['tenacity'] = None\n"
        "import staunch\n"
        "from staunch.testing import FakeClock\n"
        "FakeClock().install()\n"
        "@staunch.retry_on_exception(max_attempts=2)\n"
        "def down(): raise ConnectionError('down')\n"
        "try:\n"
        "    down()\n"
        "except staunch.RetryError as error:\n"
        "    print(type(error).__mro__[1].__name__, error.attempts, repr(error.last_exception))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "_RetryErrorBase 2 ConnectionError('down')"


def test_a_bad_preset_variable_is_named_in_a_warning_and_the_defaults_apply():
    script = "import staunch; print(staunch.LLM_CIRCUIT_BREAKER.failure_threshold)"
    env = dict(os.environ, LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD="many")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "invalid LLM_CIRCUIT_BREAKER_FAILURE_THRESHOLD `many`" in done.stderr
    assert done.stdout.strip() == "5"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: retry_on_exception(max_attempts=0), "invalid max_attempts `0`: must be at least 1"),
        (lambda: retry_on_exception(wait_min=20.0), "invalid wait_min `20s`: must not exceed wait_max"),
        (lambda: retry_with_jitter(base_wait=-1.0), "invalid base_wait `-1.0`"),
        (lambda: retry_with_jitter(base_wait=30.0), "invalid base_wait `30s`: must not exceed max_wait"),
        (lambda: retry_with_jitter(jitter="loud"), "invalid jitter `'loud'`"),
        (lambda: CircuitBreaker(failure_threshold=0), "invalid failure_threshold `0`"),
        (lambda: CircuitBreaker(recovery_timeout=float("nan")), "invalid recovery_timeout `NaN`"),
        (lambda: resilient(max_attempts=-2), "invalid max_attempts `-2`"),
    ],
)
def test_bad_arguments_are_rejected_naming_the_argument(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_exception_types_must_be_exception_classes():
    with pytest.raises(TypeError, match="invalid exception_types `'TimeoutError'`"):
        retry_on_exception(exception_types="TimeoutError")
    with pytest.raises(TypeError, match="invalid expected_exception `.*int"):
        CircuitBreaker(expected_exception=(ValueError, int))


def test_transitions_reach_listeners_and_the_staunch_log(clock, caplog):
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, name="ledger")
    seen = []
    breaker.add_listener(lambda name, old, new: seen.append((name, old, new)))
    func = breaker(failing([OSError()]))
    with caplog.at_level("INFO", logger="staunch"):
        with pytest.raises(OSError):
            func()
        clock.advance(5)
        assert func() == "ok"
    assert seen == [
        ("ledger", CircuitState.CLOSED, CircuitState.OPEN),
        ("ledger", CircuitState.OPEN, CircuitState.HALF_OPEN),
        ("ledger", CircuitState.HALF_OPEN, CircuitState.CLOSED),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "circuit ledger: closed -> open",
        "circuit ledger: open -> half_open",
        "circuit ledger: half_open -> closed",
    ]


def test_a_failing_listener_is_reported_and_does_not_disturb_the_call(clock, monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: reported.append(report.exc_type))
    breaker = CircuitBreaker(failure_threshold=1)
    breaker.add_listener(lambda *_: 1 / 0)
    func = breaker(failing([OSError()]))
    with pytest.raises(OSError):
        func()
    assert breaker.state == CircuitState.OPEN
    assert reported == [ZeroDivisionError]
