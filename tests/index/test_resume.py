"""Indexing a big folder survives kill -9: the rerun finishes it, no duplicates, nothing lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from index import Store, index_paths, open_client, open_store
from index.scan import live_chunks
from tests.index.bm25_check import assert_lexicon_matches, unindexed_versions

DOCUMENTS = 60
TIMEOUT = 900
ROOT = Path(__file__).resolve().parents[2]
ASKED = ["When was the glacier of town 12 first recorded?", "Who keeps report 7?", "boats mills"]
_TOPICS = ("river", "engine", "harbour", "library", "glacier", "orchard", "comet", "market")


def write_corpus(folder: Path, count: int = DOCUMENTS) -> Path:
    """count small, different documents of one to four paragraphs."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        topic = _TOPICS[n % len(_TOPICS)]
        paragraphs = [
            f"Report {n} is about the {topic} of town {n * 7 % 101}. "
            f"The {topic} was first recorded in {1700 + n}. Its keeper is named Keeper{n}.",
            f"In {1800 + n % 97} the {topic} of town {n} was rebuilt after a storm. "
            f"Visitors counted {n * 13 % 1000} boats, {n % 17} bridges and {n % 5} mills.",
            f"People in town {n} still tell the story of the {topic} every spring. " * (n % 3 + 1),
            f"The archive holds {n % 11} letters about report {n}.",
        ][: n % 4 + 1]
        (folder / f"doc{n:04d}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return folder


def start_indexing(data_dir: Path, docs: Path, extra: list[str]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QA_BUNDLED": "false",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "qa.cli", "--data-dir", str(data_dir), *extra]
    return subprocess.Popen(
        [*command, "index", str(docs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def kill_when_files_done(proc: subprocess.Popen[bytes], files: int) -> str:
    """SIGKILL the indexer once its progress bar shows at least `files` files indexed."""
    assert proc.stderr is not None
    seen: list[bytes] = []
    reached = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        while chunk := os.read(proc.stderr.fileno(), 4096):
            seen.append(chunk)
            done = re.findall(rb"(\d+)/\d+ \[", b"".join(seen[-4:]))
            if done and int(done[-1]) >= files:
                reached.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    deadline = time.monotonic() + TIMEOUT
    while not reached.is_set() and proc.poll() is None and time.monotonic() < deadline:
        reached.wait(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    watcher.join(timeout=5)
    output = b"".join(seen).decode(errors="replace")
    assert reached.is_set(), f"the indexer never reached {files} files:\n{output[-2000:]}"
    assert proc.returncode == -signal.SIGKILL, output[-2000:]
    return output


def snapshot(store: Store) -> dict[str, Any]:
    chunks = live_chunks(store)
    return {
        "sources": [(r.source, r.digest, r.chunks) for r in store.sources()],
        "ids": sorted(c.id for c in chunks),
        "stored": store.count(),
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The generated folder, and what a clean uninterrupted run makes of it."""
    folder = tmp_path_factory.mktemp("resume")
    docs = write_corpus(folder / "docs")
    store = Store(open_client(folder / "clean"))
    report = index_paths(store, embedder, [docs])
    assert len(report.added) == DOCUMENTS
    return docs, snapshot(store)


@pytest.mark.slow
@pytest.mark.integration
def test_killed_indexing_resumes_to_the_same_index_as_a_clean_run(
    backend: dict[str, Any], corpus: tuple[Path, dict[str, Any]], embedder
) -> None:  # type: ignore[no-untyped-def]
    docs, clean = corpus
    assert clean["stored"] == len(clean["ids"]) == len(set(clean["ids"]))

    extra = ["--collection", backend["collection"]]
    if backend["chroma_url"]:
        extra += ["--chroma-url", backend["chroma_url"]]
    kill_when_files_done(start_indexing(backend["data_dir"], docs, extra), DOCUMENTS // 4)
    killed = open_store(backend["data_dir"], backend["chroma_url"] or None, backend["collection"])
    assert_lexicon_matches(killed, ASKED)  # what was written but not committed is not seen
    killed.close()

    rerun = start_indexing(backend["data_dir"], docs, extra)
    out, err = rerun.communicate(timeout=TIMEOUT)
    assert rerun.returncode == 0, err.decode(errors="replace")[-2000:]
    added, _updated, unchanged = (int(n) for n in re.findall(rb"(\d+) \w+", out)[:3])
    assert unchanged >= DOCUMENTS // 4 and added + unchanged == DOCUMENTS  # resumed, not redone

    client = open_client(backend["data_dir"], backend["chroma_url"] or None)
    resumed = snapshot(Store(client, backend["collection"]))
    assert resumed["sources"] == clean["sources"]
    assert resumed["ids"] == clean["ids"]  # nothing lost
    assert resumed["stored"] == len(resumed["ids"])  # no duplicates or orphans left behind
    store = open_store(backend["data_dir"], backend["chroma_url"] or None, backend["collection"])
    assert_lexicon_matches(store, ASKED)
    if not backend["chroma_url"]:  # the only writer sweeps at once; a server's wait their turn
        assert unindexed_versions(store) == set()
