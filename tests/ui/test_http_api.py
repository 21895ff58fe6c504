"""The HTTP API and the Gradio `/ask` endpoint, called over real sockets like other programs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.ui.conftest import (
    HEADLINE,
    HEADLINE_SENTENCE,
    MAX_QUESTION_CHARS,
    UNANSWERABLE,
)

pytestmark = pytest.mark.integration


def ask(url: str, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json=body, timeout=60, **kwargs)


def test_ask_answers_with_the_cited_sentence(server_url: str) -> None:
    response = ask(server_url, {"question": HEADLINE})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is True
    assert "Macron" in body["answer"] and "Scholz" in body["answer"]
    assert "[1]" in body["answer"]
    assert body["citations"][0]["text"] == HEADLINE_SENTENCE
    assert body["citations"][0]["source"] == "article.txt"


def test_ask_returns_the_json_of_qa_ask_json(server_url: str, article_assistant: Any) -> None:
    served = ask(server_url, {"question": HEADLINE}).json()
    local = article_assistant.ask(HEADLINE).to_dict()
    assert list(served) == list(local)
    for key in local:
        if key != "citations":
            assert served[key] == local[key], key
    assert [set(c) for c in served["citations"]] == [set(c) for c in local["citations"]]
    for got, want in zip(served["citations"], local["citations"], strict=True):
        assert {**got, "score": pytest.approx(want["score"], abs=1e-3)} == want


def test_unanswerable_question_is_declined_not_an_error(server_url: str) -> None:
    response = ask(server_url, {"question": UNANSWERABLE})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is False and body["citations"] == []
    assert "documents don't say" in body["answer"]


def test_history_makes_a_follow_up_use_the_conversation(server_url: str) -> None:
    first = ask(server_url, {"question": HEADLINE}).json()
    history = [[HEADLINE, first["answer"]]]
    follow_up = ask(server_url, {"question": "How did they react?", "history": history})
    assert follow_up.status_code == 200
    body = follow_up.json()
    assert body["question"] == "How did they react?"
    assert "Macron" in body["search_query"]  # "they" read as the people the last answer named


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": ""}, "empty"),
        ({"question": "   \n "}, "empty"),
        ({"question": "?!?...,,;;"}, "no word to search for"),
        ({"question": "why " * MAX_QUESTION_CHARS}, "too long"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": HEADLINE, "history": "not a list"}, "history"),
        ({"question": HEADLINE, "history": [["only one side"]]}, "history"),
    ],
)
def test_bad_input_is_422_with_a_message(server_url: str, body: Any, message: str) -> None:
    response = ask(server_url, body)
    assert response.status_code == 422
    assert message in response.text.lower()


def test_twenty_parallel_requests_are_all_answered_correctly(server_url: str) -> None:
    questions = [HEADLINE if i % 2 == 0 else UNANSWERABLE for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda q: ask(server_url, {"question": q}), questions))
    assert [r.status_code for r in responses] == [200] * 20
    for question, response in zip(questions, responses, strict=True):
        body = response.json()
        assert body["question"] == question
        if question == HEADLINE:
            assert body["answered"] and body["citations"][0]["text"] == HEADLINE_SENTENCE
        else:
            assert not body["answered"] and body["citations"] == []


def test_healthz_reports_the_indexed_sources(server_url: str) -> None:
    response = httpx.get(f"{server_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "sources": 1}


def test_openapi_schema_describes_ask(server_url: str) -> None:
    schema = httpx.get(f"{server_url}/openapi.json", timeout=10).json()
    operation = schema["paths"]["/api/ask"]["post"]
    assert "422" in operation["responses"]
    request = schema["components"]["schemas"]["AskRequest"]
    assert request["required"] == ["question"]
    assert set(schema["components"]["schemas"]["AskResponse"]["properties"]) == {
        "answer",
        "answered",
        "citations",
        "question",
        "search_query",
        "unsupported",
        "backend",
        "notes",
    }


def test_gradio_client_calls_the_ask_endpoint(server_url: str) -> None:
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    result = client.predict(HEADLINE, [], api_name="/ask")
    assert result["answered"] is True
    assert "Macron" in result["answer"] and "Scholz" in result["answer"]
    assert result["citations"][0]["text"] == HEADLINE_SENTENCE


def test_gradio_client_gets_a_readable_error_for_an_empty_question(server_url: str) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server_url, verbose=False)
    with pytest.raises(AppError, match="empty"):
        client.predict("  ", [], api_name="/ask")


def test_basic_auth_guards_the_api_when_configured(auth_server_url: str) -> None:
    assert ask(auth_server_url, {"question": HEADLINE}).status_code == 401
    assert ask(auth_server_url, {"question": HEADLINE}, auth=("reader", "wrong")).status_code == 401
    response = ask(auth_server_url, {"question": HEADLINE}, auth=("reader", "s3cret"))
    assert response.status_code == 200 and response.json()["answered"] is True
    assert httpx.get(f"{auth_server_url}/healthz", timeout=10).status_code == 200


def test_gradio_client_logs_in_when_auth_is_configured(auth_server_url: str) -> None:
    from gradio_client import Client

    client = Client(auth_server_url, auth=("reader", "s3cret"), verbose=False)
    assert client.predict(HEADLINE, [], api_name="/ask")["answered"] is True
