"""The lexical index on disk: BM25's exact ranking from the asked terms' rows alone, kept
up to date by indexing and removing, and answering without the corpus ever being read whole."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index import Store
from index.postings import LEXICON_FILE
from qa import build_assistant
from tests.index.bm25_check import assert_lexicon_matches, unindexed_versions

ROOT = Path(__file__).resolve().parents[2]
WIKI = ROOT / "tests" / "data" / "wiki"
QA = str(Path(sys.executable).with_name("qa"))


def wiki_questions(limit: int = 60) -> list[str]:
    lines = (ROOT / "tests" / "eval" / "wiki.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:limit]


def wiki_copy(folder: Path, names: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(WIKI.glob("*.txt")):
        if names is None or path.name in names:
            shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def wiki_backend(backend: dict[str, Any], tmp_path: Path, embedder) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The backend with the wiki test articles indexed (no bundled article)."""
    assistant = build_assistant(**backend, bundled=False, embedder=embedder)
    assistant.index([wiki_copy(tmp_path / "wiki")])
    return {**backend, "assistant": assistant}


@pytest.mark.integration
def test_the_index_on_disk_ranks_exactly_as_bm25_over_every_live_chunk(
    wiki_backend: dict[str, Any],
) -> None:
    store = wiki_backend["assistant"].library.store
    assert assert_lexicon_matches(store, wiki_questions()) > 100
    assert unindexed_versions(store) == set()


@pytest.mark.integration
def test_indexing_one_more_file_adds_its_postings_and_removing_it_leaves_none(
    wiki_backend: dict[str, Any], tmp_path: Path
) -> None:
    assistant = wiki_backend["assistant"]
    store: Store = assistant.library.store
    extra = tmp_path / "extra" / "zebra.txt"
    extra.parent.mkdir()
    extra.write_text("The zebra Florian of Oslo eats kelp. Florian swims daily.", encoding="utf-8")
    assistant.index([extra])
    asked = ["What does Florian the zebra eat?", *wiki_questions(20)]
    assert_lexicon_matches(store, asked)
    assert store.postings_of(["florian"], {("zebra.txt", d) for d in digests(store)})
    answer = assistant.ask("What does Florian the zebra eat?")
    assert answer.answered and answer.citations[0].source == "zebra.txt"

    extra.write_text("The zebra Florian of Oslo now eats hay.", encoding="utf-8")
    assistant.index([extra])  # a new version: the old one's postings go
    assert_lexicon_matches(store, asked)
    assert unindexed_versions(store) == set()

    assistant.remove("zebra.txt")
    assert_lexicon_matches(store, asked)
    assert not any(source == "zebra.txt" for source, _d in store.postings.versions())
    assert not assistant.ask("What does Florian the zebra eat?").answered


def digests(store: Store) -> set[str]:
    return {r.digest for r in store.sources()}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts the chunk records this process reads from Chroma, by call (chromadb's client
    methods are wrapped; nothing of qa's is)."""
    from chromadb.api.models.Collection import Collection

    counted: Counter[str] = Counter()
    for name in ("get", "query"):
        original = getattr(Collection, name)

        def wrapped(self: Any, *args: Any, _original: Any = original, _name: str = name,
                    **kwargs: Any) -> Any:  # fmt: skip
            got = _original(self, *args, **kwargs)
            if "__" not in self.name:  # the chunks' collection, not the manifest or postings
                ids = got["ids"]
                counted[_name] += sum(map(len, ids)) if _name == "query" else len(ids)
            return got

        monkeypatch.setattr(Collection, name, wrapped)
    yield counted


@pytest.mark.integration
def test_answering_reads_the_candidates_alone_never_the_corpus(
    wiki_backend: dict[str, Any], reads: Counter[str], tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from tests.index.test_resume import write_corpus

    settings = {k: v for k, v in wiki_backend.items() if k != "assistant"}
    wiki_backend["assistant"].index([write_corpus(tmp_path / "more", 150)])
    chunks = assert_lexicon_matches(wiki_backend["assistant"].library.store, [])
    reads.clear()
    fresh = build_assistant(**settings, bundled=False, embedder=embedder)  # a new process would
    answer = fresh.ask("Who was the duke in the battle of Hastings?")
    assert answer.answered and "William" in answer.text
    search = fresh.pipeline.search
    most = (search.candidates * 2 + 8) + search.k  # Chroma's nearest, then BM25's finds by id
    assert 0 < sum(reads.values()) <= most < chunks / 3  # never the corpus whole


@pytest.mark.integration
def test_a_second_process_on_another_data_folder_answers_identically_from_the_server(
    chroma_server: str, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from tests.index.conftest import unique_collection

    settings = {"chroma_url": chroma_server, "collection": unique_collection("second")}
    here = build_assistant(data_dir=tmp_path / "one", **settings, embedder=embedder)
    here.index([wiki_copy(tmp_path / "wiki", ["Normans.txt", "Southern_California.txt"])])
    questions = ["Who was the duke in the battle of Hastings?", "Which leaders did Putin call?"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QA_BUNDLED": "false"}
    for question in questions:
        run = subprocess.run(
            [QA, "--data-dir", str(tmp_path / "two"), "--chroma-url", chroma_server,
             "--collection", settings["collection"], "ask", question, "--json"],
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        theirs = json.loads(run.stdout)
        ours = here.ask(question)
        assert theirs["answer"] == ours.text and theirs["answered"] == ours.answered
        assert [c["start"] for c in theirs["citations"]] == [c.start for c in ours.citations]
    assert not (tmp_path / "two" / "chroma").exists()  # nothing of the corpus copied locally


def test_a_store_indexed_before_postings_were_kept_gets_them_when_opened(
    tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from index import open_client

    data = tmp_path / "data"
    first = build_assistant(data_dir=data, embedder=embedder)
    first.index([wiki_copy(tmp_path / "wiki", ["Normans.txt"])])
    headline = first.ask("Which leaders did Putin call?")
    first.library.close()
    # what an older qa left: manifest records holding the texts, without a length in terms,
    # and no postings
    manifest = open_client(data).get_collection("documents__sources")
    got = manifest.get(include=["metadatas"])
    old: Any = [{k: v for k, v in m.items() if k != "terms"} for m in got["metadatas"] or []]
    texts = [first.source_text(str(m["source"])) for m in old]
    manifest.delete(ids=got["ids"])  # (an upsert would keep the key it lacks)
    manifest.add(ids=got["ids"], metadatas=old, documents=texts, embeddings=[[1.0]] * len(old))
    for lexicon in (data / "chroma").glob(f"{LEXICON_FILE}*"):  # with SQLite's -wal, -shm
        lexicon.unlink()

    again = build_assistant(data_dir=data, embedder=embedder)
    assert again.ask("Which leaders did Putin call?").text == headline.text
    normans = (WIKI / "Normans.txt").read_text(encoding="utf-8")
    assert again.source_text("Normans.txt").strip() == normans.strip()  # the manifest has it
    store = again.library.store
    assert all(r.terms > 0 for r in store.sources())
    assert_lexicon_matches(store, wiki_questions(20))


@pytest.mark.integration
def test_a_rebuild_that_fails_halfway_leaves_the_live_postings_whole(
    wiki_backend: dict[str, Any], tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from index import index_files
    from index.rebuild import rebuild_collections

    store: Store = wiki_backend["assistant"].library.store
    files = [(path, path.name) for path in sorted((tmp_path / "wiki").glob("*.txt"))]

    def build(name: str) -> None:  # sweeps the shared postings, writes half, then fails
        index_files(Store(store.client, name, url=store.url), embedder, files[:3], None, True, 0.0)
        raise OSError("disk full")

    with pytest.raises(OSError):
        rebuild_collections(store.client, store.name, build)
    assert_lexicon_matches(store, wiki_questions(30))
    assert wiki_backend["assistant"].ask("Who was the duke in the battle of Hastings?").answered


def server_corpus(url: str, tmp_path: Path, embedder, files: int) -> tuple[Any, list[Path]]:  # type: ignore[no-untyped-def]
    """An assistant on a new collection of the Chroma server, and files to index into it."""
    from tests.index.conftest import unique_collection
    from tests.index.test_resume import write_corpus

    settings = {"chroma_url": url, "collection": unique_collection("segments")}
    assistant = build_assistant(data_dir=tmp_path / "data", **settings, embedder=embedder)
    return assistant, sorted(write_corpus(tmp_path / "docs", files).glob("*.txt"))


@pytest.mark.integration
def test_server_postings_stay_a_few_segments_however_many_writes_made_them(
    chroma_server: str, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from index.server_postings import MERGE_AT, ServerPostings

    assistant, docs = server_corpus(chroma_server, tmp_path, embedder, MERGE_AT + 6)
    for path in docs:  # one write, one segment, each
        assistant.index([path])
    assistant.remove(docs[3].name)  # rewrites the segment that holds it
    store = assistant.library.store
    assert isinstance(store.postings, ServerPostings)
    assert len(store.postings.headers()) <= MERGE_AT
    asked = ["When was the glacier of town 12 first recorded?", "Who keeps report 7?", "boats"]
    assert_lexicon_matches(store, asked)
    assert unindexed_versions(store) == set()


@pytest.mark.integration
def test_a_reader_of_server_postings_follows_segments_merged_by_another_process(
    chroma_server: str, tmp_path: Path, embedder
) -> None:  # type: ignore[no-untyped-def]
    from index.server_postings import MERGE_AT, ServerPostings

    writer, docs = server_corpus(chroma_server, tmp_path, embedder, MERGE_AT + 4)
    for path in docs[:3]:
        writer.index([path])
    store = writer.library.store
    live = {(r.source, r.digest) for r in store.sources()}
    asked = ["glacier", "town", "report", "recorded", "zanzibar"]
    reader = ServerPostings(store.client, store.name)  # another process's, on the same server
    before = sorted(reader.find(asked, live))
    assert {row.source for row in before} == {source for source, _digest in live}
    segments = {header["segment"] for header in reader.headers()}

    for path in docs[3:]:  # each write a segment: past MERGE_AT the smallest are merged
        writer.index([path])
    assert not segments <= {header["segment"] for header in store.postings.headers()}
    assert sorted(reader.find(asked, live)) == before  # the rows it knew of moved: found anew
    assert sorted(reader.find(asked, live, data=False)) == [r._replace(data=b"") for r in before]
