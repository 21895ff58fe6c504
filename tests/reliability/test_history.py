"""One store, many writers: a running `qa serve` mixed with `qa index`, `qa remove` and
`qa index --rebuild` in other processes answers throughout (issue 26), on a local folder and on
a Chroma server. See history.py for the model and the steps."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.index.conftest import start_chroma, unique_collection
from tests.reliability.history import Fact, History, run_history, served
from tests.servers import stop
from tests.ui.conftest import HEADLINE

ZEPHYR = Fact("Zephyr", "project", "Ingrid Halvorsen")
UPLOAD = Fact("Basalt", "observatory", "Tomasz Wojcik")


def held(history: History) -> None:
    assert not history.problems, "\n".join([*history.problems, "steps:", *history.steps])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_chroma(tmp_path_factory.mktemp("history-chroma"))
    try:
        yield url
    finally:
        stop(proc)


@pytest.mark.integration
def test_the_issues_sequences_are_answered_not_refused(tmp_path: Path) -> None:
    with served(tmp_path) as runner:
        uploaded = {"files": ("up.md", UPLOAD.text.encode(), "text/markdown")}

        def ask(question: str) -> tuple[int, dict[str, object]]:
            response = runner.http.post("/api/ask", json={"question": question})
            return response.status_code, response.json()

        def cli(*args: str) -> None:
            done: subprocess.CompletedProcess[str] = runner.cli(*args)
            assert done.returncode == 0, done.stderr

        # an upload, then another process indexes a folder: the server answers from it
        assert runner.http.post("/api/documents", files=uploaded).status_code == 200
        (runner.docs / "zephyr.md").write_text(ZEPHYR.text, encoding="utf-8")
        cli("index", str(runner.docs))
        for _ in range(2):
            status, body = ask(ZEPHYR.question)
            assert status == 200, body
            assert body["answered"] and ZEPHYR.leader in str(body["answer"])

        # uploads and removals by another process, in turn: every question still answered
        for _ in range(2):
            assert runner.http.post("/api/documents", files=uploaded).status_code == 200
            cli("remove", "up.md")
        status, body = ask(HEADLINE)
        assert status == 200, body
        assert body["answered"] and "Macron" in str(body["answer"])
        status, body = ask(UPLOAD.question)
        assert status == 200, body
        assert all(c["source"] != "up.md" for c in body["citations"])  # type: ignore[attr-defined]
        listed = runner.http.get("/api/sources").json()
        assert sorted(item["source"] for item in listed) == ["article.txt", "zephyr.md"]


@pytest.mark.integration
def test_a_seeded_history_of_many_writers_holds_on_a_local_store(tmp_path: Path) -> None:
    # two worker processes answer the questions: readers of the folder the server writes
    history, _seconds = run_history(tmp_path, steps=14, seed=26, workers=2)
    held(history)
    assert history.answered >= 1  # the run asked about documents, and they were answered


@pytest.mark.integration
def test_a_seeded_history_of_many_writers_holds_on_a_chroma_server(
    tmp_path: Path, chroma_url: str
) -> None:
    history, _seconds = run_history(
        tmp_path, steps=12, seed=2399, chroma_url=chroma_url, collection=unique_collection()
    )
    held(history)
    assert history.answered >= 1
