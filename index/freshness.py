"""Whether a Store's last read of its manifest still holds, across processes and within one."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from index.records import SourceRecord

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

SNAPSHOT_SECONDS = 1.0  # how stale a view of a Chroma server's index may be
_written = [0]  # writes by any Store in this process: they end every cached snapshot at once

WRITTEN = "qa_written"  # the manifest collection's metadata: a token each write changes
# (a local folder's clock, see index.embedded, or a server's manifest clock; this process's
# writes)
Stamp = tuple[object, int]


def note_write() -> None:
    """Count a write by a Store of this process: every snapshot taken before it is stale."""
    _written[0] += 1


def written_token() -> dict[str, Any]:
    """The manifest's metadata after a write to a Chroma server: a new token."""
    return {WRITTEN: uuid.uuid4().hex}


def manifest_clock(client: ClientAPI, name: str) -> tuple[str, str]:
    """A server's manifest collection, as its id and write token: any qa write moves it."""
    found = client.get_collection(name, embedding_function=None)
    return str(found.id), str((found.metadata or {}).get(WRITTEN, ""))


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
        """Whether it may still be answered from: while no process has written to the store
        (its stamp, now ``stamp``, is unchanged), and on a server for SNAPSHOT_SECONDS at
        most (a writer that leaves no token, such as an older qa)."""
        fresh = local or time.monotonic() - self.taken < SNAPSHOT_SECONDS
        return fresh and stamp == self.stamp
