"""Whether a Store's last read of its manifest still holds, across processes and within one."""

from __future__ import annotations

import time
from dataclasses import dataclass

from index.records import SourceRecord

SNAPSHOT_SECONDS = 1.0  # how stale a view of a Chroma server's index may be
_written = [0]  # writes by any Store in this process: they end every cached snapshot at once

# (a local folder's clock, see index.embedded, or None on a server; this process's writes)
Stamp = tuple[object, int]


def note_write() -> None:
    """Count a write by a Store of this process: every snapshot taken before it is stale."""
    _written[0] += 1


def written() -> int:
    """How many writes Stores of this process have made."""
    return _written[0]


@dataclass(frozen=True)
class Snapshot:
    """The manifest as last read: its records, their generation, when, and the stamp then."""

    records: list[SourceRecord]
    generation: str
    taken: float
    stamp: Stamp

    def holds(self, stamp: Stamp, local: bool) -> bool:
        """Whether it may still be answered from: for a local store, while no process has
        written to its folder (its stamp, now ``stamp``, is unchanged); for a server, for
        SNAPSHOT_SECONDS unless this process wrote meanwhile."""
        if local:
            return stamp == self.stamp
        return time.monotonic() - self.taken < SNAPSHOT_SECONDS and stamp[1] == self.stamp[1]
