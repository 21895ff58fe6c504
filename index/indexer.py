"""Index files into the store: load, chunk, embed and write, skipping what is unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from index.chunking import Chunk, chunk_text, searchable
from index.embedding import Embedder
from index.errors import DocumentError
from index.loading import SourceDocument, find_files, load_document
from index.orphans import ORPHAN_GRACE_SECONDS, drop_orphans
from index.records import Write
from index.store import Store
from index.vectors import split_rows

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ProgressFactory = Callable[[int, str], "Progress"]
BATCH = 256  # chunks embedded in one call


class Progress:
    """A progress bar interface: tqdm fits it, and so does this silent default."""

    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        return None


@dataclass
class IndexReport:
    """What one indexing run did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.failed)} failed",
            f"{self.chunks} chunk{'' if self.chunks == 1 else 's'} embedded",
        ]
        return ", ".join(parts)


def index_paths(
    store: Store,
    embedder: Embedder,
    paths: Iterable[str | Path],
    progress: ProgressFactory | None = None,
    force: bool = False,
    orphan_grace: float = ORPHAN_GRACE_SECONDS,
) -> IndexReport:
    """Index every supported file under paths. Unreadable files are reported, not fatal.

    Chunks of interrupted writes older than ``orphan_grace`` seconds are dropped first; a
    writer that holds the only write lock (a local folder) passes 0.
    """
    files = list(find_files(paths))
    return index_files(store, embedder, files, progress, force, orphan_grace)


def index_files(
    store: Store,
    embedder: Embedder,
    files: Sequence[tuple[Path, str]],
    progress: ProgressFactory | None = None,
    force: bool = False,
    orphan_grace: float = ORPHAN_GRACE_SECONDS,
) -> IndexReport:
    """Index (file, source name) pairs, as index_paths does."""
    report = IndexReport()
    drop_orphans(store, orphan_grace)
    records = store.sources()
    known = {record.source: record.digest for record in records}
    claimed = {record.source: record.path for record in records}
    bar = progress(len(files), "files") if progress and len(files) > 1 else Progress()
    pending: list[tuple[SourceDocument, tuple[Chunk, ...], bool]] = []

    def flush() -> None:
        # small documents are embedded and written together: one encode, three round trips
        every = [chunk for _doc, chunks, _r in pending for chunk in chunks]
        vectors, sentences = embed_chunks(embedder, every)
        writes, at = [], 0
        for document, chunks, replacing in pending:
            end = at + len(chunks)
            writes.append(Write(document, chunks, vectors[at:end], replacing, sentences[at:end]))
            at = end
        if writes:
            store.write_many(writes)
        bar.update(len(pending))
        pending.clear()

    try:
        for path, source in files:
            try:
                document = load_document(path, source)
                _claim(claimed, document)
                previous = known.get(source)
                if previous == document.digest and not force:
                    report.unchanged.append(source)
                    bar.update()
                    continue
                chunks = tuple(chunk_text(document.text))
                if not chunks:
                    raise DocumentError(f"{document.source}: no text in file")
                if len(chunks) > BATCH:
                    index_document(store, embedder, document, progress, previous is not None)
                    bar.update()
                else:
                    pending.append((document, chunks, previous is not None))
                    if sum(len(c) for _d, c, _r in pending) >= BATCH:
                        flush()
                report.chunks += len(chunks)
                (report.updated if previous else report.added).append(source)
                known[source] = document.digest
            except DocumentError as exc:
                report.failed.append((source, str(exc)))
                bar.update()
        flush()
    finally:
        bar.close()
    return report


def _claim(claimed: dict[str, str], document: SourceDocument) -> None:
    """Refuse a second file under a source name that an existing file already has: it would
    replace that file's text (a moved file, whose old path is gone, replaces it)."""
    other = claimed.setdefault(document.source, document.path)
    if other != document.path and Path(other).is_file():  # only a clash costs a look
        raise DocumentError(
            f"{document.source}: {other} is already indexed under this name; index a folder "
            f"that holds both files so their names differ, or `qa remove {document.source}` first"
        )
    claimed[document.source] = document.path


def index_document(
    store: Store,
    embedder: Embedder,
    document: SourceDocument,
    progress: ProgressFactory | None = None,
    replacing: bool = True,
) -> int:
    """Chunk, embed and write one document; returns the number of chunks."""
    chunks = chunk_text(document.text)
    if not chunks:
        raise DocumentError(f"{document.source}: no text in file")
    bar = progress(len(chunks), "chunks") if progress and len(chunks) > BATCH else Progress()
    vectors: list[list[float]] = []
    sentences: list[NDArray[np.float32]] = []
    try:
        for at in range(0, len(chunks), BATCH):
            batch = chunks[at : at + BATCH]
            chunk_vectors, sentence_vectors = embed_chunks(embedder, batch)
            vectors.extend(chunk_vectors)
            sentences.extend(sentence_vectors)
            bar.update(len(batch))
    finally:
        bar.close()
    store.write(document, chunks, vectors, replacing, sentences)
    return len(chunks)


def embed_chunks(
    embedder: Embedder, chunks: Sequence[Chunk]
) -> tuple[list[list[float]], list[NDArray[np.float32]]]:
    """Each chunk's vector and its sentences' vectors, in one encode call, so the answerer
    never encodes a sentence when asked (nor a word: the new ones are encoded and saved too).

    The chunk's vector is the chunk text's own: the normalised mean of its sentences' vectors
    retrieves worse (measured on tests/eval: a few more misses and false declines).
    """
    sentences = [
        chunk.text[s - chunk.start : e - chunk.start]
        for chunk in chunks
        for s, e in chunk.sentences
    ]
    if not chunks:
        return [], []
    texts = [searchable(chunk) for chunk in chunks] + sentences  # the headings embedded too
    # the new words go into the same encode call: answering then only looks them up
    new_words = embedder.words.unknown(searchable(chunk) for chunk in chunks)
    unique = {text: i for i, text in enumerate(dict.fromkeys(texts + new_words))}
    encoded = embedder.encode(list(unique))
    embedder.words.learn(
        (searchable(chunk) for chunk in chunks),
        {word: encoded[unique[word]] for word in new_words},
    )
    rows = encoded[[unique[text] for text in texts]]
    vectors = [list(map(float, row)) for row in rows[: len(chunks)]]
    return vectors, split_rows(rows[len(chunks) :], [len(chunk.sentences) for chunk in chunks])
