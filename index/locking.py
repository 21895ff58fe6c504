"""The data folder's write lock: one writer at a time, across processes and threads."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_FILE = "index.lock"


@contextlib.contextmanager
def write_lock(data_dir: str | Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the data folder while indexing; a second writer waits.

    A writer that finds the lock held calls ``on_wait`` once, then waits for it. Each call
    takes the lock anew, so a second call in the same process waits too (filelock refuses
    one that would wait on a lock its own thread holds, instead of hanging)."""
    folder = Path(data_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    # not thread-local: the lock is released by whichever thread leaves the block
    lock = FileLock(folder / LOCK_FILE, thread_local=False)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if on_wait:
            on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
