"""One store, many processes: fresh reads after another process indexes, one writer at a time,
rebuilds of a damaged store, and a Chroma server that goes away and comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import write_lock
from index.scan import live_chunks
from qa import Assistant, build_assistant
from qa.errors import StoreUnavailable
from tests.index.conftest import start_chroma
from tests.servers import stop

QA = str(Path(sys.executable).with_name("qa"))
ZEBRA = "The zebra named Florian lives in the Oslo harbour aquarium and eats kelp every day."
ASKED = "What does the zebra Florian eat?"


def qa(data_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [QA, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def zebra_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs" / "animals"
    folder.mkdir(parents=True)
    (folder / "zebra.txt").write_text(ZEBRA, encoding="utf-8")
    return tmp_path / "docs"


def nearest_source(assistant: Assistant, question: str) -> tuple[str, float]:
    """The dense side's best chunk for question: what Chroma itself returns to this process."""
    records, _generation = assistant.store.snapshot()
    vector = assistant.embedder.encode([question])[0]
    live = {(r.source, r.digest) for r in records}
    chunk, similarity = assistant.store.query(vector, 1, live)[0]
    return chunk.source, similarity


@pytest.mark.integration
def test_a_running_assistant_sees_what_another_process_indexed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    serving = build_assistant(data_dir=data)
    assert serving.ask("Which leaders did Putin call?").answered
    assert nearest_source(serving, ASKED)[0] == "article.txt"

    done = qa(data, "index", str(zebra_folder(tmp_path)))
    assert done.returncode == 0, done.stderr

    source, similarity = nearest_source(serving, ASKED)
    assert source == "animals/zebra.txt" and similarity > 0.5
    answer = serving.ask(ASKED)
    assert answer.answered and answer.citations[0].source == "animals/zebra.txt"


@pytest.mark.integration
def test_an_assistant_that_wrote_sees_what_other_processes_write_next(tmp_path: Path) -> None:
    """Its own uploads mixed with another process's `qa index` and `qa remove` (issue 26):
    Chroma's embedded client would keep the vectors it had, missing the new chunks' and
    returning the removed ones."""
    data = tmp_path / "data"
    serving = build_assistant(data_dir=data)
    otter = "The otter Greta sleeps in the Bergen fjord every winter night."
    serving.add_files([("otter.txt", otter.encode())])

    assert qa(data, "index", str(zebra_folder(tmp_path))).returncode == 0
    zebra = [c.id for c in live_chunks(serving.store) if c.source == "animals/zebra.txt"]
    assert zebra and set(serving.store.fetch(zebra)) == set(zebra)  # with their vectors
    assert nearest_source(serving, ASKED)[0] == "animals/zebra.txt"

    serving.add_files([("otter.txt", f"{otter} She is four years old.".encode())])
    assert qa(data, "remove", "otter.txt").returncode == 0
    assert nearest_source(serving, "Where does the otter Greta sleep?")[0] != "otter.txt"
    answer = serving.ask(ASKED)
    assert answer.answered and answer.citations[0].source == "animals/zebra.txt"
    assert [r.source for r in serving.sources()] == ["animals/zebra.txt", "article.txt"]


@pytest.mark.integration
def test_a_second_indexer_waits_for_the_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert qa(data, "sources").returncode == 0
    docs = zebra_folder(tmp_path)
    log = tmp_path / "stderr.txt"
    with write_lock(data), log.open("w") as err:  # another writer holds the folder
        proc = subprocess.Popen(
            [QA, "--data-dir", str(data), "index", str(docs)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        deadline = time.monotonic() + 240
        while "another qa index is writing" not in log.read_text():
            assert proc.poll() is None, "indexed while another writer held the lock"
            assert time.monotonic() < deadline, "never said it was waiting"
            time.sleep(0.2)
        assert proc.poll() is None  # still waiting while the lock is held
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, log.read_text()
    assert "1 added" in out


@pytest.mark.integration
def test_two_indexers_at_once_leave_one_consistent_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert qa(data, "sources").returncode == 0
    folders = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        for n in range(12):
            text = f"Report {name} {n}. The {name} team counted {n * 7} boats in harbour {n}."
            (folder / f"{name}{n}.txt").write_text(text, encoding="utf-8")
        folders.append(folder)
    results: list[subprocess.CompletedProcess[str]] = []
    runs = [
        threading.Thread(target=lambda f=f: results.append(qa(data, "index", str(f))))
        for f in folders
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]

    store = build_assistant(data_dir=data).store
    records = store.sources()
    assert len(records) == 25  # the article and 24 reports, each once
    assert store.count() == sum(r.chunks for r in records)  # no duplicates, no orphans


@pytest.mark.integration
@pytest.mark.parametrize("damaged", ["chroma.sqlite3", "lexicon.sqlite3"])
def test_a_damaged_store_names_the_rebuild_command_and_rebuild_repairs_it(
    tmp_path: Path, damaged: str
) -> None:
    data = tmp_path / "data"
    assert qa(data, "index", str(zebra_folder(tmp_path))).returncode == 0
    before = qa(data, "sources").stdout
    for stale in (data / "chroma").glob(f"{damaged}*"):  # with SQLite's -wal and -shm files
        stale.unlink()
    (data / "chroma" / damaged).write_bytes(os.urandom(4096))

    broken = qa(data, "ask", ASKED)
    assert broken.returncode == 1
    assert "qa index --rebuild" in broken.stderr and "Traceback" not in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1

    rebuilt = qa(data, "index", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 added" in rebuilt.stdout
    assert qa(data, "sources").stdout == before  # same names, same paths
    answer = qa(data, "ask", ASKED)
    assert answer.returncode == 0 and "animals/zebra.txt" in answer.stdout
    assert sorted(p.name for p in data.iterdir() if p.name.startswith("chroma")) == ["chroma"]


def test_a_rebuild_reports_sources_whose_file_is_gone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    docs = zebra_folder(tmp_path)
    assistant = build_assistant(data_dir=data)
    assistant.index([docs])
    (docs / "animals" / "zebra.txt").unlink()

    report = assistant.rebuild()
    assert [source for source, _reason in report.failed] == ["animals/zebra.txt"]
    assert [r.source for r in assistant.sources()] == ["article.txt"]


def test_a_failed_rebuild_leaves_the_old_store(tmp_path: Path) -> None:
    from index import rebuild_folder

    data = tmp_path / "data"
    assistant = build_assistant(data_dir=data)
    assistant.index([zebra_folder(tmp_path)])
    assistant.close()

    def build(folder: Path) -> None:
        folder.mkdir()
        (folder / "half-written").write_text("x")
        raise OSError("disk full")

    with pytest.raises(OSError):
        rebuild_folder(data, build)
    assert build_assistant(data_dir=data).ask(ASKED).citations[0].source == "animals/zebra.txt"


@pytest.mark.integration
def test_a_running_assistant_follows_a_rebuild_in_another_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    serving = build_assistant(data_dir=data)
    serving.index([zebra_folder(tmp_path)])
    assert serving.ask(ASKED).answered

    assert qa(data, "index", "--rebuild").returncode == 0
    more = tmp_path / "more"
    more.mkdir()
    (more / "otter.txt").write_text("The otter Greta sleeps in the Bergen fjord.", "utf-8")
    assert qa(data, "index", str(more)).returncode == 0

    assert nearest_source(serving, "Where does Greta the otter sleep?")[0] == "otter.txt"


@pytest.mark.integration
def test_questions_fail_clearly_while_the_chroma_server_is_down_and_resume_after(
    tmp_path: Path,
) -> None:
    server, url = start_chroma(tmp_path)
    try:
        serving = build_assistant(data_dir=tmp_path / "data", chroma_url=url)
        assert serving.ask("Which leaders did Putin call?").answered
        stop(server)

        with pytest.raises(StoreUnavailable, match=f"Chroma server at {url}"):
            serving.ask("Which leaders did Putin call?")

        server, _ = start_chroma(tmp_path, int(url.rsplit(":", 1)[1]))
        answer = serving.ask("Which leaders did Putin call?")
        assert answer.answered and "Macron" in answer.text
    finally:
        stop(server)


def test_a_sentence_found_in_two_copies_is_quoted_once(tmp_path: Path) -> None:
    docs = zebra_folder(tmp_path)
    (docs / "copy-of-zebra.txt").write_text(ZEBRA, encoding="utf-8")
    assistant = build_assistant(data_dir=tmp_path / "data", bundled=False)
    assistant.index([docs])
    answer = assistant.ask(ASKED)
    assert answer.answered
    texts = [c.text for c in answer.citations]
    assert len(texts) == len(set(texts)) and "Florian" in texts[0]
