"""The documents HTTP API over real sockets: uploads, listing and removal, limits, concurrency,
and a server killed while it indexes an upload."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import stop
from tests.ui.conftest import HEADLINE, HEADLINE_SENTENCE, ThreadedServer, start_qa_serve

pytestmark = pytest.mark.integration

NOTES = (
    "# The Zorblat station\n\n"
    "The Zorblat research station on Kerguelen keeps exactly seventeen blue llamas.\n\n"
    "Its cook, Ottoline Vance, bakes quince bread every Thursday.\n"
)
LLAMAS = "How many blue llamas does the Zorblat research station keep?"
MEMO = (
    "The Fennimore footbridge over the river Ouse was painted tangerine orange by Tavish Quill "
    "in 1931.\nThe paint was mixed from crushed marigold petals and linseed oil.\n"
)
PAINTER = "Who painted the Fennimore footbridge tangerine orange?"


@dataclass
class Served:
    url: str
    assistant: Any
    data: Path


@contextmanager
def serving(env: dict[str, str], data: Path, embedder: Any, **build: Any) -> Iterator[Served]:
    """The real app (API and chat page) under uvicorn in a thread, on settings read from the
    QA_* variables in env, over its own store in data."""
    from qa import Settings, build_assistant
    from ui.server import create_app

    settings = Settings.from_env(env, data_dir=data)
    assistant = build_assistant(settings, embedder=embedder, **build)
    with ThreadedServer(create_app(settings, assistant)) as server:
        yield Served(server.url, assistant, data)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Served]:
    """A server over the bundled article that takes uploads (with room for many a minute)."""
    data = tmp_path_factory.mktemp("documents-api")
    with serving({"QA_UPLOADS_PER_MINUTE": "1000"}, data, embedder) as served:
        yield served


def upload(url: str, *files: tuple[str, bytes | str], **kwargs: Any) -> httpx.Response:
    parts = [
        ("files", (name, data.encode() if isinstance(data, str) else data)) for name, data in files
    ]
    return httpx.post(f"{url}/api/documents", files=parts, timeout=120, **kwargs)


def ask(url: str, question: str, client: Any = httpx) -> dict[str, Any]:
    response = client.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def sources(url: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{url}/api/sources", timeout=60, **kwargs)
    assert response.status_code == 200, response.text
    return {item["source"]: item for item in response.json()}


def cites(answer: dict[str, Any], source: str, text: str) -> bool:
    """Whether the answer cites source, every such citation quoting text at its offsets."""
    mine = [c for c in answer["citations"] if c["source"] == source]
    assert all(text[c["start"] : c["end"]] == c["text"] for c in mine), mine
    return answer["answered"] and bool(mine)


def test_uploads_answer_with_their_own_words_and_removal_makes_a_decline(docs: Served) -> None:
    response = upload(docs.url, ("zorblat.md", NOTES), ("fennimore.txt", MEMO))
    assert response.status_code == 200, response.text
    results = response.json()
    assert [(r["file"], r["source"], r["status"], r["error"]) for r in results] == [
        ("zorblat.md", "zorblat.md", "added", ""),
        ("fennimore.txt", "fennimore.txt", "added", ""),
    ]
    listed = sources(docs.url)
    assert {"article.txt", "zorblat.md", "fennimore.txt"} <= set(listed)
    for result in results:
        assert listed[result["source"]]["chunks"] == result["chunks"] > 0

    llamas = ask(docs.url, LLAMAS)
    assert cites(llamas, "zorblat.md", NOTES), llamas
    assert "seventeen blue llamas" in llamas["answer"]
    assert cites(ask(docs.url, PAINTER), "fennimore.txt", MEMO)

    removed = httpx.delete(f"{docs.url}/api/sources/zorblat.md", timeout=60)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"source": "zorblat.md", "chunks": listed["zorblat.md"]["chunks"]}
    assert "zorblat.md" not in sources(docs.url)
    assert not (docs.data / "uploads" / "zorblat.md").exists()  # the kept file went with it
    again = ask(docs.url, LLAMAS)
    assert again["answered"] is False and again["citations"] == [], again
    assert cites(ask(docs.url, PAINTER), "fennimore.txt", MEMO)  # the other upload stays


def test_an_unreadable_file_fails_alone_with_a_one_line_reason(docs: Served) -> None:
    good = "The Marlowe lighthouse lamp was fuelled with whale oil until 1899.\n"
    response = upload(
        docs.url,
        ("broken.pdf", b"%PDF-1.4 this is \x00\x01 not really a pdf"),
        ("setup.exe", b"MZ\x90\x00\x03"),
        ("marlowe.txt", good),
    )
    assert response.status_code == 200, response.text
    broken, exe, fine = response.json()
    assert (broken["status"], broken["source"], broken["chunks"]) == ("failed", "", 0)
    assert (exe["status"], exe["source"]) == ("failed", "")
    assert "broken.pdf" in broken["error"] and "\n" not in broken["error"]
    assert "setup.exe" in exe["error"] and "unsupported" in exe["error"]
    assert (fine["status"], fine["source"]) == ("added", "marlowe.txt")
    listed = sources(docs.url)
    assert "marlowe.txt" in listed and "broken.pdf" not in listed and "setup.exe" not in listed
    kept = {p.name for p in (docs.data / "uploads").iterdir()}
    assert "marlowe.txt" in kept and not kept & {"broken.pdf", "setup.exe"}
    assert not [name for name in kept if name.startswith(".")]  # no part files left


def test_the_same_file_again_is_unchanged_and_a_changed_one_updated(docs: Served) -> None:
    text = "The Quorra mill ground barley for the village of Stennet.\n"
    assert upload(docs.url, ("quorra.txt", text)).json()[0]["status"] == "added"
    again = upload(docs.url, ("quorra.txt", text)).json()[0]
    assert (again["status"], again["source"]) == ("unchanged", "quorra.txt")
    changed = upload(docs.url, ("quorra.txt", text + "It burned down in 1871.\n")).json()[0]
    assert changed["status"] == "updated"
    assert sources(docs.url)["quorra.txt"]["chunks"] == changed["chunks"]


def test_a_path_in_the_file_name_is_dropped_and_nothing_lands_outside_uploads(
    docs: Served,
) -> None:
    response = upload(docs.url, ("../../escaped.txt", "The Dunmore kiln fired bricks.\n"))
    assert response.status_code == 200, response.text
    assert response.json()[0]["source"] == "escaped.txt"
    assert (docs.data / "uploads" / "escaped.txt").is_file()
    assert not (docs.data.parent / "escaped.txt").exists()
    assert not (docs.data.parent.parent / "escaped.txt").exists()


def test_sources_list_names_counts_and_times_but_no_paths(docs: Served) -> None:
    response = httpx.get(f"{docs.url}/api/sources", timeout=60)
    assert response.status_code == 200
    assert response.json() and all(
        set(item) == {"source", "chunks", "indexed_at"} for item in response.json()
    )
    assert str(docs.data) not in response.text and "uploads" not in response.text
    assert response.json()[0]["indexed_at"].startswith("20")


def test_a_folder_source_with_a_slash_is_removed_and_an_unknown_one_is_404(
    docs: Served, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("The Vellacott tram ran on Sundays only.\n", encoding="utf-8")
    docs.assistant.index([tmp_path])  # the way `qa index` adds a folder
    assert "notes/a.md" in sources(docs.url)
    removed = httpx.delete(f"{docs.url}/api/sources/notes/a.md", timeout=60)
    assert removed.status_code == 200, removed.text
    assert removed.json()["source"] == "notes/a.md"
    assert "notes/a.md" not in sources(docs.url)
    missing = httpx.delete(f"{docs.url}/api/sources/notes/a.md", timeout=60)
    assert missing.status_code == 404
    assert "notes/a.md" in missing.json()["detail"]


def test_a_request_without_files_is_422_with_a_reason(docs: Served) -> None:
    response = httpx.post(f"{docs.url}/api/documents", data={"other": "x"}, timeout=60)
    assert response.status_code == 422
    assert "No files given" in response.json()["detail"]


def test_read_only_server_refuses_uploads_and_removal_but_lists(
    tmp_path: Path, embedder: Any
) -> None:
    with serving({"QA_UPLOADS": "false"}, tmp_path, embedder) as served:
        refused = upload(served.url, ("memo.txt", MEMO))
        assert refused.status_code == 403
        assert "QA_UPLOADS=false" in refused.json()["detail"]
        removal = httpx.delete(f"{served.url}/api/sources/article.txt", timeout=60)
        assert removal.status_code == 403
        assert set(sources(served.url)) == {"article.txt"}
        assert not (tmp_path / "uploads").exists()


def test_with_qa_auth_every_documents_route_wants_the_login(auth_server_url: str) -> None:
    calls = [
        lambda **kw: upload(auth_server_url, ("memo.txt", MEMO), **kw),
        lambda **kw: httpx.get(f"{auth_server_url}/api/sources", timeout=60, **kw),
        lambda **kw: httpx.delete(f"{auth_server_url}/api/sources/article.txt", timeout=60, **kw),
    ]
    for call in calls:
        for auth in (None, ("reader", "wrong")):
            response = call(auth=auth)
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Basic"
    assert "article.txt" in sources(auth_server_url, auth=("reader", "s3cret"))


def test_the_upload_rate_is_limited_per_client_with_retry_after(
    tmp_path: Path, embedder: Any
) -> None:
    with serving({"QA_UPLOADS_PER_MINUTE": "2"}, tmp_path, embedder, bundled=False) as served:
        for n in range(2):
            assert upload(served.url, (f"r{n}.txt", f"Rate note {n}.\n")).status_code == 200
        third = upload(served.url, ("r2.txt", "Rate note 2.\n"))
        assert third.status_code == 429
        assert int(third.headers["retry-after"]) > 0
        assert "QA_UPLOADS_PER_MINUTE" in third.json()["detail"]
        assert set(sources(served.url)) == {"r0.txt", "r1.txt"}


def test_too_many_files_and_too_large_ones_are_refused(tmp_path: Path, embedder: Any) -> None:
    env = {"QA_MAX_UPLOAD_MB": "0.01", "QA_MAX_UPLOAD_FILES": "3"}
    with serving(env, tmp_path, embedder, bundled=False) as served:
        many = upload(served.url, *[(f"m{n}.txt", f"Note {n}.\n") for n in range(4)])
        assert many.status_code == 422
        assert "4 files at once; the limit is 3" in many.json()["detail"]
        big = "The Harrowgate ferry sailed at dawn. " * 600  # ~22 KB, over 0.01 MB
        response = upload(served.url, ("big.txt", big), ("small.txt", "A small note.\n"))
        assert response.status_code == 200, response.text
        too_big, small = response.json()
        assert too_big["status"] == "failed" and "larger than 0.01 MB" in too_big["error"]
        assert (small["status"], small["source"]) == ("added", "small.txt")
        huge = upload(served.url, ("huge.txt", b"x" * (2 * 2**20)))  # beyond any upload allowed
        assert huge.status_code == 413 and "larger than" in huge.json()["detail"]
        assert set(sources(served.url)) == {"small.txt"}


def filler(seed: int, count: int) -> str:
    """count distinct made-up sentences, one a line."""
    rng = random.Random(seed)
    things = ["lantern", "barrel", "ledger", "compass", "kettle", "anchor", "bellows", "spindle"]
    places = ["Oswick", "Tarnby", "Hollin", "Carrow", "Ebbsfleet", "Wendle", "Marrick", "Pell"]
    return "".join(
        f"Entry {i}: the {rng.choice(things)} from {rng.choice(places)} weighed "
        f"{rng.randint(1, 99_999)} grams on day {i} of the survey.\n"
        for i in range(count)
    )


TELESCOPE = "What is the copper telescope at the Quillon observatory named?"
OBSERVATORY = (
    "The Quillon observatory on Mount Aberfoyle records meteor showers with a copper telescope "
    "named Hester.\n" + filler(1, 200)
)


def test_an_upload_while_8_clients_ask_changes_no_answer_wrongly_and_loses_nothing(
    docs: Served,
) -> None:
    before = {q: ask(docs.url, q) for q in (HEADLINE, TELESCOPE, PAINTER)}
    assert before[TELESCOPE]["answered"] is False
    uploaded = threading.Event()
    stopping = threading.Event()
    seen: list[tuple[str, dict[str, Any], bool]] = []  # question, answer, asked after the upload
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            while not stopping.is_set():
                for question in before:
                    done = uploaded.is_set()
                    try:
                        seen.append((question, ask(docs.url, question, http), done))
                    except (AssertionError, httpx.HTTPError) as exc:
                        failures.append(f"{question}: {exc!r}")

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        while len(seen) < 8:
            time.sleep(0.05)
        started = len(seen)
        response = upload(docs.url, ("quillon.txt", OBSERVATORY))
        uploaded.set()
        answered_meanwhile = len(seen) - started
        deadline = time.monotonic() + 120
        while sum(done for *_, done in seen) < 24 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=180)
    assert failures == []
    assert response.status_code == 200 and response.json()[0]["status"] == "added"
    assert answered_meanwhile > 0  # the clients were answered while the upload indexed

    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        spans = [(c["source"], c["start"], c["end"], c["text"]) for c in a["citations"]]
        return a["answer"] == b["answer"] and spans == [
            (c["source"], c["start"], c["end"], c["text"]) for c in b["citations"]
        ]

    for question, answer, after in seen:
        if question == TELESCOPE:
            new = cites(answer, "quillon.txt", OBSERVATORY) and "Hester" in answer["answer"]
            assert new or (not after and same(answer, before[question])), answer
        else:
            assert same(answer, before[question]), (question, answer)
    assert any(q == TELESCOPE and after for q, _a, after in seen)

    listed = sources(docs.url)
    assert listed["quillon.txt"]["chunks"] == response.json()[0]["chunks"] > 0
    for record in docs.assistant.sources():
        assert listed[record.source]["chunks"] == record.chunks
    assert set(listed) == {r.source for r in docs.assistant.sources()}
    headline = ask(docs.url, HEADLINE)
    assert cites(headline, "article.txt", docs.assistant.source_text("article.txt"))
    assert headline["citations"][0]["text"] == HEADLINE_SENTENCE


ARCHIVE = "The Vantablue archive in Oswick holds nine thousand wax cylinders.\n"
CYLINDERS = "How many wax cylinders does the Vantablue archive hold?"


def test_a_server_killed_while_indexing_an_upload_leaves_a_store_that_opens(
    tmp_path: Path,
) -> None:
    big = ARCHIVE + filler(2, 2000)  # ~150 KB: seconds of indexing, killed 0.3 s in
    data = tmp_path  # the server's log goes there too
    proc, url = start_qa_serve(data)
    posted: list[Any] = []
    try:
        sender = threading.Thread(
            target=lambda: posted.append(_try(lambda: upload(url, ("archive.txt", big))))
        )
        sender.start()
        kept = data / "uploads" / "archive.txt"  # saved whole once readable; indexing follows
        deadline = time.monotonic() + 60
        while not kept.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert kept.exists(), "the upload never started indexing"
        time.sleep(0.3)
        proc.kill()  # SIGKILL, mid-indexing
        proc.wait()
        sender.join(timeout=30)
        assert isinstance(posted[0], httpx.HTTPError), posted  # it was cut off, not finished
    finally:
        stop(proc)

    proc, url = start_qa_serve(data)
    try:
        listed = sources(url)  # the store opens
        assert "article.txt" in listed
        headline = ask(url, HEADLINE)
        assert headline["answered"] and headline["citations"][0]["text"] == HEADLINE_SENTENCE
        redone = upload(url, ("archive.txt", big))
        assert redone.status_code == 200, redone.text
        result = redone.json()[0]
        assert result["status"] in ("added", "updated") and result["chunks"] > 0, result
        assert listed.get("archive.txt", result)["chunks"] == result["chunks"]  # whole or none
        assert sources(url)["archive.txt"]["chunks"] == result["chunks"]
        assert cites(ask(url, CYLINDERS), "archive.txt", big)
    finally:
        stop(proc)


def _try(call: Any) -> Any:
    try:
        return call()
    except httpx.HTTPError as exc:
        return exc
