"""Chunks an interrupted write left behind: found by their registered versions, dropped late."""

from __future__ import annotations

import time
from typing import Any

from index.client import collection_names
from index.errors import StoreError
from index.postings import base_name
from index.store import PAGE, Store

ORPHAN_GRACE_SECONDS = 600.0


def drop_orphans(store: Store, min_age: float = ORPHAN_GRACE_SECONDS) -> int:
    """Delete chunks left behind by an interrupted write; returns how many went.

    Only orphans older than ``min_age`` seconds go, so a writer never deletes the chunks
    another writer (on a shared Chroma server) has written but not yet committed. Chunks
    an older qa left behind, before versions were registered, stay (no reader sees them)
    until `qa index --rebuild`.
    """
    live = {(r.source, r.digest) for r in store.sources()}
    cutoff = time.time() - min_age
    # a write registers its version (its text) before its chunks: the versions registered
    # but not in the manifest are all there is to look at, not every chunk
    shared = live | versions_beside(store)  # a rebuild's postings are the live ones'
    dead = store.call(lambda: store.postings.dead(shared, cutoff))
    dropped = 0
    for source, digest in sorted(dead):
        where: Any = {"$and": [{"source": source}, {"digest": digest}]}
        ids = store.call(lambda where=where: store.chunks.get(where=where, include=[]))["ids"]
        for at in range(0, len(ids), PAGE):
            page = ids[at : at + PAGE]
            store.call(lambda page=page: store.chunks.delete(ids=page), write=True)
        dropped += len(ids)
    store.call(lambda: store.postings.forget(dead), write=True)
    return dropped


def versions_beside(store: Store) -> set[tuple[str, str]]:
    """The versions a rebuild's collections hold (or, for a rebuild, the live ones')."""
    base = base_name(store.name)
    other = f"{base}__rebuild" if store.name == base else base
    manifest = collection_names(other)[1]
    try:
        got = store.call(lambda: store.client.get_collection(manifest).get())
        return {(str(m["source"]), str(m["digest"])) for m in got["metadatas"] or []}
    except StoreError:  # none: no rebuild is under way
        return set()
