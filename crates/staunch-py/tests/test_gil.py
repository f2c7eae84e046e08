"""Waiting between attempts releases the GIL: other threads run Python meanwhile.

The one test that waits on the system clock (half a second), since a fake clock's wait
does not wait at all. The switch interval is raised so far that a thread holding the
GIL through its wait would keep every other thread out until its next attempt had run.
"""

import sys
import threading

import pytest

from staunch import retry_on_exception
from staunch.testing import FakeClock


@pytest.fixture
def system_clock(clock):
    FakeClock.uninstall()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    yield
    sys.setswitchinterval(interval)


def test_other_threads_run_while_a_retry_waits(system_clock):
    order = []
    first_attempt_failed = threading.Event()

    @retry_on_exception(max_attempts=2, wait_min=0.5, wait_max=0.5)
    def flaky():
        if not first_attempt_failed.is_set():
            first_attempt_failed.set()
            raise ConnectionError("first attempt")
        order.append("second attempt")

    worker = threading.Thread(target=flaky)
    worker.start()
    first_attempt_failed.wait()
    order.append("main thread")
    worker.join()
    assert order == ["main thread", "second attempt"]
