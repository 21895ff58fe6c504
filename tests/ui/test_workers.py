"""`qa serve --workers 2`: the HTTP API answered by worker processes, the chat page still on
the server, and workers that die or outlive the server handled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from qa import QuestionError
from tests.conftest import EVAL
from tests.servers import stop
from tests.ui.conftest import HEADLINE, HEADLINE_SENTENCE, start_qa_serve

pytestmark = pytest.mark.integration

ESCAPES_ONLY = "\x1b[31m\x1b[0m"  # passes the request schema; the assistant finds it empty
MEMO = (
    "The Fennimore footbridge over the river Ouse was painted tangerine orange by Tavish Quill "
    "in 1931.\nThe paint was mixed from crushed marigold petals and linseed oil.\n"
)
PAINTER = "Who painted the Fennimore footbridge tangerine orange?"


def dev_questions(count: int) -> list[dict[str, Any]]:
    lines = (EVAL / "article-dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()][:count]


def ask(url: str, question: str, history: Any = ()) -> httpx.Response:
    body = {"question": question, "history": [list(turn) for turn in history]}
    return httpx.post(f"{url}/api/ask", json=body, timeout=180)


def children(pid: int) -> set[int]:
    """The pids of a process's children, from /proc."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(n) for n in (task / "children").read_text().split())
    return found


def workers(pid: int) -> set[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    return {c for c in children(pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}


def cpu_ticks(pid: int) -> int:
    """User and system CPU time a process has used, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def gone(pids: set[int], seconds: float = 30) -> bool:
    """Whether every pid has exited within ``seconds``."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """One `qa serve` with QA_WORKERS=2 for the module: (server pid, url)."""
    proc, url = start_qa_serve(tmp_path_factory.mktemp("workers"), QA_WORKERS="2")
    yield proc.pid, url
    stop(proc)


def test_answers_are_the_single_process_ones(
    served: tuple[int, str], article_assistant: Any
) -> None:
    _pid, url = served
    for item in dev_questions(4):
        response = ask(url, item["question"], item["history"])
        assert response.status_code == 200, response.text
        got = response.json()
        want = article_assistant.ask(item["question"], item["history"]).to_dict()
        assert {**got, "citations": None} == {**want, "citations": None}, item["id"]
        for cited, local in zip(got["citations"], want["citations"], strict=True):
            assert cited == {**local, "score": pytest.approx(local["score"], abs=1e-3)}


def test_two_worker_processes_share_the_questions(served: tuple[int, str]) -> None:
    pid, url = served
    pool = workers(pid)
    assert len(pool) == 2
    before = {w: cpu_ticks(w) for w in pool}
    with ThreadPoolExecutor(max_workers=8) as threads:
        replies = list(threads.map(lambda _: ask(url, HEADLINE), range(24)))
    assert [r.status_code for r in replies] == [200] * 24
    assert all(r.json()["citations"][0]["text"] == HEADLINE_SENTENCE for r in replies)
    assert workers(pid) == pool
    assert all(cpu_ticks(w) > before[w] for w in pool)  # each worker answered some


def test_the_chat_page_still_loads(served: tuple[int, str]) -> None:
    _pid, url = served
    page = httpx.get(f"{url}/", timeout=60)
    assert page.status_code == 200 and "<html" in page.text.lower()
    config = httpx.get(f"{url}/config", timeout=60)
    assert config.status_code == 200
    assert any(c.get("props", {}).get("elem_id") == "qa-chat" for c in config.json()["components"])


def test_a_question_error_is_the_same_one_line_422(
    served: tuple[int, str], article_assistant: Any
) -> None:
    _pid, url = served
    with pytest.raises(QuestionError) as refused:  # what the single process says of it
        article_assistant.ask(ESCAPES_ONLY)
    for question in (ESCAPES_ONLY, "", "   "):
        response = ask(url, question)
        assert response.status_code == 422
        assert response.json() == {"detail": str(refused.value)}
    not_json = httpx.post(
        f"{url}/api/ask", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.json() == {"detail": "The body is not valid JSON"}


def test_an_upload_reaches_the_workers(served: tuple[int, str]) -> None:
    _pid, url = served
    added = httpx.post(
        f"{url}/api/documents", files=[("files", ("fennimore.txt", MEMO.encode()))], timeout=180
    )
    assert added.status_code == 200, added.text
    for _ in range(4):  # each worker, whichever takes the question
        reply = ask(url, PAINTER).json()
        assert reply["answered"] and reply["citations"][0]["source"] == "fennimore.txt", reply
        assert "Tavish Quill" in reply["answer"]


def test_a_killed_worker_is_replaced_after_at_most_one_503(served: tuple[int, str]) -> None:
    pid, url = served
    pool = workers(pid)
    os.kill(min(pool), signal.SIGKILL)
    assert gone({min(pool)})
    statuses = []
    for _ in range(3):
        response = ask(url, HEADLINE)
        statuses.append(response.status_code)
        if response.status_code == 503:
            detail = response.json()["detail"]
            assert "worker" in detail and "\n" not in detail
        else:
            assert response.status_code == 200, response.text
            assert response.json()["citations"][0]["text"] == HEADLINE_SENTENCE
    assert statuses.count(503) <= 1 and statuses[-1] == 200
    replaced = workers(pid)
    assert len(replaced) == 2 and not replaced & pool
    assert gone(pool)

    # a worker killed while it holds questions: those get a 503 or an answer, none hangs
    with ThreadPoolExecutor(max_workers=8) as threads:
        pending = [threads.submit(ask, url, HEADLINE) for _ in range(8)]
        time.sleep(0.3)
        os.kill(min(replaced), signal.SIGKILL)
        during = [future.result() for future in pending]
    assert {r.status_code for r in during} <= {200, 503}
    assert all(
        r.json()["citations"][0]["text"] == HEADLINE_SENTENCE for r in during if r.is_success
    )
    after = ask(url, HEADLINE)
    assert after.status_code in (200, 503)
    if after.status_code == 503:
        after = ask(url, HEADLINE)
    assert after.status_code == 200, after.text


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_no_worker_outlives_the_server(tmp_path: Path, how: signal.Signals) -> None:
    proc, url = start_qa_serve(tmp_path, QA_WORKERS="2")
    try:
        assert ask(url, HEADLINE).status_code == 200
        started = children(proc.pid)
        assert len(workers(proc.pid)) == 2
        proc.send_signal(how)
        proc.wait(timeout=60)
    finally:
        stop(proc)
    assert gone(started), [p for p in started if alive(p)]


def test_a_bad_workers_flag_stops_the_server_at_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    store = str(tmp_path / "store")
    result = subprocess.run(
        [sys.executable, "-m", "qa.cli", "--data-dir", store, "serve", "--workers", "0"],
        capture_output=True,
        text=True,
        env={**env, "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "qa: error: QA_WORKERS=0 must be 1 or more: it is how many processes answer the HTTP "
        "API's questions\n"
    )
    assert not (tmp_path / "store").exists()
