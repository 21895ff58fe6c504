"""Postings on a Chroma server, in segments: one row per term for each write, not per source.

A row per (term, source) would make a query read one row per source holding each of its terms,
and indexing write one row per distinct word of every file; on a server each row costs a
round of Chroma's bookkeeping. So each write (a batch of sources) is a segment: one row per
term it uses, holding the entries of all its versions, and one header row listing them.
Versions stay content-addressed: a reader keeps a version's entries if the manifest holds it,
once per term (a version written twice, by a killed write and its rerun, is the same). Removing
a source or sweeping orphans rewrites the segments that hold them; when segments pile up, the
smallest are merged, so a query reads a few rows a term however the corpus was indexed.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from index.postings import FIELDS, Live, Row, Version, base_name, row_id

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

MERGE_AT, MERGED = 24, 12  # more segments than this and the MERGED smallest become one
_PAGE = 5000
_WIDTH = 4 * FIELDS  # bytes of one entry


class ServerPostings:
    """Postings and texts in collections of their own on the Chroma server."""

    def __init__(self, client: ClientAPI, collection: str) -> None:
        base = base_name(collection)
        self.collection = client.get_or_create_collection(f"{base}__terms", embedding_function=None)
        self.texts = client.get_or_create_collection(f"{base}__texts", embedding_function=None)
        self._known: tuple[list[str], set[tuple[str, str]]] | None = None  # segments, versions

    def write(self, versions: Sequence[Version], now: float) -> None:
        by_term: dict[str, list[tuple[str, str, bytes]]] = {}
        for source, digest, rows in versions:
            for term, data in rows.items():
                by_term.setdefault(term, []).append((source, digest, data))
        self._write_segment(by_term, [(s, d) for s, d, _rows in versions], now)
        if len(self.headers()) > MERGE_AT:
            self._merge()

    def write_text(self, source: str, digest: str, text: str, now: float) -> None:
        meta: Any = {"source": source, "digest": digest, "written_at": now}
        self.texts.upsert(
            ids=[row_id("", source, digest)],
            documents=[text],
            metadatas=[meta],
            embeddings=_ones(1),
        )

    def text(self, source: str, digest: str) -> str | None:
        got = self.texts.get(ids=[row_id("", source, digest)], include=["documents"])
        documents = got["documents"] or []
        return str(documents[0]) if documents and documents[0] is not None else None

    def find(self, terms: Sequence[str], live: Live, data: bool = True) -> list[Row]:
        if not terms:
            return []
        for _attempt in range(3):
            segments = self._segments(live)
            got = self.collection.get(
                ids=[row_id(term, segment, "") for term in terms for segment in segments],
                include=["metadatas"],
            )
            # a segment is rewritten header first: if every header is still there after the
            # rows were read, no row of theirs had gone before
            heads = [_header_id(segment) for segment in segments]
            if len(self.collection.get(ids=heads, include=[])["ids"]) == len(heads):
                break
            self._known = None  # rewritten meanwhile (merged or swept): read the headers again
        out, seen = [], set()
        for meta in got["metadatas"] or []:
            term = str(meta["term"])
            for source, digest, entries in _versions(meta):
                if (source, digest) in live and (term, source, digest) not in seen:
                    seen.add((term, source, digest))
                    out.append(Row(term, source, digest, len(entries) // _WIDTH, entries))
        if not data:
            out = [row._replace(data=b"") for row in out]
        return out

    def _segments(self, live: Live) -> list[str]:
        """The segments to read, from the headers last read, read again when a live version is
        in none of them (written since)."""
        known = self._known
        if known is None or not live <= known[1]:
            headers = self.headers()
            held = {(s, d) for header in headers for s, d in json.loads(header["versions"])}
            known = self._known = ([str(header["segment"]) for header in headers], held)
        return known[0]

    def remove(self, source: str, keep: str | None = None) -> None:
        self._rewrite(lambda s, d: s == source and d != keep)
        where: Any = {"source": source}
        if keep is not None:
            where = {"$and": [where, {"digest": {"$ne": keep}}]}
        self.texts.delete(where=where)

    def dead(self, live: Live, cutoff: float) -> set[tuple[str, str]]:
        old: Any = {"written_at": {"$lte": cutoff}}
        got = self.texts.get(where=old, include=["metadatas"])
        found = {(str(m["source"]), str(m["digest"])) for m in got["metadatas"] or []}
        for header in self.headers():
            if float(header["written_at"]) <= cutoff:
                found.update((s, d) for s, d in json.loads(header["versions"]))
        return {version for version in found if version not in live}

    def forget(self, versions: set[tuple[str, str]]) -> None:
        if not versions:
            return
        self._rewrite(lambda s, d: (s, d) in versions)
        for source, digest in versions:
            self.texts.delete(ids=[row_id("", source, digest)])

    def versions(self) -> set[tuple[str, str]]:
        return {(s, d) for header in self.headers() for s, d in json.loads(header["versions"])}

    def close(self) -> None:
        """The client is the store's: nothing of its own to release."""

    # segments

    def headers(self) -> list[Any]:
        """The header row of every segment: its id, when it was written, its versions."""
        got = self.collection.get(where={"kind": "segment"}, include=["metadatas"])
        return list(got["metadatas"] or [])

    def _write_segment(
        self, by_term: dict[str, list[tuple[str, str, bytes]]], versions: list[tuple[str, str]],
        now: float,
    ) -> None:  # fmt: skip
        """Write a segment: its header first, so a killed write is swept by its versions."""
        segment = uuid.uuid4().hex[:16]
        self._known = None
        if not versions:
            return
        header: Any = {"kind": "segment", "segment": segment, "written_at": now,
                       "versions": json.dumps(sorted(set(versions)))}  # fmt: skip
        self.collection.upsert(ids=[_header_id(segment)], metadatas=[header], embeddings=_ones(1))
        items = list(by_term.items())
        for at in range(0, len(items), _PAGE):
            page = items[at : at + _PAGE]
            metadatas: Any = [
                {
                    "term": term,
                    "segment": segment,
                    "versions": json.dumps([[s, d, len(data) // _WIDTH] for s, d, data in held]),
                    "data": base64.b64encode(b"".join(data for _s, _d, data in held)).decode(),
                    "written_at": now,
                }
                for term, held in page
            ]
            ids = [row_id(term, segment, "") for term, _held in page]
            self.collection.upsert(ids=ids, metadatas=metadatas, embeddings=_ones(len(page)))

    def _rewrite(self, dead: Callable[[str, str], bool]) -> None:
        """Rewrite the segments that hold dead versions without them."""
        for header in self.headers():
            held = [tuple(v) for v in json.loads(header["versions"])]
            gone = {(s, d) for s, d in held if dead(s, d)}
            if gone:
                self._replace([str(header["segment"])], gone, float(header["written_at"]))

    def _merge(self) -> None:
        """Merge the smallest segments into one (with their dead versions left out)."""
        headers = sorted(self.headers(), key=lambda h: len(json.loads(h["versions"])))
        smallest = headers[:MERGED]
        newest = max(float(h["written_at"]) for h in smallest)
        self._replace([str(h["segment"]) for h in smallest], set(), newest)

    def _replace(self, segments: list[str], gone: set[tuple[str, str]], now: float) -> None:
        """Write these segments' versions but gone as one new segment, then delete them.
        Readers meanwhile see both, and keep each version's entries once."""
        by_term: dict[str, list[tuple[str, str, bytes]]] = {}
        kept: set[tuple[str, str]] = set()
        where: Any = {"segment": {"$in": segments}}
        ids: list[str] = []
        metadatas: list[Any] = []
        while True:  # a page at a time: a merge reads more rows than one query may bind
            got = self.collection.get(
                where=where, include=["metadatas"], limit=_PAGE, offset=len(ids)
            )
            ids += got["ids"]
            metadatas += got["metadatas"] or []
            if len(got["ids"]) < _PAGE:
                break
        for meta in metadatas:
            if "term" not in meta:
                kept.update(
                    (s, d) for s, d in json.loads(str(meta["versions"])) if (s, d) not in gone
                )
                continue
            for source, digest, entries in _versions(meta):
                if (source, digest) not in gone:
                    by_term.setdefault(str(meta["term"]), []).append((source, digest, entries))
        self._write_segment(by_term, sorted(kept), now)
        # the headers go first: a reader that still sees a segment's header has all its rows
        heads = {_header_id(segment) for segment in segments}
        self.collection.delete(ids=sorted(heads))
        rows = [i for i in ids if i not in heads]
        for at in range(0, len(rows), _PAGE):
            self.collection.delete(ids=rows[at : at + _PAGE])


def _header_id(segment: str) -> str:
    """The id of a segment's header row."""
    return row_id("", segment, "")


def _versions(meta: Any) -> list[tuple[str, str, bytes]]:
    """A term row's (source, digest, packed entries), one per version of its segment."""
    data, at, out = base64.b64decode(str(meta["data"])), 0, []
    for source, digest, count in json.loads(str(meta["versions"])):
        out.append((str(source), str(digest), data[at : at + count * _WIDTH]))
        at += count * _WIDTH
    return out


def _ones(n: int) -> Any:
    import numpy as np

    return np.ones((n, 1), dtype=np.float32)
