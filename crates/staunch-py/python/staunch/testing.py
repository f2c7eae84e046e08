"""Test helpers: a fake clock, so tests of retries and breakers never wait.

``FakeClock().install()`` makes it the clock of every breaker, retry and wait of the
package (breakers made earlier included) until ``FakeClock.uninstall()``. Waits then
return at once, advance the clock and are recorded in ``sleeps``; ``advance(seconds)``
moves time by hand, e.g. past a breaker's recovery timeout::

    from staunch.testing import FakeClock

    with FakeClock() as clock:
        flaky()                 # retried after 1 s and 2 s, instantly
        assert clock.sleeps == [1.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from ._staunch import FakeClock as _NativeFakeClock

__all__ = ["FakeClock"]


class FakeClock(_NativeFakeClock):
    """A manually driven clock; a context manager that installs and uninstalls it."""

    def __enter__(self) -> "FakeClock":
        self.install()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.uninstall()
