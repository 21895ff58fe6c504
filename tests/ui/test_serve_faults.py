"""A running `qa serve` follows the store: documents indexed by another process, and a Chroma
server that stops and comes back, without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.index.conftest import start_chroma
from tests.servers import stop
from tests.ui.conftest import HEADLINE, start_qa_serve

QA = str(Path(sys.executable).with_name("qa"))
pytestmark = pytest.mark.integration


def ask(url: str, question: str) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": question, "history": []}, timeout=120)


def test_the_server_answers_from_documents_another_process_indexed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server, url = start_qa_serve(data)
    try:
        assert ask(url, HEADLINE).json()["answered"]
        docs = tmp_path / "docs"
        docs.mkdir()
        (docs / "zebra.txt").write_text(
            "The zebra named Florian lives in the Oslo harbour aquarium and eats kelp.", "utf-8"
        )
        indexed = subprocess.run(
            [QA, "--data-dir", str(data), "index", str(docs)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        assert indexed.returncode == 0, indexed.stderr

        reply = ask(url, "What does the zebra Florian eat?").json()
        assert reply["answered"] and reply["citations"][0]["source"] == "zebra.txt"
        assert ask(url, HEADLINE).json()["citations"][0]["source"] == "article.txt"
    finally:
        stop(server)


def test_the_server_reports_a_stopped_chroma_server_and_recovers_when_it_is_back(
    tmp_path: Path,
) -> None:
    chroma, chroma_url = start_chroma(tmp_path / "chroma")
    server, url = start_qa_serve(tmp_path, QA_CHROMA_URL=chroma_url)
    try:
        assert ask(url, HEADLINE).json()["answered"]
        stop(chroma)

        down = ask(url, HEADLINE)
        assert down.status_code == 503
        assert f"Chroma server at {chroma_url}" in down.json()["detail"]
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 503

        chroma, _ = start_chroma(tmp_path / "chroma", int(chroma_url.rsplit(":", 1)[1]))
        back = ask(url, HEADLINE)
        assert back.status_code == 200 and "Macron" in back.json()["answer"]
    finally:
        stop(server)
        stop(chroma)


def test_the_warm_up_at_start_asks_no_llm(tmp_path: Path) -> None:
    from tests.qa.fake_openai import fake_openai

    reply = "Putin called Macron and Scholz [1]."
    with fake_openai([reply]) as llm:
        server, url = start_qa_serve(
            tmp_path, QA_LLM="openai", QA_LLM_BASE_URL=llm.url, QA_LLM_MODEL="fake"
        )
        try:
            assert llm.requests == []  # ready, warmed up, and the LLM not asked
            answer = ask(url, HEADLINE).json()
            assert len(llm.requests) == 1 and answer["backend"] == "openai:fake"
        finally:
            stop(server)
