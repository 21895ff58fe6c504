"""Odd questions (empty, one character, 100,000 characters, control characters, other scripts)
through the HTTP API and the `qa` command: an answer or a clear refusal, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.conftest import HOSTILE_NAME, HOSTILE_TEXT, Served, qa_command

pytestmark = pytest.mark.integration

HEADLINE = "Which leaders did Putin call?"
QUESTIONS = {
    "empty": "",
    "one character": "x",
    "100,000 characters": "why " * 25_000,
    "NUL": "\x00",
    "NUL inside": "Which leaders\x00 did Putin call?",
    "ANSI escapes": "\x1b[31mWhich leaders did Putin call?\x1b[0m\x1b]0;pwned\x07",
    "carriage returns": "Which leaders\r did Putin call?\r\n\r",
    "Arabic (RTL)": "ما هي الدول التي اعترفت بها روسيا؟",
    "Hebrew with a bidi override": "\u202eמי התקשר לפוטין?\u202c",
    "Chinese": "普京给哪些领导人打了电话？",
    "Japanese": "プーチンは誰に電話しましたか？",
    "emoji": "🤔🇺🇦🔥❓",
    "zero-width characters": "\u200b\u200d\ufeff",
    "combining marks": "Whi\u0301ch lea\u0308ders di\u0327d Putin ca\u0303ll?",
    "private use and noncharacters": "\ue000\uffff\U0010ffff?",
    "punctuation only": "?!?...,,;;",
}
# JSON may carry half a UTF-16 pair ("\\ud800"); Python holds it, UTF-8 cannot encode it
LONE_SURROGATE = "Putin \ud800 called whom?"
# what the server may say: an answer, or a refusal naming what is wrong with the question
NO_WORD = "has no word to search for"
REFUSALS = {"empty": "empty", "NUL": "empty"} | {
    name: NO_WORD
    for name in (
        "emoji",
        "zero-width characters",
        "private use and noncharacters",
        "punctuation only",
    )
}


def source_texts(data: Path) -> dict[str, str]:
    from index import load_document
    from qa import bundled_article

    return {"article.txt": load_document(bundled_article()).text, HOSTILE_NAME: HOSTILE_TEXT}


def post(url: str, body: dict[str, Any]) -> httpx.Response:
    """POST JSON with non-ASCII escaped, so a lone surrogate travels as JSON allows (\\ud800)."""
    headers = {"Content-Type": "application/json"}
    return httpx.post(f"{url}/api/ask", content=json.dumps(body), headers=headers, timeout=120)


def check_answer(body: dict[str, Any], texts: dict[str, str]) -> None:
    """A well-formed answer whose citations are verbatim slices of their sources."""
    assert isinstance(body["answer"], str) and body["answer"].strip()
    assert body["answered"] or not body["citations"]
    for citation in body["citations"]:
        source = texts[citation["source"]]
        assert source[citation["start"] : citation["end"]] == citation["text"]


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_http_api_answers_or_refuses_with_a_4xx_message(served: Served, name: str) -> None:
    question = QUESTIONS[name]
    response = post(served.url, {"question": question})
    assert response.status_code in (200, 422), response.text
    body = response.json()
    if response.status_code == 422:
        detail = body["detail"]
        assert isinstance(detail, str) and "\n" not in detail and len(detail) < 200, detail
        if name == "100,000 characters":
            assert "too long" in detail
        else:
            assert REFUSALS.get(name, "<answered>") in detail
        return
    assert name not in REFUSALS and name != "100,000 characters"
    check_answer(body, source_texts(served.data))
    if "Putin call" in question.replace("\x00", "").replace("\x1b[31m", ""):
        assert "Macron" in body["answer"]


def test_the_history_can_hold_odd_text_too(served: Served) -> None:
    history = [[QUESTIONS[name], QUESTIONS[name]] for name in ("NUL inside", "emoji", "Chinese")]
    response = post(served.url, {"question": "How did they react?", "history": history})
    assert response.status_code == 200, response.text
    check_answer(response.json(), source_texts(served.data))


def test_server_log_holds_no_traceback_after_the_odd_questions(served: Served) -> None:
    before = served.log.stat().st_size
    for question in QUESTIONS.values():
        post(served.url, {"question": question})
    with served.log.open("rb") as log:
        log.seek(before)
        assert b"Traceback" not in log.read()


def test_http_api_refuses_a_lone_surrogate_with_422_and_logs_no_traceback(served: Served) -> None:
    before = served.log.stat().st_size
    for body in ({"question": LONE_SURROGATE}, {"question": "Why?", "history": [["a", "\ud800"]]}):
        response = post(served.url, body)
        assert response.status_code in (200, 422), response.text
    with served.log.open("rb") as log:
        log.seek(before)
        assert b"Traceback" not in log.read()


def test_qa_batch_gives_a_lone_surrogate_an_error_line(hostile_data: Path) -> None:
    line = json.dumps({"id": "surrogate", "question": LONE_SURROGATE})
    result = qa_command("batch", "-", data=hostile_data, stdin=line)
    assert "Traceback" not in result.stderr, result.stderr
    [answer] = [json.loads(out) for out in result.stdout.splitlines()]
    assert answer["id"] == "surrogate" and ("error" in answer or answer["answer"])
    assert result.returncode == (1 if "error" in answer else 0)


@pytest.fixture(scope="module")
def batch_answers(hostile_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Every odd question through `qa batch` (JSON lines carry what argv cannot: NUL)."""
    lines = [json.dumps({"id": name, "question": q}) for name, q in QUESTIONS.items()]
    result = qa_command("batch", "-", data=hostile_data, timeout=600, stdin="\n".join(lines))
    assert "Traceback" not in result.stderr, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == (1 if any("error" in a for a in answers) else 0)  # some refused
    return answers


def test_qa_batch_answers_each_odd_question_or_gives_its_error(
    batch_answers: list[Any], hostile_data: Path
) -> None:
    assert [line["id"] for line in batch_answers] == list(QUESTIONS)
    texts = source_texts(hostile_data)
    for line in batch_answers:
        if "error" in line:
            assert line["id"] in REFUSALS or line["id"] == "100,000 characters", line
            assert "\n" not in line["error"]
        else:
            assert line["id"] not in REFUSALS, line
            check_answer(line, texts)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty", "The question is empty"),
        ("100,000 characters", "The question is too long"),
        ("punctuation only", f"The question {NO_WORD}"),
        ("emoji", f"The question {NO_WORD}"),
    ],
)
def test_qa_ask_refuses_with_one_line_and_a_non_zero_exit(
    hostile_data: Path, name: str, message: str
) -> None:
    result = qa_command("ask", QUESTIONS[name], data=hostile_data)
    assert result.returncode == 1
    assert result.stderr.startswith(f"qa: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("name", ["one character", "ANSI escapes", "Arabic (RTL)", "Chinese"])
def test_qa_ask_answers_odd_questions_without_a_traceback(hostile_data: Path, name: str) -> None:
    result = qa_command("ask", QUESTIONS[name], "--json", data=hostile_data)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    check_answer(json.loads(result.stdout), source_texts(hostile_data))
