"""Whether a Store's last read of its manifest still holds, across processes and within one."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from index.client import CHROMA_FOLDER
from index.records import SourceRecord

SNAPSHOT_SECONDS = 1.0  # how stale a view of a Chroma server's index may be
_written = [0]  # writes by any Store in this process: they end every cached snapshot at once

Stamp = tuple[int, int, int, int]


def note_write() -> None:
    """Count a write by a Store of this process: every snapshot taken before it is stale."""
    _written[0] += 1


def file_stamp(folder: Path | None) -> Stamp:
    """(inode, mtime, size) of a local store's database, which any committed write changes,
    and the count of this process's writes."""
    try:
        found = os.stat(Path(str(folder), CHROMA_FOLDER, "chroma.sqlite3"))
    except (OSError, TypeError):
        return (0, 0, 0, _written[0])
    return (found.st_ino, found.st_mtime_ns, found.st_size, _written[0])


@dataclass(frozen=True)
class Snapshot:
    """The manifest as last read: its records, their generation, when, and the file stamp then."""

    records: list[SourceRecord]
    generation: str
    taken: float
    stamp: Stamp

    def holds(self, stamp: Stamp, local: bool) -> bool:
        """Whether it may still be answered from: for a local store, while its database file
        (stamped now as ``stamp``) is unchanged; for a server, for SNAPSHOT_SECONDS unless
        this process wrote meanwhile."""
        fresh = time.monotonic() - self.taken < SNAPSHOT_SECONDS and self.stamp[3] == _written[0]
        return stamp == self.stamp if local else fresh

    def changed(self, generation: str, stamp: Stamp) -> bool:
        """Whether another process changed the index since: it has another generation, or
        its database file was replaced (a rebuild)."""
        return (generation, stamp[0]) != (self.generation, self.stamp[0])
