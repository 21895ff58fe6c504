"""Batching at indexing: fewer padded tokens, and the same vectors whatever the batches."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from pathlib import Path

import numpy as np

from index import Embedder, bundled_model_path
from index.chunking import chunk_text
from index.indexer import embed_chunks
from index.onnx_encoder import MAX_TOKENS, onnx_file, plan_batches
from index.words import WORDS_FILE, vocabulary

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "qa" / "data" / "article.txt"
WIKI = ROOT / "tests" / "data" / "wiki"


def fixed_batches(lengths: list[int], batch_size: int) -> list[tuple[int, int]]:
    """The plain way: batch_size texts at a time (fewer when they would pass MAX_TOKENS)."""
    out, at = [], 0
    while at < len(lengths):
        rows = max(1, min(batch_size, MAX_TOKENS // lengths[at]))
        out.append((at, min(at + rows, len(lengths))))
        at += rows
    return out


def padded(batches: list[tuple[int, int]], lengths: list[int]) -> int:
    return sum((end - start) * lengths[start] for start, end in batches)


def test_batches_cover_every_text_once_within_the_limits() -> None:
    pick = random.Random(7)
    for count in (0, 1, 2, 3, 65, 300):
        lengths = sorted(
            (pick.choice([3, 4, 7, 20, 31, 90, 256]) for _ in range(count)), reverse=True
        )
        for batch_size in (1, 2, 64):
            batches = plan_batches(lengths, batch_size, MAX_TOKENS)
            assert [i for start, end in batches for i in range(start, end)] == list(range(count))
            for start, end in batches:
                assert end - start <= batch_size
                assert end - start == 1 or (end - start) * lengths[start] <= MAX_TOKENS
            assert padded(batches, lengths) <= padded(fixed_batches(lengths, batch_size), lengths)


def test_mixed_lengths_pad_far_less_than_fixed_batches() -> None:
    lengths = sorted([81, 79, 54, 42, 41, 37, 34, 34, 33, 33, 30, 18, 15, 12] * 3, reverse=True)
    planned = padded(plan_batches(lengths, 64, MAX_TOKENS), lengths)
    assert planned < 0.6 * padded(fixed_batches(lengths, 64), lengths)
    assert planned < 1.1 * sum(lengths)


def texts() -> list[str]:
    """Article chunks and sentences, wiki sentences, and words: 2 to 256 tokens."""
    chunks = chunk_text(ARTICLE.read_text(encoding="utf-8"))
    parts = [c.text for c in chunks] + [
        c.text[s - c.start : e - c.start] for c in chunks for s, e in c.sentences
    ]
    wiki = [
        s
        for path in sorted(WIKI.glob("*.txt"))
        for s in path.read_text(encoding="utf-8").split(". ")
    ]
    return list(dict.fromkeys(parts + wiki[:150] + sorted(vocabulary(parts))[:150]))


def test_a_texts_vector_does_not_depend_on_the_batch_it_ran_in(embedder: Embedder) -> None:
    """Whatever the padded width and the company a text gets, its vector is the same (to float
    rounding, far below the 1e-5 the export is held to)."""
    listed = texts()
    together = embedder.encode(listed)
    companion = "A companion sentence of middling length, to share a batch with."
    for text, row in zip(listed[::5], together[::5], strict=True):
        alone = embedder.encode([text])[0]
        paired = embedder.encode([text, companion])[0]
        assert np.abs(alone - row).max() < 1e-6 and np.abs(paired - row).max() < 1e-6, text
    shuffled = listed[::-1]
    assert np.abs(embedder.encode(shuffled)[::-1] - together).max() < 1e-6


def test_indexing_saves_the_new_words_encoded_with_the_chunks(
    tmp_path: Path, cache_home: Path
) -> None:
    model = bundled_model_path()
    export = onnx_file(model, cache_home / "qa" / "onnx")
    own = onnx_file(model, tmp_path / "onnx")  # a cache of its own: no word is known yet
    own.parent.mkdir(parents=True)
    own.symlink_to(export)
    embedder = Embedder(engine="onnx", cache_dir=tmp_path / "onnx")
    chunks = chunk_text(ARTICLE.read_text(encoding="utf-8"))
    new = embedder.words.unknown(chunk.text for chunk in chunks)
    assert new == sorted(vocabulary(chunk.text for chunk in chunks))

    vectors, sentences = embed_chunks(embedder, chunks)
    assert len(vectors) == len(sentences) == len(chunks)
    assert embedder.words.unknown(chunk.text for chunk in chunks) == []
    words_file = own.parent / "words" / WORDS_FILE
    with contextlib.closing(sqlite3.connect(words_file)) as db:
        found = db.execute("SELECT word, vector FROM words ORDER BY word").fetchall()
    listed = [word for word, _blob in found]
    stored = np.stack([np.frombuffer(blob, dtype="<f2") for _word, blob in found])
    assert listed == new
    assert stored.dtype == np.float16
    assert np.abs(stored - embedder.encode(new)).max() < 1e-3  # float16
    for chunk, row, rows in zip(chunks, vectors, sentences, strict=True):
        assert np.abs(np.asarray(row) - embedder.encode([chunk.text])[0]).max() < 1e-6
        assert rows.shape == (len(chunk.sentences), 384)
