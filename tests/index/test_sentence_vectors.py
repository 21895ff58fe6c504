"""Sentence vectors stored at indexing: one per sentence, as the model encodes it, on both
back ends, beside the chunk's own vector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import Store, index_paths
from index.scan import live_chunks
from index.vectors import pack, unpack, windows

TEXT = (
    "Alpha is a bright star. It shines in the north every winter. Sailors steered by it.\n\n"
    "Beta is a quiet planet with two moons. Its year lasts 300 days."
)


def test_packed_vectors_round_trip_at_float16_precision() -> None:
    rows = np.random.default_rng(0).normal(size=(3, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    packed = pack(rows)
    back = unpack(packed, 3)
    assert back is not None and back.shape == (3, 384)
    assert np.abs(back - rows).max() < 1e-3
    assert len(packed) == 3 * 1024  # 384 float16 values, base64
    assert unpack(packed, 5) is None and unpack("", 1) is None


def test_window_vectors_join_each_sentence_to_the_one_before() -> None:
    rows = np.eye(3, dtype=np.float32)
    got = windows(rows)
    assert np.allclose(got[0], rows[0])
    assert np.allclose(got[1], (rows[0] + rows[1]) / np.sqrt(2))
    assert np.allclose(got[2], (rows[1] + rows[2]) / np.sqrt(2))


def test_each_chunk_stores_its_sentences_vectors(
    backend: dict[str, Any], store_client: Callable[[], Any], embedder: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "stars.txt").write_text(TEXT, encoding="utf-8")
    store = Store(store_client(), backend["collection"])
    index_paths(store, embedder, [docs])
    chunks = live_chunks(Store(store_client(), backend["collection"]))
    assert len(chunks) == 2
    for chunk in chunks:
        stored = chunk.sentence_vectors()
        sentences = [chunk.text[s - chunk.start : e - chunk.start] for s, e in chunk.sentences]
        assert stored is not None and stored.shape == (len(sentences), embedder.dimension)
        assert np.abs(stored - embedder.encode(sentences)).max() < 2e-3
        got = store.fetch([chunk.id])[chunk.id][1]
        assert np.abs(got - embedder.encode([chunk.text])[0]).max() < 1e-5
    hits = store.query(embedder.encode(["Which planet has two moons?"])[0], 1)
    assert hits[0][0].text.startswith("Beta is a quiet planet")


@pytest.mark.parametrize("text", ["One sentence only.", "x" * 900])
def test_chunks_of_one_or_cut_sentences_keep_one_vector_each(
    text: str, store: Any, embedder: Any, tmp_path: Path
) -> None:
    (tmp_path / "one.txt").write_text(text, encoding="utf-8")
    index_paths(store, embedder, [tmp_path / "one.txt"])
    for chunk in live_chunks(store):
        stored = chunk.sentence_vectors()
        assert stored is not None and len(stored) == len(chunk.sentences)


@pytest.fixture
def store(tmp_path: Path, embedder: Any) -> Store:
    from index import open_client

    return Store(open_client(tmp_path / "data"))
