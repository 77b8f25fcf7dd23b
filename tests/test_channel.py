"""The worker channel (crawler.crawl.channel): calls into spawned processes, answered on the event loop."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest

from crawler.crawl.channel import ProcessGone, ProcessPool
from crawler.extract.cleanup import Rejected
from tests.support.aio import run_async as run


def pid_after(seconds: float, value: Any) -> tuple[int, Any]:
    time.sleep(seconds)
    return os.getpid(), value


def reject(reason: str) -> None:
    raise Rejected(reason)


class Unpicklable(Exception):
    def __init__(self, a: str, b: str) -> None:  # pickles as Unpicklable(msg): one argument short
        super().__init__(f"{a} {b}")


def raise_unpicklable() -> None:
    raise Unpicklable("driver", "error")


def returns_a_lambda() -> Any:
    return lambda: 1


def echo_or_reject(n: int, payload: str) -> tuple[int, int]:
    if n % 7 == 0:
        raise Rejected(f"call {n}")
    return n, len(payload)


def fail_to_start() -> None:
    raise OSError("no database here")


@pytest.fixture
def workers() -> Any:
    pool = ProcessPool(2, name="test")
    yield pool
    pool.close(timeout=10)


def test_concurrent_calls_come_back_to_their_callers_and_use_both_workers(workers: ProcessPool) -> None:
    async def main() -> list[tuple[int, Any]]:
        return await asyncio.gather(*(workers.call(pid_after, 0.02, n) for n in range(20)))

    results = run(main)
    assert [value for _, value in results] == list(range(20))
    assert {pid for pid, _ in results} == {p.pid for p in workers.processes}
    assert os.getpid() not in {pid for pid, _ in results}


def test_a_burst_of_calls_reaches_one_worker_together_and_each_answer_its_own_caller() -> None:
    # 300 calls of mixed sizes written in one turn of the loop: the worker reads them in chunks that
    # split calls anywhere and answers several per send; every caller still gets its own answer
    pool = ProcessPool(1, name="burst")
    try:
        async def main() -> list[Any]:
            calls = [pool.call(echo_or_reject, n, "x" * (n * 997 % 50_000)) for n in range(300)]
            return await asyncio.gather(*calls, return_exceptions=True)

        results = run(main)
    finally:
        pool.close(timeout=10)
    for n, result in enumerate(results):
        if n % 7 == 0:
            assert isinstance(result, Rejected) and str(result) == f"call {n}"
        else:
            assert result == (n, n * 997 % 50_000)


def test_a_large_argument_does_not_block_and_arrives_whole(workers: ProcessPool) -> None:
    page = "가" * 3_000_000  # 9 MB of UTF-8: far more than a socket buffer holds

    async def main() -> list[tuple[int, Any]]:
        return await asyncio.gather(*(workers.call(pid_after, 0, page) for _ in range(3)))

    assert all(value == page for _, value in run(main))


def test_an_exception_reaches_the_caller_with_its_type(workers: ProcessPool) -> None:
    async def main() -> None:
        await workers.call(reject, "no body (empty page)")

    with pytest.raises(Rejected, match="no body"):
        run(main)


def test_what_does_not_cross_the_boundary_is_reported_not_hung(workers: ProcessPool) -> None:
    async def unpicklable_exception() -> None:
        await workers.call(raise_unpicklable)

    async def unpicklable_result() -> None:
        await workers.call(returns_a_lambda)

    with pytest.raises(RuntimeError, match="did not unpickle|Unpicklable"):
        run(unpicklable_exception)
    with pytest.raises(RuntimeError, match="function|lambda"):
        run(unpicklable_result)
    assert run(lambda: workers.call(pid_after, 0, "still serving"))[1] == "still serving"


def test_a_killed_worker_fails_its_calls_and_the_other_one_carries_on(workers: ProcessPool) -> None:
    async def main() -> tuple[list[Any], Any]:
        slow = [asyncio.ensure_future(workers.call(pid_after, 2, n)) for n in range(4)]
        await asyncio.sleep(0.5)
        victim = workers.processes[0]
        victim.kill()
        done = await asyncio.wait_for(asyncio.gather(*slow, return_exceptions=True), timeout=30)
        after = await asyncio.wait_for(workers.call(pid_after, 0, "after"), timeout=30)
        return done, (victim.pid, after)

    done, (victim, (pid, value)) = run(main)
    gone = [r for r in done if isinstance(r, ProcessGone)]
    assert len(gone) == 2 and all(str(victim) in str(r) for r in gone)
    assert sorted(r[1] for r in done if not isinstance(r, BaseException)) == [1, 3]
    assert (value, pid != victim) == ("after", True)


def test_with_every_worker_gone_a_call_raises_at_once() -> None:
    pool = ProcessPool(1, name="test")
    try:
        assert run(lambda: pool.call(pid_after, 0, 1))[1] == 1
        pool.processes[0].kill()

        async def main() -> None:
            with pytest.raises(ProcessGone):
                await asyncio.wait_for(pool.call(pid_after, 0, 2), timeout=30)  # noticed on this call
            with pytest.raises(ProcessGone, match="no worker process is running"):
                await pool.call(pid_after, 0, 3)

        run(main)
    finally:
        pool.close(timeout=10)


def test_a_failed_initializer_answers_every_call_with_its_error() -> None:
    pool = ProcessPool(1, name="test", initializer=fail_to_start)
    try:
        with pytest.raises(RuntimeError, match="worker start failed: OSError: no database here"):
            run(lambda: pool.call(pid_after, 0, 1))
    finally:
        pool.close(timeout=10)


def test_close_lets_a_worker_finish_what_it_was_sent(tmp_path: Any) -> None:
    pool = ProcessPool(1, name="test")
    marker = tmp_path / "written"

    async def main() -> None:
        await pool.call(pid_after, 0, 0)  # started and bound
        pool_call = asyncio.ensure_future(pool.call(write_after, 0.5, str(marker)))
        await asyncio.sleep(0.1)  # sent, under way
        pool.close(timeout=30)
        pool_call.cancel()

    run(main)
    assert marker.read_text() == "done"
    assert pool.processes == []


def write_after(seconds: float, path: str) -> None:
    time.sleep(seconds)
    with open(path, "w") as f:
        f.write("done")
