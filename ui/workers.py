"""Worker processes that answer the HTTP API's questions, each with its own Assistant."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qa import QAError

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.synchronize import Barrier

    from qa import Assistant, Settings

log = logging.getLogger(__name__)

START_SECONDS = 600  # how long a worker may take to load its models before the others give up
LOST = "A worker process stopped while answering; it has been replaced: ask again"
STOPPING = "The server is stopping"

_assistant: Assistant | None = None  # in a worker: its own Assistant, built once
_started: Barrier | None = None  # in a worker: met by every worker of its pool once it is warm


class WorkerLost(QAError):
    """A worker process died (killed, out of memory) while it held the question."""


def model_threads(workers: int) -> int:
    """ONNX Runtime threads for each of ``workers`` processes: this machine's cores shared out.

    Each worker answers one question at a time, and ONNX Runtime would give every one of them
    a thread per core; one thread a worker on as many cores costs each answer ~15% less CPU.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // workers)


def _start_worker(settings: Settings, workers: int, started: Barrier) -> None:
    """A new worker's initializer: build and warm its Assistant; follow its server out."""
    import multiprocessing
    import signal

    from qa import build_assistant

    global _assistant, _started
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    # read when the models' sessions are made; a value set by the user stays
    os.environ.setdefault("ORT_INTRA_OP_NUM_THREADS", str(model_threads(workers)))
    parent = multiprocessing.parent_process()
    if parent is not None:  # a server killed with -9 leaves no worker behind
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _started = started
    _assistant = build_assistant(settings)
    try:
        _assistant.warm()
    except QAError as exc:  # e.g. the Chroma server is down: each question will say so
        log.warning("worker %d could not warm up: %s", os.getpid(), exc)


def _exit_with(parent: Any) -> None:
    parent.join()
    os._exit(1)


def _ready() -> int:
    """Wait until every worker of the pool is warm; this worker's pid."""
    if _started is not None:
        _started.wait(START_SECONDS)
    return os.getpid()


def _ask(question: str, history: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Answer in this worker: the JSON of `qa ask --json` (QAError subclasses pickle)."""
    if _assistant is None:
        raise QAError("This worker has no assistant")
    return _assistant.ask(question, history).to_dict()


class AnswerPool:
    """``workers`` processes answering questions; a pool broken by a dead worker is replaced.

    The processes are started with 'spawn' (never forked from this threaded server), and each
    builds its Assistant from ``settings``; they read the same store, so documents uploaded
    through the server reach them too.
    """

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = workers
        self._lock = threading.Lock()
        self._closed = False
        self._pool: ProcessPoolExecutor | None = None
        self._ready: list[Future[int]] = []

    def start(self) -> AnswerPool:
        """Start the processes (they load their models meanwhile); the pool itself."""
        with self._lock:
            if self._pool is None and not self._closed:
                self._pool, self._ready = self._launch()
        return self

    def _launch(self) -> tuple[ProcessPoolExecutor, list[Future[int]]]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.settings, self.workers, context.Barrier(self.workers)),
        )
        # one task a worker, each held until all are warm: every process starts now
        return pool, [pool.submit(_ready) for _ in range(self.workers)]

    def wait_until_ready(self) -> list[int]:
        """Block until every worker has loaded its models; their pids."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            return [future.result() for future in self._ready]
        except (BrokenProcessPool, threading.BrokenBarrierError):
            raise QAError("The worker processes could not start (see the log above)") from None

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        """The answer's JSON from a worker; the worker's QAError as raised there; WorkerLost
        (after replacing the pool) when a worker died while it held the question."""
        from concurrent.futures import CancelledError
        from concurrent.futures.process import BrokenProcessPool

        for _attempt in range(2):  # a pool found broken before the question went in is replaced
            pool = self._pool
            if pool is None or self._closed:
                raise WorkerLost(STOPPING if self._closed else "The workers are not started")
            try:
                future = pool.submit(_ask, question, list(history))
            except BrokenProcessPool:  # a worker died earlier: a new pool takes the question
                self._replace(pool)
                continue
            except RuntimeError:  # shut down after its replacement: try the new one
                continue
            try:
                return future.result()
            except BrokenProcessPool:
                self._replace(pool)
                raise WorkerLost(LOST) from None
            except CancelledError:
                raise WorkerLost(STOPPING) from None
        raise WorkerLost(LOST)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new pool for the broken one, once however many requests saw it break."""
        with self._lock:
            if self._pool is not broken or self._closed:
                return
            log.warning("a worker process died; starting %d new ones", self.workers)
            self._pool, self._ready = self._launch()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes (waiting for them to exit)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
