"""The Store: chunk vectors in a Chroma collection, and a manifest that makes each write atomic."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.chunking import Chunk
from index.client import (
    DEFAULT_COLLECTION,
    broken_store_message,
    collection_gone,
    collection_names,
    collection_replaced,
    error_line,
    renamed_in,
    store_failure,
)
from index.errors import StoreError
from index.freshness import Snapshot, Stamp, manifest_clock, note_write, written, written_token
from index.loading import SourceDocument
from index.postings import LocalPostings, Postings, Row, source_postings
from index.records import (
    SourceRecord,
    StoredChunk,
    Write,
    chunk_rows,
    source_id,
    source_metadata,
    source_record,
    stored_chunk,
)
from index.server_postings import ServerPostings

if TYPE_CHECKING:
    import numpy as np
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Include
    from numpy.typing import NDArray

    from index.embedded import SharedClient

PAGE = 5000  # chunks a Chroma call reads or writes at most


class Store:
    """Chunks of every indexed source in one Chroma collection, and a manifest beside it.

    A source becomes visible when its manifest record is written, after all of its chunks:
    readers only ever see chunks whose source and digest match the manifest, so an interrupted
    write is invisible and is cleaned up by the next one.

    A local store opened ``shared`` (see ``index.opening.open_store``) makes each Chroma call
    in a section of the folder's readers-writer lock, on a client reopened whenever another
    process has written (see ``index.embedded``); local writes also need the folder's write
    lock (``index.locking``), which ``Library`` holds.
    """

    def __init__(
        self,
        client: ClientAPI | None,
        name: str = DEFAULT_COLLECTION,
        folder: Path | None = None,
        url: str = "",
        shared: SharedClient | None = None,
    ):
        self.name = name
        self.folder = folder
        self.url = url
        self.shared = shared
        self._epoch = -1  # the shared client's opening that the collections below come from
        self._closed = False
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None  # the last read; None after our own writes
        if shared is None:
            assert client is not None
            self._attach(client)
            return
        try:
            with shared.section(write=True) as opened:  # may create the collections
                self._attach(opened)
                self._epoch = shared.epoch
        except StoreError:
            shared.release()
            raise
        except Exception as exc:  # the folder does not open
            shared.release()
            assert folder is not None
            raise StoreError(broken_store_message(folder, exc)) from None

    def _attach(self, client: ClientAPI, create: bool = True) -> None:
        self.client = client
        chunks, manifest = collection_names(self.name)
        try:
            if create:
                self.chunks: Collection = client.get_or_create_collection(
                    chunks, embedding_function=None, metadata={"hnsw:space": "cosine"}
                )
                self.manifest: Collection = client.get_or_create_collection(
                    manifest, embedding_function=None
                )
            else:  # never create: a rebuild may be about to rename its collections in
                self.chunks, self.manifest = renamed_in(client, chunks, manifest)
            if hasattr(self, "postings"):  # reattached: the old file may be a replaced one
                self.postings.close()
            # a local store's postings: in its Chroma folder, so a rebuilt folder brings its own
            settings = client.get_settings()
            self.postings: Postings = (
                LocalPostings(Path(settings.persist_directory), self.name)
                if settings.is_persistent
                else ServerPostings(client, self.name)
            )
        except Exception as exc:
            if self.folder is not None:
                raise StoreError(broken_store_message(self.folder, exc)) from None
            raise StoreError(f"Cannot open collection '{self.name}': {error_line(exc)}") from None

    def _reattach(self, create: bool = True) -> None:
        """Open the collections again by name: a local folder through a fresh client (the
        embedded one keeps what it loaded), a server through the same one."""
        if self.shared is not None:
            self.shared.reopen()
            assert self.shared.client is not None
            self._attach(self.shared.client, create)
            self._epoch = self.shared.epoch
        else:
            self._attach(self.client, create)

    def beside(self, name: str) -> Store:
        """A store of another collection name on the same client (a rebuild's); close it."""
        if self.shared is None:
            return Store(self.client, name, url=self.url)
        return Store(None, name, self.folder, self.url, self.shared.share())

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[ClientAPI]:
        """The client, with no other process writing meanwhile (a local store's)."""
        with self._lock, self._section(write=True):
            yield self.client

    def close(self) -> None:
        """Release the Chroma client (a local folder's files are closed with its last store)."""
        close = getattr(self.client, "close", None)  # Client has it; ClientAPI does not say so
        with self._lock, contextlib.suppress(Exception):
            if self._closed:
                return
            self._closed = True
            self.postings.close()
            if self.shared is not None:
                self.shared.release()
            elif close is not None:
                close()

    # reading

    def snapshot(self) -> tuple[list[SourceRecord], str]:
        """The indexed sources and their generation, as of now: the manifest is read again
        only when a process has written since (see ``index.freshness.Snapshot``)."""
        with self._lock:
            stamp = self._stamp()  # taken first: a write landing meanwhile is read next time
            last = self._snapshot
            if last is not None and last.holds(stamp, local=self.shared is not None):
                return last.records, last.generation
            records = self.sources()
            generation = self.generation(records)
            self._snapshot = Snapshot(records, generation, time.monotonic(), stamp)
            return records, generation

    def _stamp(self) -> Stamp:
        if self.shared is not None:  # a local folder's clock, else the manifest's token
            return (self.shared.clock(), written())
        return (self.call(lambda: manifest_clock(self.client, self.manifest.name)), written())

    def _wrote(self) -> None:
        """After a write: every snapshot of the store, in any process, is stale."""
        self._snapshot = None
        note_write()
        if self.shared is None:
            self.call(lambda: self.manifest.modify(metadata=written_token()), write=True)

    def sources(self) -> list[SourceRecord]:
        records = self.call(lambda: self.manifest.get(include=["metadatas"]))
        out = [source_record(meta) for meta in records["metadatas"] or []]
        return sorted(out, key=lambda record: record.source)

    def generation(self, records: Sequence[SourceRecord] | None = None) -> str:
        """A fingerprint of what is indexed (of records, if given): any change changes it."""
        records = self.sources() if records is None else records
        parts = sorted(f"{r.source}\x00{r.digest}" for r in records)
        return hashlib.sha256("\x01".join(parts).encode("utf-8", "surrogatepass")).hexdigest()

    def source_text(self, source: str) -> str:
        """A source's text as indexed (kept beside the manifest, or in it by an older qa)."""
        include: Any = ["metadatas", "documents"]
        got = self.call(lambda: self.manifest.get(ids=[source_id(source)], include=include))
        if not got["ids"]:
            raise StoreError(f"No source named '{source}' in the index")
        digest = str((got["metadatas"] or [{}])[0].get("digest"))
        text = self.call(lambda: self.postings.text(source, digest))
        return text if text is not None else str((got["documents"] or [""])[0])

    def query(
        self, vector: Sequence[float], k: int, live: set[tuple[str, str]] | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """The k live chunks nearest to vector, with cosine similarity.

        ``live`` is the set of (source, digest) pairs to keep; by default the manifest's.
        """
        if live is None:
            live = {(r.source, r.digest) for r in self.sources()}
        if not live:
            return []
        got = self.call(
            lambda: self.chunks.query(
                query_embeddings=_matrix([vector]),
                n_results=k * 2 + 8,  # Chroma returns fewer when the collection holds fewer
                include=["documents", "metadatas", "distances"],
            )
        )
        out = []
        for cid, text, meta, distance in zip(
            got["ids"][0],
            (got["documents"] or [[]])[0],
            (got["metadatas"] or [[]])[0],
            (got["distances"] or [[]])[0],
            strict=False,
        ):
            # a chunk with no record was deleted between Chroma's search and its read of the
            # records (a Chroma server answers other clients' writes in between): not live
            if meta is not None and (meta.get("source"), meta.get("digest")) in live:
                out.append((stored_chunk(cid, text, meta), 1.0 - float(distance)))
        return out[:k]

    def postings_of(
        self, terms: Sequence[str], live: set[tuple[str, str]], data: bool = True
    ) -> list[Row]:
        """The live postings rows of these terms (their counts alone unless ``data``)."""
        return list(self.call(lambda: self.postings.find(terms, live, data)))

    def fetch(self, ids: Sequence[str]) -> dict[str, tuple[StoredChunk, NDArray[np.float32]]]:
        """The chunks with these ids (those that exist), each with its stored vector."""
        import numpy as np

        if not ids:
            return {}
        got = self.call(
            lambda: self.chunks.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        )
        rows = got["embeddings"] if got["embeddings"] is not None else []
        return {
            cid: (stored_chunk(cid, text, meta), np.asarray(row, dtype=np.float32))
            for cid, text, meta, row in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], rows, strict=False
            )
        }

    def count(self) -> int:
        return int(self.call(lambda: self.chunks.count()))

    # writing

    def write(
        self,
        document: SourceDocument,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]],
        replacing: bool = True,
        sentence_vectors: Sequence[NDArray[np.float32]] = (),
    ) -> None:
        """Replace one source's chunks (see write_many)."""
        self.write_many([Write(document, tuple(chunks), vectors, replacing, sentence_vectors)])

    def write_many(self, writes: Sequence[Write]) -> None:
        """Replace several sources' chunks: all new chunks first, then their manifest records
        in one call, then their old chunks go. A write stopped before the manifest call leaves
        only invisible orphans, dropped later by ``index.orphans.drop_orphans``.
        """
        now = time.time()
        ids, texts, metadatas, vectors = chunk_rows(writes, now)
        versions, lengths = [], []  # postings and texts go first too: unseen until the records
        for w in writes:
            rows, length = source_postings(w.chunks)
            source, digest = w.document.source, w.document.digest
            text = w.document.text
            self.call(lambda: self.postings.write_text(source, digest, text, now), write=True)  # noqa: B023
            versions.append((source, digest, rows))
            lengths.append(length)
        self.call(lambda: self.postings.write(versions, now), write=True)
        for at in range(0, len(ids), PAGE):
            self.call(
                lambda at=at: self.chunks.upsert(
                    ids=ids[at : at + PAGE],
                    documents=texts[at : at + PAGE],
                    metadatas=metadatas[at : at + PAGE],
                    embeddings=_matrix(vectors[at : at + PAGE]),
                ),
                write=True,
            )
        records: Any = [
            source_metadata(w, now, length) for w, length in zip(writes, lengths, strict=True)
        ]
        self.call(
            lambda: self.manifest.upsert(
                ids=[source_id(w.document.source) for w in writes],
                metadatas=records,
                embeddings=_matrix([[1.0]] * len(writes)),
            ),
            write=True,
        )
        for w in writes:
            if w.replacing:
                stale: Any = {
                    "$and": [{"source": w.document.source}, {"digest": {"$ne": w.document.digest}}]
                }
                self.call(lambda stale=stale: self.chunks.delete(where=stale), write=True)
                remove = (w.document.source, w.document.digest)
                self.call(lambda remove=remove: self.postings.remove(*remove), write=True)
        self._wrote()

    def record_postings(self, record: SourceRecord, rows: dict[str, bytes], terms: int) -> None:
        """Add the postings of a source indexed before they were kept, then its length."""
        version = (record.source, record.digest, rows)
        self.call(lambda: self.postings.write([version], time.time()), write=True)
        meta: Any = {**record.__dict__, "terms": terms}
        ids = [source_id(record.source)]
        self.call(lambda: self.manifest.update(ids=ids, metadatas=[meta]), write=True)
        self._wrote()

    def remove(self, source: str) -> bool:
        """Drop a source and its chunks; False when no such source is indexed."""
        known = self.call(lambda: self.manifest.get(ids=[source_id(source)]))
        if not known["ids"]:
            return False
        self.call(lambda: self.manifest.delete(ids=[source_id(source)]), write=True)
        self.call(lambda: self.chunks.delete(where={"source": source}), write=True)
        self.call(lambda: self.postings.remove(source), write=True)
        self._wrote()
        return True

    def pages(self, include: Include, where: Any = None) -> Iterator[Any]:
        """The chunks (those matching ``where``, if given) as Chroma get results, PAGE a time."""
        offset = 0
        while True:
            page = self.call(
                lambda offset=offset: self.chunks.get(
                    where=where, include=include, limit=PAGE, offset=offset
                )
            )
            yield page
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    @contextlib.contextmanager
    def _section(self, write: bool) -> Iterator[None]:
        """A local store's call: in a section of the folder's lock, on the collections of
        the shared client's latest opening (re-read when it was reopened)."""
        if self.shared is None:
            yield
            return
        with self.shared.section(write) as client:
            if self._epoch != self.shared.epoch:
                self._attach(client, create=False)
                self._epoch = self.shared.epoch
                self._snapshot = None
            yield

    def call(self, action: Any, write: bool = False) -> Any:
        """Run one call on this store's collections or postings (``write`` for one that
        changes them): a Chroma failure becomes a one-line StoreError."""
        try:
            with self._lock, self._section(write):
                try:
                    return action()
                except Exception as exc:
                    held = (self.chunks, self.manifest)
                    if not collection_gone(exc) and not collection_replaced(self.client, held):
                        raise
                    # another process rebuilt the index: its collections now hold the name
                    self._reattach(create=False)
                    self._snapshot = None
                    return action()
        except StoreError:
            raise
        except Exception as exc:
            raise store_failure(exc, self.url, self.folder) from exc


def _matrix(rows: Sequence[Sequence[float]]) -> Any:
    import numpy as np

    return np.asarray(rows, dtype=np.float32)
