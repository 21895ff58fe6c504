"""One embedded Chroma client per local store folder in a process, as fresh as the folder.

Why: Chroma's embedded client (chromadb 1.x) keeps each collection's HNSW index (vectors and
the id map) in memory. It replays the folder's write log into it on its first read of the
collection and on its own writes, never on later reads, and the log is purged up to the index
last persisted, by any process. Another process's writes reach the shared SQLite tables
(documents, metadata), but not this index: ``get(include=["embeddings"])`` of an id added
there fails ("Error finding id"), and ``query`` returns ids removed there, with no metadata
(measured in tests/qa/test_store_lifecycle.py). A stale writer can also persist its index
over the shared one.

How: every Chroma call on a local store runs in a section of a readers-writer lock on the data
folder (``flock``: shared to read, exclusive to write). On entry, the folder's clock (Chroma's
highest applied log offset, its collections, and the database file's inode) is compared with
the clock this client's view was taken at; when another process has written, the client is
reopened, under the exclusive lock, and every collection read once, so that its index is
loaded from disk and the log replayed. No write lands between that check and the call.
Chroma shares one client state per folder within a process, so the stores of a folder share
this one client: a reopening renews it for all of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per local store
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "store.lock"  # beside the Chroma folder: a rebuilt folder keeps the same lock
DATABASE = "chroma.sqlite3"
Clock = tuple[int, int, str]  # (database inode, highest applied log offset, collections)
_NONE, _SHARED, _EXCLUSIVE = 0, 1, 2


class SharedClient:
    """The embedded client of one Chroma folder, shared by this process's stores on it."""

    def __init__(self, path: Path, opener: Callable[[], ClientAPI]) -> None:
        self.path = path
        self.opener = opener
        self.lock = threading.RLock()  # one call at a time on this folder in this process
        self.client: ClientAPI | None = None
        self.epoch = 0  # counts (re)openings: a store re-reads its collections when it moves
        self.users = 0
        self._applied: Clock | None = None  # the clock this client's view was taken at
        self._mode = _NONE  # what this process holds of the folder's lock now
        self._lock_fd: int | None = None
        self._db: sqlite3.Connection | None = None
        self._db_inode = 0

    def clock(self) -> Clock:
        """Where the folder stands: any write by any process moves it."""
        with self.lock:
            return self._clock()

    def _clock(self) -> Clock:
        database = self.path / DATABASE
        try:
            inode = database.stat().st_ino
        except OSError:
            return (0, 0, "")
        try:
            if self._db is None or self._db_inode != inode:  # a rebuild swapped the folder
                self._close_db()
                self._db = sqlite3.connect(
                    f"{database.as_uri()}?mode=ro",
                    uri=True,
                    timeout=60,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._db_inode = inode
            offset = self._db.execute("SELECT MAX(seq_id) FROM max_seq_id").fetchone()[0]
            rows = self._db.execute("SELECT id, name FROM collections ORDER BY id").fetchall()
        except sqlite3.Error:  # not (yet) a Chroma database: opening it says what is wrong
            self._close_db()
            return (inode, -1, "")
        named = hashlib.sha256(repr(rows).encode()).hexdigest()
        return (inode, int(offset or 0), named)

    @contextlib.contextmanager
    def section(self, write: bool) -> Iterator[ClientAPI]:
        """Hold the folder shared (to read) or exclusively (to write), with a client whose
        view includes every write made before; after a write, its view is the folder's."""
        with self.lock:
            held = self._mode
            if write and held != _EXCLUSIVE:
                self._flock(_EXCLUSIVE)
            elif held == _NONE:
                self._flock(_SHARED)
            try:
                if self.client is None or self.clock() != self._applied:
                    self._flock(_EXCLUSIVE)  # no other process writes while we reload
                    self._reopen()
                assert self.client is not None
                yield self.client
                if self._mode == _EXCLUSIVE:  # no one else wrote: what moved is ours
                    self._applied = self.clock()
            finally:
                if self._mode != held:
                    self._flock(held)

    def reopen(self) -> None:
        """Open the client anew (a collection another process renamed or deleted)."""
        with self.section(write=True):
            self._reopen()

    def share(self) -> SharedClient:
        """This client for one more store (which releases it when closed)."""
        with self.lock:
            self.users += 1
        return self

    def release(self) -> None:
        """One store fewer; the last one closes the client and the files."""
        with _registry, self.lock:
            self.users -= 1
            if self.users > 0:
                return
            _shared.pop(self.path, None)
            self._close_client()
            self._close_db()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _reopen(self) -> None:
        self._close_client()
        self.client = client = self.opener()
        self.epoch += 1
        for collection in client.list_collections():
            collection.count()  # loads its index and replays the log, under this lock
        self._applied = self.clock()

    def _close_client(self) -> None:
        client, self.client = self.client, None
        close = getattr(client, "close", None)  # Client has it; ClientAPI does not say so
        if close is not None:
            with contextlib.suppress(Exception):
                close()

    def _close_db(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()

    def _flock(self, mode: int) -> None:
        self._mode = mode
        if fcntl is None:
            return
        if self._lock_fd is None:
            from index.client import make_data_folder

            make_data_folder(self.path.parent)
            self._lock_fd = os.open(self.path.parent / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        operation = {_NONE: fcntl.LOCK_UN, _SHARED: fcntl.LOCK_SH, _EXCLUSIVE: fcntl.LOCK_EX}
        fcntl.flock(self._lock_fd, operation[mode])


_shared: dict[Path, SharedClient] = {}
_registry = threading.Lock()


def shared_client(path: Path, opener: Callable[[], ClientAPI]) -> SharedClient:
    """The process's client of the Chroma folder at path (opened on first use); release it
    when done."""
    key = Path(os.path.abspath(path))
    with _registry:
        found = _shared.get(key)
        if found is None:
            found = _shared[key] = SharedClient(key, opener)
        return found.share()


def _forget() -> None:  # a forked child opens its own client, lock and connection
    _shared.clear()


os.register_at_fork(after_in_child=_forget)
