"""Per-call overhead of a first-attempt success under each decorator, against tenacity,
pybreaker and circuitbreaker on the same functions, sync and async, in one run.

Overhead = time of a decorated call minus time of the bare call (the best of several
timed rounds each). Async calls are awaited inside one running asyncio loop. Run it with
`scripts/bench-python.sh` (release wheel); the README's table comes from it.
"""

import asyncio
import platform
import sys
import time
import timeit

import circuitbreaker
import pybreaker
import tenacity

import staunch

ROUNDS = 7


def seed_retry():
    """The seed's `retry_on_exception` defaults, written with tenacity."""
    return tenacity.retry(
        stop=tenacity.stop_after_attempt(3),
        wait=tenacity.wait_exponential(multiplier=1, min=1.0, max=10.0),
        retry=tenacity.retry_if_exception_type((Exception,)),
    )


def work(x):
    return x


async def async_work(x):
    return x


def per_call_sync(func):
    timer = timeit.Timer(lambda: func(1))
    number, _ = timer.autorange()  # at least 0.2 s per round
    return min(timer.repeat(repeat=ROUNDS, number=number)) / number


def per_call_async(func):
    async def rounds():
        async def loop(n):
            start = time.perf_counter()
            for _ in range(n):
                await func(1)
            return time.perf_counter() - start

        n = 1
        while await loop(n) < 0.2:
            n *= 2
        return min([await loop(n) for _ in range(ROUNDS)]) / n

    return asyncio.run(rounds())


def contenders():
    """(group, library, sync function, async function or None)."""
    stacked_pybreaker = seed_retry()(pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60)(work))
    stacked_circuit = seed_retry()(circuitbreaker.circuit(failure_threshold=5, recovery_timeout=60)(async_work))
    return [
        ("retry", "staunch @retry_on_exception()", staunch.retry_on_exception()(work),
         staunch.retry_on_exception()(async_work)),
        ("retry", "tenacity (the seed's retry_on_exception)", seed_retry()(work), seed_retry()(async_work)),
        ("breaker", "staunch @CircuitBreaker()", staunch.CircuitBreaker()(work),
         staunch.CircuitBreaker()(async_work)),
        ("breaker", "pybreaker 1.x", pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60)(work), None),
        ("breaker", "circuitbreaker 2.x", circuitbreaker.circuit(failure_threshold=5, recovery_timeout=60)(work),
         circuitbreaker.circuit(failure_threshold=5, recovery_timeout=60)(async_work)),
        ("resilient", "staunch @resilient()", staunch.resilient()(work), staunch.resilient()(async_work)),
        ("resilient", "tenacity + pybreaker / circuitbreaker", stacked_pybreaker, stacked_circuit),
    ]


def main():
    bare_sync = per_call_sync(work)
    bare_async = per_call_async(async_work)
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"bare call: sync {bare_sync * 1e9:.0f} ns, async {bare_async * 1e9:.0f} ns")
    print()
    print(f"| {'decorator':42} | sync overhead | async overhead |")
    print(f"|{'-' * 44}|--------------:|---------------:|")
    results = {}
    for group, name, sync_func, async_func in contenders():
        sync_ns = (per_call_sync(sync_func) - bare_sync) * 1e9
        async_ns = (per_call_async(async_func) - bare_async) * 1e9 if async_func else None
        results[(group, name)] = (sync_ns, async_ns)
        shown_async = f"{async_ns:,.0f} ns" if async_ns is not None else "n/a"
        print(f"| {name:42} | {sync_ns:>10,.0f} ns | {shown_async:>14} |")
    print()
    for group, ours, theirs in [
        ("retry", "staunch @retry_on_exception()", "tenacity (the seed's retry_on_exception)"),
        ("breaker", "staunch @CircuitBreaker()", "pybreaker 1.x"),
        ("breaker", "staunch @CircuitBreaker()", "circuitbreaker 2.x"),
        ("resilient", "staunch @resilient()", "tenacity + pybreaker / circuitbreaker"),
    ]:
        mine, other = results[(group, ours)], results[(group, theirs)]
        ratios = [
            f"{kind} {o / max(m, 1e-9):.0f}x" for kind, m, o in zip(("sync", "async"), mine, other)
            if m is not None and o is not None
        ]
        print(f"{theirs} / staunch: {', '.join(ratios)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
