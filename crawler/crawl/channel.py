"""Calls into spawned processes (the CPU pool, the writer), one socket pair each, answered
through the event loop: a call is one length-prefixed pickle written from the loop and read back
by a reader task, ~0.1 ms of the caller's CPU where `ProcessPoolExecutor` cost ~0.4 ms on the core
that downloads. Both ends batch: the calls of one loop turn leave in one write; a process answers
what it ran in one send.

Processes are spawned, never forked from the reactor's process; each runs an initializer once; an
exception in a call is raised to the caller with its type (or as `RuntimeError` naming it when it
does not pickle); a process that dies fails the calls it had (`ProcessGone`) and later calls go to
the ones left. `close()` lets each finish what it has received, then ends it.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import pickle
import signal
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# request: length, call id; answer: length, call id, ok (1) or raised (0)
_REQUEST = struct.Struct("!QQ")
_ANSWER = struct.Struct("!QQB")


class ProcessGone(RuntimeError):
    """The worker process that had (or would get) the call is not running."""


# a worker reads what has arrived in chunks of up to this size, and answers what it ran in one
# send once nothing whole is left to run (or after this many answers)
_CHUNK = 1 << 20
_ANSWERS_PER_SEND = 16


def _answer(call_id: int, ok: bool, value: Any) -> bytes:
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception:  # noqa: BLE001 - an unpicklable result or exception still answers the call
        ok, data = False, pickle.dumps(RuntimeError(f"{type(value).__name__}: {value}"), protocol=5)
    return _ANSWER.pack(len(data), call_id, int(ok)) + data


def _serve(sock: socket.socket, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """A worker's loop: read a call, run it, answer; end when the parent closes its side."""
    # Ctrl-C goes to the whole process group: the parent decides how the crawl stops, and a
    # worker finishes the call it has rather than dying in the middle of a transaction
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    failed: BaseException | None = None
    if initializer is not None:
        try:
            initializer(*initargs)
        except Exception as exc:  # noqa: BLE001 - every call is answered with it
            failed = exc
    # A busy crawl keeps 100+ calls waiting: reading them a chunk at a time and answering several
    # in one send costs the worker (and the loop that reads the answers) a few system calls and
    # wake-ups per batch instead of three per call
    buf, pos = bytearray(), 0
    answers: list[bytes] = []
    while True:
        whole = len(buf) - pos >= _REQUEST.size and (
            len(buf) - pos >= _REQUEST.size + _REQUEST.unpack_from(buf, pos)[0])
        if not whole:
            if answers:  # everything received so far has run: answer before waiting for more
                sock.sendall(b"".join(answers))
                answers.clear()
            del buf[:pos]
            pos = 0
            chunk = sock.recv(_CHUNK)
            if not chunk:  # the parent closed its side: every call it sent has been answered
                return
            buf += chunk
            continue
        size, call_id = _REQUEST.unpack_from(buf, pos)
        start = pos + _REQUEST.size
        body, pos = buf[start:start + size], start + size
        if failed is not None:
            value: Any = RuntimeError(f"worker start failed: {type(failed).__name__}: {failed}")
            ok = False
        else:
            try:
                fn, args = pickle.loads(body)
                value, ok = fn(*args), True
            except Exception as exc:  # noqa: BLE001 - raised in the caller
                value, ok = exc, False
        answers.append(_answer(call_id, ok, value))
        if len(answers) >= _ANSWERS_PER_SEND:
            sock.sendall(b"".join(answers))
            answers.clear()


@dataclass(eq=False)
class _Worker:
    process: Any  # multiprocessing.Process (spawn context)
    sock: socket.socket  # the parent's end
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    ready: asyncio.Task[None] | None = None  # binding the socket to `loop`
    writer: asyncio.StreamWriter | None = None
    outbox: list[bytes] = field(default_factory=list)  # calls to send when the loop's turn ends
    gone: str | None = None  # why no more calls go to it

    def why_gone(self) -> str:
        self.process.join(timeout=1)
        code = self.process.exitcode
        return f"worker process {self.process.pid} ended" + (f" (exit code {code})" if code is not None else "")


class ProcessPool:
    """`size` spawned processes; `call()` runs a picklable function in the least busy one."""

    def __init__(self, size: int, *, name: str, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._ids = itertools.count(1)
        self._workers: list[_Worker] = []
        for n in range(size):
            parent, child = socket.socketpair()
            process = ctx.Process(target=_serve, args=(child, initializer, initargs), name=f"newswatch-{name}-{n}",
                                  daemon=True)
            process.start()
            child.close()
            self._workers.append(_Worker(process, parent))

    @property
    def processes(self) -> list[Any]:
        return [w.process for w in self._workers]

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a worker process; raises what it raised, or `ProcessGone`."""
        loop = asyncio.get_running_loop()
        alive = [w for w in self._workers if w.gone is None]
        if not alive:
            raise ProcessGone("no worker process is running" + (f": {self._workers[0].gone}" if self._workers else ""))
        worker = min(alive, key=lambda w: len(w.pending))
        if worker.loop is not loop:  # first call on this loop (a new loop: a test's `asyncio.run`)
            # futures (and unsent calls) of a loop that is gone are never awaited
            worker.loop, worker.pending, worker.outbox = loop, {}, []
            worker.ready = loop.create_task(self._bind(worker))
        data = pickle.dumps((fn, args), protocol=5)
        call_id = next(self._ids)
        future: asyncio.Future[T] = loop.create_future()
        worker.pending[call_id] = future
        assert worker.ready is not None
        if not worker.ready.done():
            await asyncio.shield(worker.ready)
        worker.ready.result()
        if worker.gone is not None and not future.done():
            future.set_exception(ProcessGone(worker.gone))
        elif not future.done():
            # the calls one turn of the loop makes go out in one write: one system call, and one
            # wake-up of a waiting worker, for all of them
            if not worker.outbox:
                loop.call_soon(self._send, worker)
            worker.outbox += (_REQUEST.pack(len(data), call_id), data)
        return await future

    @staticmethod
    def _send(worker: _Worker) -> None:
        data, worker.outbox = worker.outbox, []
        if worker.writer is not None and not worker.writer.is_closing():
            worker.writer.write(b"".join(data))

    async def _bind(self, worker: _Worker) -> None:
        """Read and write the worker's socket from the running loop."""
        reader, writer = await asyncio.open_unix_connection(sock=worker.sock.dup())
        worker.writer = writer
        asyncio.get_running_loop().create_task(self._read(worker, reader, writer),
                                               name=f"{worker.process.name}-answers")

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                size, call_id, ok = _ANSWER.unpack(await reader.readexactly(_ANSWER.size))
                data = await reader.readexactly(size)
                future = worker.pending.pop(call_id, None)
                if future is None or future.done():
                    continue  # a call of an earlier loop, or cancelled by its caller
                try:
                    value = pickle.loads(data)
                except Exception as exc:  # noqa: BLE001 - e.g. an exception type that does not unpickle
                    future.set_exception(RuntimeError(f"the worker's answer did not unpickle: {exc}"))
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if worker.writer is writer:  # still this loop's binding: the worker went away
                worker.gone = worker.why_gone()
                for future in worker.pending.values():
                    if not future.done():
                        future.set_exception(ProcessGone(worker.gone))
                worker.pending.clear()
        finally:
            writer.close()

    def close(self, timeout: float = 600.0) -> None:
        """Each worker finishes the calls it has received, then ends (killed after `timeout` s)."""
        for worker in self._workers:
            worker.gone = worker.gone or "closed"
            try:
                worker.sock.shutdown(socket.SHUT_WR)  # end of stream once it has read what was sent
            except OSError:
                pass
        for worker in self._workers:
            worker.process.join(timeout)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.sock.close()
        self._workers = []
