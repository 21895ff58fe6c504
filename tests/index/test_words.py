"""Single-word vectors: learned at indexing, saved per model, looked up when answering."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

from index import Embedder, bundled_model_path
from index.onnx_encoder import onnx_file
from index.words import MEMORY_WORDS, WORDS_FILE, WordVectors, vocabulary

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "qa" / "data" / "article.txt"


class Recording:
    """The real encoder, remembering which texts it was asked to encode."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.asked: list[str] = []

    def __call__(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.asked += texts
        return self.embedder.encode(texts)


def test_learned_words_are_saved_and_read_back_without_encoding(
    tmp_path: Path, embedder: Embedder
) -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    learned = vocabulary([text])
    assert {"putin", "macron", "donetsk"} <= learned and "the" not in learned
    writer = WordVectors(tmp_path / "words", Recording(embedder))
    assert writer.learn([text]) == len(learned)
    assert writer.learn([text]) == 0  # nothing new the second time

    encode = Recording(embedder)
    reader = WordVectors(tmp_path / "words", encode)  # another process, later
    asked = ["putin", "macron", "putin", "donetsk"]
    got = reader.vectors(asked)
    assert encode.asked == []
    assert got.shape == (4, 384) and got.dtype == np.float32
    assert np.abs(got - embedder.encode(asked)).max() < 2e-3  # stored as float16
    assert np.array_equal(got[0], got[2])

    assert reader.vectors(["putin", "zanzibar"]).shape == (2, 384)
    assert encode.asked == ["zanzibar"]  # a word no document has: encoded when asked
    reader.vectors(["zanzibar"])
    assert encode.asked == ["zanzibar"]  # and remembered
    assert reader.vectors([]).shape == (0, 384)


def test_words_saved_by_another_process_meanwhile_are_found(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "words"
    reader = WordVectors(folder, Recording(embedder))
    reader.vectors(["alpha"])  # has looked before the writer wrote
    writer = WordVectors(folder, Recording(embedder))
    batches = [f"word{i}a word{i}b" for i in range(20)]
    for batch in batches:
        writer.learn([batch])
    assert (folder / WORDS_FILE).is_file() and not list(folder.glob("*.npz"))

    words = [w for batch in batches for w in batch.split()]
    for looking in (WordVectors(folder, Recording(embedder)), reader):
        encode = Recording(embedder)
        looking.encode = encode
        assert np.abs(looking.vectors(words) - embedder.encode(words)).max() < 2e-3
        assert encode.asked == []
        assert looking.unknown(["word3a wordless"]) == ["wordless"]


def test_answering_holds_only_the_words_it_looked_up(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "words"
    many = [f"w{i}" for i in range(MEMORY_WORDS + 500)]
    rows = np.ones((len(many), 384), dtype="<f2")
    WordVectors(folder, Recording(embedder))  # makes the file; a corpus's words, saved:
    with contextlib.closing(sqlite3.connect(folder / WORDS_FILE)) as db, db:
        db.executemany("INSERT INTO words VALUES (?, ?)", zip(many, map(bytes, rows), strict=True))
    encode = Recording(embedder)
    reader = WordVectors(folder, encode)
    assert reader.vectors(["w7", "w9"]).shape == (2, 384) and encode.asked == []
    assert set(reader._rows) == {"w7", "w9"}  # not the whole file
    reader.vectors(many)
    assert len(reader._rows) == MEMORY_WORDS and encode.asked == []


def test_an_older_qa_s_segment_files_are_moved_into_the_word_file(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "words"
    folder.mkdir()
    listed = ["putin", "macron"]
    vectors = embedder.encode(listed).astype(np.float16)
    packed = np.frombuffer("\n".join(listed).encode("utf-8"), dtype=np.uint8)
    np.savez(folder / "0123.npz", words=packed, vectors=vectors)  # as an older qa wrote them
    encode = Recording(embedder)
    got = WordVectors(folder, encode).vectors(listed)
    assert encode.asked == [] and np.array_equal(got, vectors.astype(np.float32))
    assert not list(folder.glob("*.npz"))


def test_an_unwritable_cache_only_costs_encoding(tmp_path: Path, embedder: Embedder) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    words = WordVectors(blocked / "words", Recording(embedder))  # mkdir fails: a file is there
    assert words.learn(["Putin called Macron."]) == 3
    assert words.vectors(["macron"]).shape == (1, 384)


def test_indexing_saves_the_words_that_answering_then_looks_up(
    tmp_path: Path, cache_home: Path
) -> None:
    script = (
        "import sys\n"
        "from qa import build_assistant\n"
        "a = build_assistant(data_dir=sys.argv[1])\n"
        "print(a.embedder.words.folder)\n"
        "from index.scan import live_chunks\n"
        "for chunk in live_chunks(a.library.store):\n"  # the bundled article, indexed
        "    print(chunk.text.replace('\\n', ' '))\n"
    )
    # a cache of its own, with the session's export in it but no word vectors yet
    cache = tmp_path / "cache"
    export = onnx_file(bundled_model_path(), cache_home / "qa" / "onnx")
    linked = onnx_file(bundled_model_path(), cache / "qa" / "onnx")
    linked.parent.mkdir(parents=True)
    linked.symlink_to(export)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HF_HUB_OFFLINE": "1"}
    run = [sys.executable, "-c", script, str(tmp_path / "data")]
    done = subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    folder, *chunks = done.stdout.splitlines()
    assert Path(folder) == linked.parent / "words" and len(chunks) > 5

    encode = Recording(Embedder(cache_dir=cache / "qa" / "onnx"))
    words = sorted(vocabulary(chunks))
    assert WordVectors(Path(folder), encode).vectors(words).shape == (len(words), 384)
    assert encode.asked == []  # every word of every passage was saved at indexing
