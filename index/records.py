"""The store's frozen values and their codec: ids and Chroma metadata for chunks and sources."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from index.chunking import Chunk
from index.loading import SourceDocument
from index.vectors import METADATA_KEY, pack, unpack

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True)
class SourceRecord:
    """One indexed source as the manifest knows it."""

    source: str
    path: str
    digest: str
    chunks: int
    indexed_at: float
    terms: int = -1  # its length in terms, for BM25; -1 when indexed before postings were kept


@dataclass(frozen=True)
class Write:
    """One source to (re)write: its chunks, their vectors and, per chunk, the vectors of its
    sentences (none: the answerer encodes them when asked). ``replacing`` is False for a
    source that was not indexed before, so there are no old chunks to look for."""

    document: SourceDocument
    chunks: tuple[Chunk, ...]
    vectors: Sequence[Sequence[float]]
    replacing: bool = True
    sentence_vectors: Sequence[NDArray[np.float32]] = ()


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store."""

    id: str
    source: str
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    heading: str = ""  # the titles of its sections (see index.chunking.searchable)
    packed_vectors: bytes = field(default=b"", repr=False, compare=False)

    def sentence_vectors(self) -> NDArray[np.float32] | None:
        """One unit vector per sentence, as stored at indexing; None for a chunk indexed
        before they were stored."""
        return unpack(self.packed_vectors, len(self.sentences))


def chunk_id(source: str, digest: str, chunk: Chunk) -> str:
    """A content-derived id: the same chunk of the same text always gets the same id."""
    return span_id(source, digest, chunk.start, chunk.end)


def span_id(source: str, digest: str, start: int, end: int) -> str:
    """The id of the chunk at start:end of this version of a source."""
    key = f"{source}\x00{digest}\x00{start}\x00{end}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def source_id(source: str) -> str:
    """The id of a source's manifest record."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def chunk_metadata(
    document: SourceDocument,
    chunk: Chunk,
    written_at: float,
    sentence_vectors: NDArray[np.float32] | None = None,
) -> dict[str, Any]:
    """A chunk's Chroma metadata: its source and digest, its span and sentences, its
    sections' headings if it has any, when it was written and, if given, its sentences'
    vectors."""
    meta: dict[str, Any] = {
        "source": document.source,
        "digest": document.digest,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps(chunk.sentences),
        "written_at": written_at,
    }
    if chunk.heading:
        meta["heading"] = chunk.heading
    if sentence_vectors is not None:
        meta[METADATA_KEY] = pack(sentence_vectors)
    return meta


def chunk_rows(
    writes: Sequence[Write], indexed_at: float
) -> tuple[list[str], list[str], list[Any], list[Sequence[float]]]:
    """The ids, texts, metadata and vectors of the writes' chunks, in order, for Chroma."""
    ids: list[str] = []
    texts: list[str] = []
    metadatas: list[Any] = []
    vectors: list[Sequence[float]] = []
    for w in writes:
        for n, chunk in enumerate(w.chunks):
            ids.append(chunk_id(w.document.source, w.document.digest, chunk))
            texts.append(chunk.text)
            sentences = w.sentence_vectors[n] if w.sentence_vectors else None
            metadatas.append(chunk_metadata(w.document, chunk, indexed_at, sentences))
        vectors.extend(w.vectors)
    return ids, texts, metadatas, vectors


def source_metadata(write: Write, indexed_at: float, terms: int) -> dict[str, Any]:
    """The manifest record of a written source, as Chroma metadata."""
    return {
        "terms": terms,
        "source": write.document.source,
        "path": write.document.path,
        "digest": write.document.digest,
        "chunks": len(write.chunks),
        "indexed_at": indexed_at,
    }


def source_record(meta: Any) -> SourceRecord:
    """A manifest record read back from its Chroma metadata."""
    return SourceRecord(
        source=str(meta["source"]),
        path=str(meta.get("path", "")),
        digest=str(meta["digest"]),
        chunks=int(meta.get("chunks", 0) or 0),
        indexed_at=float(meta.get("indexed_at", 0.0) or 0.0),
        terms=int(meta.get("terms", -1)),
    )


def stored_chunk(cid: str, text: Any, meta: Any) -> StoredChunk:
    """A chunk read back from its id, text and Chroma metadata."""
    spans = json.loads(str(meta.get("sentences", "[]")))
    packed = meta.get(METADATA_KEY)
    return StoredChunk(
        id=cid,
        source=str(meta["source"]),
        text=str(text),
        start=int(meta["start"]),
        end=int(meta["end"]),
        sentences=tuple((int(a), int(b)) for a, b in spans),
        heading=str(meta.get("heading") or ""),
        packed_vectors=base64.b64decode(packed) if isinstance(packed, str) else b"",
    )
