"""Indexing into a real Chroma folder: idempotent, replaces changed files, never half-written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from index import Store, index_paths, open_client
from index.chunking import chunk_text
from index.loading import load_document
from index.orphans import drop_orphans
from index.scan import live_chunks


@pytest.fixture
def store(tmp_path: Path, embedder) -> Store:  # type: ignore[no-untyped-def]
    return Store(open_client(tmp_path / "data"))


def _docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text(
        "Alpha is a bright star. It shines in the north.\n\nAlpha was named in 1820.",
        encoding="utf-8",
    )
    (folder / "b.md").write_text("# Beta\n\nBeta is a quiet planet with two moons.", "utf-8")
    return folder


def test_indexing_twice_adds_nothing(store: Store, embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = _docs(tmp_path / "docs")
    first = index_paths(store, embedder, [docs])
    count = store.count()
    second = index_paths(store, embedder, [docs])
    assert first.added == ["a.txt", "b.md"] and first.chunks == count
    assert second.unchanged == ["a.txt", "b.md"] and second.chunks == 0
    assert store.count() == count
    assert [r.source for r in store.sources()] == ["a.txt", "b.md"]


def test_changed_file_replaces_its_old_chunks(store: Store, embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = _docs(tmp_path / "docs")
    index_paths(store, embedder, [docs])
    (docs / "a.txt").write_text("Alpha is now a dim star.", encoding="utf-8")
    report = index_paths(store, embedder, [docs])
    assert report.updated == ["a.txt"] and report.unchanged == ["b.md"]
    texts = [c.text for c in live_chunks(store) if c.source == "a.txt"]
    assert texts == ["Alpha is now a dim star."]
    assert store.count() == len(live_chunks(store))  # old chunks are gone, not hidden
    assert store.source_text("a.txt") == "Alpha is now a dim star."


def test_remove_drops_source_and_chunks(store: Store, embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index_paths(store, embedder, [_docs(tmp_path / "docs")])
    assert store.remove("a.txt")
    assert not store.remove("a.txt")
    assert [r.source for r in store.sources()] == ["b.md"]
    assert {c.source for c in live_chunks(store)} == {"b.md"}
    assert store.count() == len(live_chunks(store))


def test_bad_files_are_reported_and_the_rest_indexed(
    store: Store, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    docs = _docs(tmp_path / "docs")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "bin.txt").write_bytes(b"\x00\x00\x01")
    report = index_paths(store, embedder, [docs])
    assert report.added == ["a.txt", "b.md"]
    assert sorted(name for name, _ in report.failed) == ["bin.txt", "empty.txt"]


def test_two_files_under_one_name_are_refused_not_merged(
    store: Store, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    for project, who in (("alpha", "Ingrid Solberg"), ("beta", "Tariq Haddad")):
        readme = tmp_path / project / "README.md"
        readme.parent.mkdir()
        readme.write_text(f"Project {project} is run by {who}.\n", encoding="utf-8")

    report = index_paths(store, embedder, [tmp_path / "alpha", tmp_path / "beta"])
    assert report.added == ["README.md"]
    [(name, reason)] = report.failed
    assert name == "README.md" and "already indexed under this name" in reason
    again = index_paths(store, embedder, [tmp_path / "beta"])  # a later run: refused too
    assert again.failed and not again.updated
    assert [c.text for c in live_chunks(store)] == ["Project alpha is run by Ingrid Solberg."]

    both = index_paths(store, embedder, [tmp_path])  # from their common folder: two names
    assert both.added == ["alpha/README.md", "beta/README.md"] and not both.failed
    (tmp_path / "alpha" / "README.md").rename(tmp_path / "moved.md")
    moved = index_paths(store, embedder, [tmp_path / "moved.md"])
    assert moved.added == ["moved.md"]
    assert index_paths(store, embedder, [tmp_path / "beta"]).updated == ["README.md"]


def test_drop_orphans_deletes_only_old_unreferenced_chunks(
    store: Store, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    index_paths(store, embedder, [_docs(tmp_path / "docs")])
    live = live_chunks(store)
    stranded = {  # chunks of writes that stopped before their manifest record
        "never-committed": ("c.txt", "d" * 64, 0.0),  # a new source
        "newer-version": ("a.txt", "e" * 64, 0.0),  # a live source, an unknown digest
        "just-written": ("c.txt", "f" * 64, time.time()),  # another writer's, in progress
    }
    for source, digest, at in stranded.values():  # a write registers its version first
        store.postings.write_text(source, digest, "Orphaned text.", at)
    store.chunks.upsert(
        ids=list(stranded),
        documents=["Orphaned text."] * len(stranded),
        metadatas=[
            {"source": source, "digest": digest, "start": 0, "end": 14, "written_at": at}
            for source, digest, at in stranded.values()
        ],
        embeddings=embedder.embed_documents(["Orphaned text."] * len(stranded)),
    )

    assert drop_orphans(store, min_age=60.0) == 2

    left = set(store.chunks.get(include=[])["ids"])
    assert left == {c.id for c in live} | {"just-written"}
    assert live_chunks(store) == live


def test_interrupted_write_is_invisible_and_cleaned_up(
    store: Store, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    docs = _docs(tmp_path / "docs")
    index_paths(store, embedder, [docs])
    before = live_chunks(store)
    # A write that stopped after its chunks but before its manifest record: chunks of a
    # newer version of a.txt sit in the collection, unreferenced.
    (docs / "a.txt").write_text("Alpha exploded last year.", encoding="utf-8")
    document = load_document(docs / "a.txt")
    chunks = chunk_text(document.text)
    ids = [f"orphan-{i}" for i in range(len(chunks))]
    store.postings.write_text("a.txt", document.digest, document.text, 0.0)  # its first step
    store.chunks.upsert(
        ids=ids,
        documents=[c.text for c in chunks],
        metadatas=[
            {
                "source": "a.txt",
                "digest": document.digest,
                "start": c.start,
                "end": c.end,
                "sentences": "[]",
            }
            for c in chunks
        ],
        embeddings=embedder.embed_documents([c.text for c in chunks]),
    )
    assert live_chunks(store) == before  # readers never see the half-written version
    vector = embedder.embed_query("Alpha exploded")
    assert all(not c.id.startswith("orphan") for c, _ in store.query(vector, 10))
    report = index_paths(store, embedder, [docs])  # the rerun finishes the job
    assert report.updated == ["a.txt"]
    assert store.count() == len(live_chunks(store))
    assert [c.text for c in live_chunks(store) if c.source == "a.txt"] == [
        "Alpha exploded last year."
    ]


def test_fresh_orphans_of_another_writer_survive_until_their_grace_ends(
    store: Store, embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    index_paths(store, embedder, [_docs(tmp_path / "docs")])
    count = store.count()
    # another writer on a shared server has written these chunks, not yet its manifest record
    store.postings.write_text("c.txt", "x", "Gamma is new.", time.time())
    store.chunks.upsert(
        ids=["in-flight"],
        documents=["Gamma is new."],
        metadatas=[
            {
                "source": "c.txt",
                "digest": "x",
                "start": 0,
                "end": 13,
                "sentences": "[]",
                "written_at": time.time(),
            }
        ],
        embeddings=embedder.embed_documents(["Gamma is new."]),
    )
    assert drop_orphans(store, min_age=600) == 0
    assert store.count() == count + 1
    assert drop_orphans(store, min_age=0) == 1
    assert store.count() == count
