"""Retry with backoff and jitter, circuit breakers and both combined, backed by the
staunch Rust core.

The names, arguments and defaults are those of the tenacity-based module this package
replaces: change ``from src.utils.resilience import ...`` to ``from staunch import ...``.
Every decorator works on plain functions, ``async def`` functions and methods. The
breakers are the core's lock-free ones: one breaker is shared by every thread and asyncio
task that calls through it, and named breakers and the presets show in ``snapshot()``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from enum import Enum
from typing import Any, Callable, Optional, Tuple, Type, Union

from . import _staunch
from ._staunch import snapshot

__all__ = [
    "CircuitBreaker",
    "CircuitBreakerError",
    "CircuitState",
    "DATABASE_CIRCUIT_BREAKER",
    "LLM_CIRCUIT_BREAKER",
    "MCP_CIRCUIT_BREAKER",
    "ResilienceSettings",
    "RetryError",
    "resilient",
    "retry_on_exception",
    "retry_with_jitter",
    "snapshot",
]

ExceptionTypes = Union[Type[BaseException], Tuple[Type[BaseException], ...]]


class CircuitState(Enum):
    """The state of a circuit; ``.value`` is the lower-case name."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    # Manual states of the core (``force_open()``, ``disable()``).
    FORCED_OPEN = "forced_open"
    DISABLED = "disabled"


class CircuitBreakerError(Exception):
    """Raised when an open circuit rejects a call.

    ``name`` is the breaker's name; ``retry_after`` the seconds until it lets a probe
    through (``None`` when unknown: forced open, or every probe slot taken).
    """

    def __init__(
        self,
        message: str = "circuit breaker is open",
        *,
        name: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.name = name
        self.retry_after = retry_after


try:  # A `RetryError` is a `tenacity.RetryError` too when tenacity is installed.
    from tenacity import RetryError as _RetryErrorBase
except ImportError:  # pragma: no cover - exercised without tenacity

    class _RetryErrorBase(Exception):  # type: ignore[no-redef]
        pass


class Attempt:
    """The last attempt of a call whose attempts ran out, like tenacity's ``Future``."""

    failed = True

    def __init__(self, attempt_number: int, exception: BaseException) -> None:
        self.attempt_number = attempt_number
        self._exception = exception

    def exception(self, timeout: Optional[float] = None) -> BaseException:
        return self._exception

    def result(self, timeout: Optional[float] = None) -> Any:
        raise self._exception

    def __repr__(self) -> str:
        return f"<Attempt {self.attempt_number}: raised {self._exception!r}>"


class RetryError(_RetryErrorBase):
    """Raised when every attempt failed with a retried exception.

    ``last_attempt`` is as in tenacity; ``attempts`` counts the attempts made,
    ``elapsed`` the seconds since the first began, ``last_exception`` is the last error
    (also the ``__cause__``). ``reraise()`` raises that error.
    """

    def __init__(
        self, last_attempt: Attempt, *, attempts: Optional[int] = None, elapsed: float = 0.0
    ) -> None:
        Exception.__init__(self, last_attempt)
        self.last_attempt = last_attempt
        self.attempts = attempts if attempts is not None else last_attempt.attempt_number
        self.elapsed = elapsed

    @property
    def last_exception(self) -> BaseException:
        return self.last_attempt.exception()

    def reraise(self) -> Any:
        raise self.last_exception

    def __str__(self) -> str:
        return f"{type(self).__name__}[{self.last_attempt}]"


def _make_retry_error(attempts: int, elapsed: float, last: BaseException) -> RetryError:
    error = RetryError(Attempt(attempts, last), attempts=attempts, elapsed=elapsed)
    error.__cause__ = last
    return error


_log = logging.getLogger("staunch")


def _log_transition(name: str, old: str, new: str) -> None:
    _log.info("circuit %s: %s -> %s", name, old, new, extra={"circuit": name, "state": new})


_staunch._bind(CircuitBreakerError, _make_retry_error, _log_transition)


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func)


async def _wait(seconds: float) -> None:
    # On the fake clock the wait is recorded and time moves on: only yield to the loop.
    if _staunch._take_wait(seconds):
        await asyncio.sleep(0)
    else:
        await asyncio.sleep(seconds)


def _retrying(spec: "_staunch.RetrySpec") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if not _is_async(func):
            return functools.update_wrapper(_staunch.Wrapped.retry(func, spec), func)

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            run = spec.start()
            while True:
                try:
                    return await func(*args, **kwargs)
                except BaseException as exc:
                    wait = run.on_error(exc)
                    if wait is None:
                        raise
                await _wait(wait)

        return wrapper

    return decorate


def retry_on_exception(
    max_attempts: int = 3,
    wait_min: float = 1.0,
    wait_max: float = 10.0,
    exception_types: ExceptionTypes = (Exception,),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Retries the listed exceptions (subclasses included), at most ``max_attempts``
    attempts in total, waiting ``wait_min`` seconds and doubling up to ``wait_max``
    (1, 2, 4, 8, 10, 10 … by default).

    Other exceptions are re-raised at once, unchanged. When the attempts run out,
    raises ``RetryError`` from the last exception.
    """
    spec = _staunch.RetrySpec(max_attempts, wait_min, wait_max, False, exception_types)
    return _retrying(spec)


def retry_with_jitter(
    max_attempts: int = 5,
    base_wait: float = 2.0,
    max_wait: float = 10.0,
    jitter: Union[bool, str] = True,
    exception_types: ExceptionTypes = (Exception,),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Exponential backoff from ``base_wait`` with random jitter, never above
    ``max_wait``: the n-th wait is drawn from ``[base_wait, min(max_wait, base_wait *
    2**n)]``, so clients that wait long stay spread out.

    ``jitter=False`` waits exactly 2, 4, 8, 10 … seconds; ``"equal"`` and
    ``"decorrelated"`` choose the core's other modes.
    """
    spec = _staunch.RetrySpec(
        max_attempts, base_wait, max_wait, jitter, exception_types, ("base_wait", "max_wait")
    )
    return _retrying(spec)


class CircuitBreaker(_staunch.Breaker):
    """A circuit breaker, used as ``@breaker`` on functions, async functions and methods.

    ``CircuitBreaker(failure_threshold=5, recovery_timeout=60, expected_exception=Exception)``:
    CLOSED until ``failure_threshold`` consecutive counted failures, then OPEN: calls
    raise ``CircuitBreakerError`` for ``recovery_timeout`` seconds; then HALF_OPEN lets a
    probe through: its success closes the circuit, its failure opens it again. Only
    ``expected_exception`` (a class or a tuple, subclasses included) counts; other
    exceptions pass through uncounted, and a success resets the count.

    Keyword-only extensions: ``name="..."`` registers the breaker so that it shows in
    ``snapshot()``; ``preset="llm"`` (``"mcp"``, ``"database"``) shares that preset's
    process-wide breaker.
    """

    @property
    def state(self) -> CircuitState:
        return CircuitState(self._state())

    def add_listener(self, callback: Callable[[str, CircuitState, CircuitState], Any]) -> None:
        """Calls ``callback(name, old_state, new_state)`` on every transition, on the
        thread whose call (or ``reset()``) caused it. Every transition is also logged at
        INFO on the ``staunch`` logger."""

        def on_transition(name: str, old: str, new: str) -> None:
            callback(name, CircuitState(old), CircuitState(new))

        self._add_listener(on_transition)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if not _is_async(func):
            return functools.update_wrapper(self._wrap(func), func)
        acquire = self._acquire

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            permit = acquire()
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                permit.record(exc)
                raise
            permit.success()
            return result

        return wrapper

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(name={self.name!r}, state={self._state()}, "
            f"failure_count={self.failure_count})"
        )


def resilient(
    max_attempts: int = 3,
    failure_threshold: int = 5,
    recovery_timeout: float = 60,
    exception_types: ExceptionTypes = (Exception,),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Retry and circuit breaker in one: the retry outside (the waits of
    ``retry_on_exception``), a breaker of the function's own inside.

    ``exception_types`` are both retried and counted by the breaker. While the circuit
    is open an attempt is not made: the call waits for the probe when it comes before
    the retry's next wait would end, and otherwise stops at once, with
    ``CircuitBreakerError`` (or ``RetryError`` when an attempt of this call failed).
    The breaker is registered under the function's qualified name (``snapshot()``) and
    reachable as ``func.breaker``.
    """
    spec = _staunch.RetrySpec(max_attempts, 1.0, 10.0, False, exception_types)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{getattr(func, '__module__', None) or '?'}.{getattr(func, '__qualname__', repr(func))}"
        breaker = CircuitBreaker(failure_threshold, recovery_timeout, exception_types, name=name)
        if not _is_async(func):
            wrapper = functools.update_wrapper(_staunch.Wrapped.resilient(func, spec, breaker), func)
            wrapper.breaker = breaker
            return wrapper
        acquire = breaker._acquire

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            run = spec.start()
            while True:
                try:
                    permit = acquire()
                except CircuitBreakerError as rejection:
                    await _wait(run.on_rejected(rejection))
                    continue
                try:
                    result = await func(*args, **kwargs)
                except BaseException as exc:
                    permit.record(exc)
                    wait = run.on_error(exc, breaker.retry_after)
                    if wait is None:
                        raise
                else:
                    permit.success()
                    return result
                await _wait(wait)

        async_wrapper.breaker = breaker  # type: ignore[attr-defined]
        return async_wrapper

    return decorate


class ResilienceSettings:
    """The seed's settings, from the environment over the seed's defaults.

    - ``circuit_breaker_failure_threshold``: ``CIRCUIT_BREAKER_FAILURE_THRESHOLD``, 10
    - ``circuit_breaker_recovery_timeout``: ``CIRCUIT_BREAKER_RECOVERY_TIMEOUT``, 60 s
    - ``retry_max_attempts``: ``RETRY_MAX_ATTEMPTS``, 3
    - ``retry_wait_min``: ``RETRY_WAIT_MIN``, 1.0 s
    - ``retry_wait_max``: ``RETRY_WAIT_MAX``, 10.0 s

    Values given as keyword arguments win over the variables; ``_env_file`` names a
    ``.env`` file read under the environment. Durations are seconds (``60``, ``1.5``) or
    numbers with units (``500ms``, ``2m``). A bad value raises ``ValueError`` naming the
    variable and the value.
    """

    __slots__ = (
        "circuit_breaker_failure_threshold",
        "circuit_breaker_recovery_timeout",
        "retry_max_attempts",
        "retry_wait_min",
        "retry_wait_max",
    )

    def __init__(
        self,
        *,
        _env_file: Optional[str] = None,
        circuit_breaker_failure_threshold: Optional[int] = None,
        circuit_breaker_recovery_timeout: Optional[float] = None,
        retry_max_attempts: Optional[int] = None,
        retry_wait_min: Optional[float] = None,
        retry_wait_max: Optional[float] = None,
    ) -> None:
        in_code = {
            "circuit_breaker_failure_threshold": circuit_breaker_failure_threshold,
            "circuit_breaker_recovery_timeout": circuit_breaker_recovery_timeout,
            "retry_max_attempts": retry_max_attempts,
            "retry_wait_min": retry_wait_min,
            "retry_wait_max": retry_wait_max,
        }
        for name, value in _staunch._settings(in_code, _env_file).items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"ResilienceSettings({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResilienceSettings):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)


LLM_CIRCUIT_BREAKER = CircuitBreaker(preset="llm")
"""The process-wide breaker for LLM API calls (``llm`` in ``snapshot()``)."""
MCP_CIRCUIT_BREAKER = CircuitBreaker(preset="mcp")
"""The process-wide breaker for MCP server calls (``mcp`` in ``snapshot()``)."""
DATABASE_CIRCUIT_BREAKER = CircuitBreaker(preset="database")
"""The process-wide breaker for database calls (``database`` in ``snapshot()``)."""
