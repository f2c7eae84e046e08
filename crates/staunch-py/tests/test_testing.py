"""The fake clock of `staunch.testing`."""

import asyncio

import pytest

from staunch import CircuitBreaker, CircuitState, retry_on_exception
from staunch.testing import FakeClock


def test_waits_advance_the_installed_clock_and_are_recorded(clock):
    assert clock.installed and clock.now == 0.0

    @retry_on_exception(max_attempts=3, exception_types=(OSError,))
    def down():
        raise OSError("down")

    with pytest.raises(Exception):
        down()
    assert clock.sleeps == [1.0, 2.0] and clock.total_slept == 3.0 and clock.now == 3.0
    clock.advance(1.5)
    assert clock.now == 4.5 and clock.sleeps == [1.0, 2.0]


def test_async_waits_use_the_clock_too(clock):
    @retry_on_exception(max_attempts=2)
    async def down():
        raise ConnectionError()

    with pytest.raises(Exception):
        asyncio.run(down())
    assert clock.sleeps == [1.0]


def test_a_breaker_made_before_the_clock_follows_it_once_installed():
    FakeClock.uninstall()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=3600)
    with FakeClock() as fake:
        with pytest.raises(OSError):
            breaker(lambda: (_ for _ in ()).throw(OSError()))()
        assert breaker.state == CircuitState.OPEN
        fake.advance(3600)
        assert breaker.state == CircuitState.HALF_OPEN
    assert not fake.installed


def test_bad_advances_are_rejected(clock):
    with pytest.raises(ValueError, match="invalid seconds `-1`: must be a finite, non-negative number of seconds"):
        clock.advance(-1.0)
