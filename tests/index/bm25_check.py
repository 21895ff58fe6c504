"""The check that a store's lexical index on disk ranks as BM25 over its live chunks in memory."""

from __future__ import annotations

from collections.abc import Iterable

from index import Store
from index.chunking import searchable
from index.scan import live_chunks
from qa.lexical import BM25, LexicalIndex, terms


def assert_lexicon_matches(store: Store, questions: Iterable[str], k: int = 20) -> int:
    """Assert the on-disk index gives BM25's ids, scores, order and idf for every question,
    and that no postings are kept but for indexed versions; returns how many chunks it read."""
    records = store.sources()
    chunks = live_chunks(store, records)
    memory = BM25(searchable(chunk) for chunk in chunks)  # a chunk's headings count too
    disk = LexicalIndex(store, records)
    assert disk.n == len(chunks) and disk.avg_length == memory.avg_length
    for question in questions:
        asked = terms(question)
        expected = [(chunks[i].id, score) for i, score in memory.top(asked, k)]
        assert disk.top(asked, k) == expected, question
        for term in asked:
            assert (disk.idf(term), disk.knows(term)) == (memory.idf(term), memory.knows(term))
    return len(chunks)


def unindexed_versions(store: Store) -> set[tuple[str, str]]:
    """(source, digest) pairs that have postings but no manifest record."""
    return store.postings.versions() - {(r.source, r.digest) for r in store.sources()}
