"""The store and the assistant behave the same on a Chroma folder and on a `chroma run` server.

Every test here runs twice (see ``backend`` in conftest.py). The indexing contract tests of
test_indexing.py are imported so that they run against the server too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index import Store, index_paths
from index.scan import live_chunks
from qa import StoreUnavailable, build_assistant
from qa.cli import main
from tests.index.bm25_check import assert_lexicon_matches
from tests.index.conftest import unique_collection
from tests.index.test_indexing import (  # noqa: F401 - collected here, over both back ends
    _docs,
    test_bad_files_are_reported_and_the_rest_indexed,
    test_changed_file_replaces_its_old_chunks,
    test_drop_orphans_deletes_only_old_unreferenced_chunks,
    test_indexing_twice_adds_nothing,
    test_interrupted_write_is_invisible_and_cleaned_up,
    test_remove_drops_source_and_chunks,
    test_two_files_under_one_name_are_refused_not_merged,
)

HEADLINE = "Which leaders did Putin call?"
HEADLINE_SENTENCE = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of "
    "his decision in phone calls on Monday, the Times reported."
)


@pytest.fixture
def store(store_client: Callable[[], Any], backend: dict[str, Any], embedder) -> Store:  # type: ignore[no-untyped-def]
    return Store(store_client(), backend["collection"])


def test_another_client_sees_what_was_written(
    store: Store, store_client: Callable[[], Any], backend: dict[str, Any], embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    index_paths(store, embedder, [_docs(tmp_path / "docs")])
    again = Store(store_client(), backend["collection"])
    assert [r.source for r in again.sources()] == ["a.txt", "b.md"]
    assert live_chunks(again) == live_chunks(store)
    assert again.generation() == store.generation()
    best, similarity = again.query(embedder.embed_query("a planet with two moons"), 1)[0]
    assert best.source == "b.md" and similarity > 0.5


def test_collections_sharing_a_store_stay_apart(
    store_client: Callable[[], Any], embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client = store_client()
    first = Store(client, unique_collection("first"))
    second = Store(client, unique_collection("second"))
    docs = _docs(tmp_path / "docs")
    index_paths(first, embedder, [docs / "a.txt"])
    index_paths(second, embedder, [docs / "b.md"])
    assert [r.source for r in first.sources()] == ["a.txt"]
    assert [r.source for r in second.sources()] == ["b.md"]
    assert {c.source for c in live_chunks(second)} == {"b.md"}
    assert all(c.source == "b.md" for c, _ in second.query(embedder.embed_query("Alpha"), 5))
    assert first.remove("a.txt") and second.sources()


def test_assistant_answers_the_headline_with_a_verbatim_citation(
    backend: dict[str, Any],
) -> None:
    assistant = build_assistant(**backend)
    answer = assistant.ask(HEADLINE)
    assert answer.answered
    cited = [c.text for c in answer.citations]
    assert HEADLINE_SENTENCE in cited
    article = assistant.source_text("article.txt")
    for citation in answer.citations:
        assert article[citation.start : citation.end] == citation.text


def test_assistant_sees_a_source_another_process_indexed(
    backend: dict[str, Any], tmp_path: Path
) -> None:
    reader = build_assistant(**backend)
    assert reader.ask(HEADLINE).answered  # makes the view of this generation
    before = reader.pipeline.search.view().generation
    writer = build_assistant(**backend)
    writer.index([_docs(tmp_path / "docs")])
    answer = reader.ask("Which planet has two moons?")
    assert reader.pipeline.search.view().generation != before
    assert answer.answered
    assert any(c.source == "b.md" and "two moons" in c.text for c in answer.citations)


def test_cli_flags_select_the_server_and_collection(
    backend: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--data-dir", str(backend["data_dir"]), "--collection", backend["collection"]]
    if backend["chroma_url"]:
        flags += ["--chroma-url", backend["chroma_url"]]
    assert main([*flags, "index", str(_docs(tmp_path / "docs"))]) == 0
    capsys.readouterr()
    assert main([*flags, "sources"]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["a.txt", "article.txt", "b.md"]


def test_environment_selects_the_server(
    backend: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(backend["data_dir"]))
    monkeypatch.setenv("QA_CHROMA_URL", backend["chroma_url"])
    monkeypatch.setenv("QA_COLLECTION", backend["collection"])
    assert main(["ask", HEADLINE]) == 0
    assert HEADLINE_SENTENCE in capsys.readouterr().out
    records = build_assistant(**backend).sources()
    assert [r.source for r in records] == ["article.txt"]


def test_unreachable_server_is_a_clear_error(tmp_path: Path, port: int) -> None:
    assistant = build_assistant(data_dir=tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}")
    with pytest.raises(StoreUnavailable, match=f"Chroma server at http://127.0.0.1:{port}"):
        assistant.sources()


def test_rebuild_recreates_the_index_from_the_files(
    backend: dict[str, Any], tmp_path: Path
) -> None:
    assistant = build_assistant(**backend)
    assistant.index([_docs(tmp_path / "docs")])
    before = [(r.source, r.path, r.chunks) for r in assistant.sources()]
    chunks = assistant.store.count()

    report = assistant.rebuild()
    assert sorted(report.added) == [source for source, _path, _chunks in before]
    assert [(r.source, r.path, r.chunks) for r in assistant.sources()] == before
    assert assistant.store.count() == chunks
    assert build_assistant(**backend).ask("Which planet has two moons?").answered
    assert_lexicon_matches(assistant.store, ["Which planet has two moons?", "Putin Macron"])


def on_server(url: str, tmp_path: Path, prefix: str) -> tuple[dict[str, Any], str]:
    """Assistant settings for a fresh collection on the server, and its name."""
    name = unique_collection(prefix)
    return {"data_dir": tmp_path / "data", "chroma_url": url, "collection": name}, name


def only_live_collections(url: str, name: str) -> bool:
    """The store's collections (chunks, manifest, postings, texts) are there, and no aside copy of
    them is left."""
    from index import open_client

    found = {c.name for c in open_client(url=url).list_collections()}
    return {other for other in found if other.split("__")[0] == name} == {
        name,
        f"{name}__sources",
        f"{name}__terms",
        f"{name}__texts",
    }


@pytest.mark.integration
def test_a_server_rebuild_swaps_the_index_in_and_readers_follow(
    chroma_server: str, tmp_path: Path
) -> None:
    settings, name = on_server(chroma_server, tmp_path, "swap")
    reader = build_assistant(**settings)
    reader.index([_docs(tmp_path / "docs")])
    assert reader.ask("Which planet has two moons?").answered

    report = build_assistant(**settings).rebuild()  # another client: the reader's collections go

    assert sorted(report.added) == ["a.txt", "article.txt", "b.md"]
    assert only_live_collections(chroma_server, name)
    answer = reader.ask("Which planet has two moons?")
    assert answer.answered and answer.citations[0].source == "b.md"


@pytest.mark.integration
def test_a_failed_server_rebuild_leaves_the_old_index(chroma_server: str, tmp_path: Path) -> None:
    from index import Store, index_paths, open_client, rebuild_collections

    settings, name = on_server(chroma_server, tmp_path, "failed")
    assistant = build_assistant(**settings)
    docs = _docs(tmp_path / "docs")
    assistant.index([docs])
    client = open_client(url=chroma_server)

    def build(aside: str) -> None:
        index_paths(Store(client, aside), assistant.embedder, [docs / "a.txt"])
        raise OSError("disk full")  # half-way through

    with pytest.raises(OSError, match="disk full"):
        rebuild_collections(client, name, build)
    assert build_assistant(**settings).ask("Which planet has two moons?").answered
    assert build_assistant(**settings).rebuild().failed == []
    assert only_live_collections(chroma_server, name)


@pytest.mark.integration
def test_a_server_rebuild_killed_between_its_renames_is_undone(
    chroma_server: str, tmp_path: Path
) -> None:
    from index import open_client

    settings, name = on_server(chroma_server, tmp_path, "killed")
    build_assistant(**settings).index([_docs(tmp_path / "docs")])
    client = open_client(url=chroma_server)
    client.get_collection(name).modify(name=f"{name}__old")  # the first rename, then killed

    answer = build_assistant(**settings).ask("Which planet has two moons?")

    assert answer.answered and answer.citations[0].source == "b.md"
    assert only_live_collections(chroma_server, name)


def test_rebuilding_one_collection_leaves_the_others(
    backend: dict[str, Any], tmp_path: Path
) -> None:
    docs = _docs(tmp_path / "docs")
    first = build_assistant(**{**backend, "collection": unique_collection("first")})
    second = build_assistant(**{**backend, "collection": unique_collection("second")})
    first.index([docs / "a.txt"])
    second.index([docs / "b.md"])

    report = first.rebuild()

    assert sorted(report.added) == ["a.txt", "article.txt"]
    assert [r.source for r in build_assistant(second.settings).sources()] == [
        "article.txt",
        "b.md",
    ]
    assert second.ask("Which planet has two moons?").citations[0].source == "b.md"
    if not backend["chroma_url"]:  # each collection records its own files for a rebuild
        from index import recorded_sources

        assert sorted(recorded_sources(backend["data_dir"], second.settings.collection)) == [
            "article.txt",
            "b.md",
        ]


@pytest.mark.integration
def test_a_server_rebuild_does_not_swap_over_a_write_made_meanwhile(
    chroma_server: str, tmp_path: Path
) -> None:
    from index import Store, StoreError, index_paths, open_client, rebuild_collections

    settings, name = on_server(chroma_server, tmp_path, "meanwhile")
    docs = _docs(tmp_path / "docs")
    writer = build_assistant(**settings)
    writer.index([docs / "a.txt"])
    client = open_client(url=chroma_server)
    live = Store(client, name)
    before = live.generation()

    def build(aside: str) -> None:
        index_paths(Store(client, aside), writer.embedder, [docs / "a.txt"])
        build_assistant(**settings).index([docs / "b.md"])  # another writer, while it builds

    with pytest.raises(StoreError, match="changed while it was rebuilt"):
        rebuild_collections(client, name, build, lambda: live.generation() == before)
    assert "b.md" in [r.source for r in build_assistant(**settings).sources()]
    assert only_live_collections(chroma_server, name)


@pytest.mark.parametrize("name", ["my docs", "ab", "docs.", "a__b"])
def test_a_collection_name_chroma_refuses_is_a_one_line_error(
    backend: dict[str, Any], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--data-dir", str(backend["data_dir"]), "--collection", name]
    if backend["chroma_url"]:
        flags += ["--chroma-url", backend["chroma_url"]]
    for command in (["sources"], ["index", "--rebuild"]):
        assert main([*flags, *command]) != 0
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"qa: error: Invalid collection name {name!r}") and "\n" not in err
    assert not backend["data_dir"].exists() or not list(backend["data_dir"].glob("chroma*"))
