"""Reading a store whole, a page at a time: its live chunks, and postings for sources indexed
before postings were kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from index.postings import source_postings
from index.records import SourceRecord, StoredChunk, stored_chunk
from index.store import Store


def live_chunks(store: Store, records: Sequence[SourceRecord] | None = None) -> list[StoredChunk]:
    """Every chunk of every source in the manifest (or in records), in source order.

    The collection is read a page at a time. Another process writing meanwhile shifts the
    pages, so a chunk can be missed or read twice: chunks are kept once by id, and a source
    whose count comes out short is read again on its own.
    """
    if records is None:
        records = store.sources()
    expected = {(r.source, r.digest): r.chunks for r in records}
    found: dict[str, StoredChunk] = {}
    counts: Counter[tuple[str, str]] = Counter()

    def keep(page: Any) -> None:
        for cid, text, meta in zip(
            page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
        ):
            key = (str(meta.get("source")), str(meta.get("digest")))
            if key in expected and cid not in found:
                found[cid] = stored_chunk(cid, text, meta)
                counts[key] += 1

    if len(records) > 1:  # one read of the whole collection
        for page in store.pages(["documents", "metadatas"]):
            keep(page)
    for (source, digest), count in expected.items():
        if counts[(source, digest)] < count:
            where = {"$and": [{"source": source}, {"digest": digest}]}
            for page in store.pages(["documents", "metadatas"], where):
                keep(page)
    return sorted(found.values(), key=lambda chunk: (chunk.source, chunk.start))


def add_missing_postings(store: Store) -> int:
    """Write the postings of every source indexed before postings were kept; how many."""
    missing = [record for record in store.sources() if record.terms < 0]
    for record in missing:
        rows, length = source_postings(live_chunks(store, [record]))
        store.record_postings(record, rows, length)
    return len(missing)
