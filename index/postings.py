"""What a version of a source keeps beside its chunks: its postings (the lexical index on disk:
per term, the chunks that hold it, and how often) and its text.

A row is keyed by (term, source, digest) and holds, for each chunk of that version of the
source that uses the term, four int32s: the chunk's start and end, its length in terms and
the term's count in it. Rows are content-addressed like chunk ids: a reader keeps only the
rows whose (source, digest) the manifest holds, so rows written by an interrupted write, or
not yet deleted after a newer version, are invisible. The text is kept the same way, out of
the manifest, which every reader reads whole. A local store keeps both in an SQLite file
beside Chroma's; a store on a Chroma server, in collections of their own there, in segments
(index.server_postings).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from index.chunking import searchable
from index.shared_sqlite import open_shared, transaction
from index.terms import text_terms

LEXICON_FILE = "lexicon.sqlite3"
FIELDS = 4  # start, end, length, tf

Live = set[tuple[str, str]]  # the (source, digest) pairs the manifest holds
Version = tuple[str, str, dict[str, bytes]]  # source, digest and its packed postings by term


class Row(NamedTuple):
    """One term's postings in one version of one source (``data`` empty when not asked for);
    a tuple, since a query over many sources reads thousands."""

    term: str
    source: str
    digest: str
    chunks: int  # how many chunks hold the term
    data: bytes = b""


class Spanned(Protocol):
    """A chunk as written (index.chunking.Chunk) or read back (index.records.StoredChunk)."""

    @property
    def text(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def source_postings(chunks: Iterable[Spanned]) -> tuple[dict[str, bytes], int]:
    """The packed postings of one source's chunks, by term, and its length in terms: a
    chunk's terms are its section headings' and its text's."""
    from array import array

    found: dict[str, array[int]] = {}
    total = 0
    for chunk in chunks:
        doc = text_terms(searchable(chunk))
        total += len(doc)
        for term, tf in Counter(doc).items():
            found.setdefault(term, array("i")).extend((chunk.start, chunk.end, len(doc), tf))
    return {term: packed.tobytes() for term, packed in found.items()}, total


def base_name(collection: str) -> str:
    """The collection a rebuild's collections stand in for: rows are shared between them."""
    return collection.split("__", 1)[0]


class Postings(Protocol):
    """Where a store's postings live."""

    def write(self, versions: Sequence[Version], now: float) -> None: ...
    def write_text(self, source: str, digest: str, text: str, now: float) -> None: ...
    def text(self, source: str, digest: str) -> str | None: ...
    def find(self, terms: Sequence[str], live: Live, data: bool = True) -> list[Row]: ...
    def remove(self, source: str, keep: str | None = None) -> None: ...
    def dead(self, live: Live, cutoff: float) -> set[tuple[str, str]]:
        """The versions registered (their text written) before cutoff that are not live."""
        ...

    def forget(self, versions: set[tuple[str, str]]) -> None:
        """Delete these versions' postings and texts."""
        ...

    def versions(self) -> set[tuple[str, str]]:
        """Every (source, digest) that has rows, live or not."""
        ...

    def close(self) -> None: ...


class LocalPostings:
    """Postings in an SQLite file in a local store's folder, one table for every collection."""

    def __init__(self, folder: Path, collection: str) -> None:
        self.path = folder / LEXICON_FILE
        self.collection = base_name(collection)
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        self._db = open_shared(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS postings (collection TEXT NOT NULL, term TEXT NOT NULL, "
            "source TEXT NOT NULL, digest TEXT NOT NULL, count INTEGER NOT NULL, "
            "data BLOB NOT NULL, written_at REAL NOT NULL, "
            "PRIMARY KEY (collection, term, source, digest)) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE INDEX IF NOT EXISTS postings_by_source ON postings (collection, source, digest)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS texts (collection TEXT NOT NULL, source TEXT NOT NULL, "
            "digest TEXT NOT NULL, text TEXT NOT NULL, written_at REAL NOT NULL, "
            "PRIMARY KEY (collection, source, digest)) WITHOUT ROWID"
        )
        self._db.execute(  # the versions by age, without reading their texts
            "CREATE INDEX IF NOT EXISTS texts_by_age "
            "ON texts (collection, written_at, source, digest)"
        )

    def write(self, versions: Sequence[Version], now: float) -> None:
        values = (
            (self.collection, term, source, digest, len(data) // (4 * FIELDS), data, now)
            for source, digest, rows in versions
            for term, data in rows.items()
        )
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO postings VALUES (?, ?, ?, ?, ?, ?, ?)", values)

    def write_text(self, source: str, digest: str, text: str, now: float) -> None:
        with self._transaction() as db:
            row = (self.collection, source, digest, text, now)
            db.execute("INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?, ?)", row)

    def text(self, source: str, digest: str) -> str | None:
        with self._lock:
            found = self._db.execute(
                "SELECT text FROM texts WHERE collection = ? AND source = ? AND digest = ?",
                (self.collection, source, digest),
            ).fetchone()
        return None if found is None else str(found[0])

    def find(self, terms: Sequence[str], live: Live, data: bool = True) -> list[Row]:
        column = "data" if data else "x''"
        with self._lock:
            found = self._db.execute(
                f"SELECT term, source, digest, count, {column} FROM postings "
                "WHERE collection = ? AND term IN (SELECT value FROM json_each(?))",
                (self.collection, json.dumps(list(terms))),
            ).fetchall()
        return [Row._make(row) for row in found if (row[1], row[2]) in live]

    def remove(self, source: str, keep: str | None = None) -> None:
        with self._transaction() as db:
            for table in ("postings", "texts"):
                db.execute(
                    f"DELETE FROM {table} WHERE collection = ? AND source = ? AND digest != ?",
                    (self.collection, source, keep or ""),
                )

    def dead(self, live: Live, cutoff: float) -> set[tuple[str, str]]:
        with self._lock:
            held = self._db.execute(
                "SELECT source, digest FROM texts WHERE collection = ? AND written_at <= ?",
                (self.collection, cutoff),
            ).fetchall()
        return {(str(s), str(d)) for s, d in held if (s, d) not in live}

    def forget(self, versions: set[tuple[str, str]]) -> None:
        with self._transaction() as db:
            for source, digest in versions:
                for table in ("postings", "texts"):
                    db.execute(
                        f"DELETE FROM {table} WHERE collection = ? AND source = ? AND digest = ?",
                        (self.collection, source, digest),
                    )

    def versions(self) -> set[tuple[str, str]]:
        with self._lock:
            found = self._db.execute(
                "SELECT DISTINCT source, digest FROM postings WHERE collection = ?",
                (self.collection,),
            ).fetchall()
        return {(str(s), str(d)) for s, d in found}

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Any:
        with self._lock, transaction(self._db) as db:
            yield db


def row_id(term: str, source: str, digest: str) -> str:
    """A content-derived row id on a Chroma server, as chunk ids are."""
    key = f"{term}\x00{source}\x00{digest}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
