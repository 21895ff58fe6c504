"""The OpenAI-compatible endpoint, called by the official `openai` client and LangChain's
`ChatOpenAI` over real sockets, against the real app under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from qa import Assistant, build_assistant
from tests.qa.fake_openai import fake_openai
from tests.ui.conftest import HEADLINE, HEADLINE_SENTENCE, UNANSWERABLE, ThreadedServer
from ui.openai_api import REVISED, Deltas, content, conversation, footnotes
from ui.server import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def url(article_assistant: Assistant) -> Iterator[str]:
    with ThreadedServer(create_app(article_assistant.settings, article_assistant)) as server:
        yield server.url


@pytest.fixture(scope="module")
def client(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)


def ask(client: OpenAI, messages: list[Any], model: str = "qa") -> Any:
    return client.chat.completions.create(model=model, messages=messages)


def streamed(client: OpenAI, messages: list[Any]) -> list[Any]:
    return list(client.chat.completions.create(model="qa", messages=messages, stream=True))


def joined(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


# the official openai client


def test_answer_has_markers_footnotes_and_verbatim_citations(
    client: OpenAI, url: str, article_assistant: Assistant
) -> None:
    reply = ask(client, [user(HEADLINE)], model="any-name")
    assert reply.object == "chat.completion" and reply.model == "any-name"
    text = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"
    assert "Macron" in text and "[1]" in text
    served = httpx.post(f"{url}/api/ask", json={"question": HEADLINE}, timeout=60).json()
    assert text.startswith(served["answer"] + "\n\n[1] article.txt, chars ")
    citations = reply.model_extra["citations"]
    assert citations[0]["text"] == HEADLINE_SENTENCE and reply.model_extra["answered"] is True
    for c in citations:
        assert article_assistant.source_text(c["source"])[c["start"] : c["end"]] == c["text"]
        assert f'[{c["n"]}] {c["source"]}, chars {c["start"]}-{c["end"]}: "{c["text"]}"' in text
    assert [c["text"] for c in citations] == [c["text"] for c in served["citations"]]
    assert reply.usage is not None and reply.usage.completion_tokens > 0


def test_streamed_deltas_add_up_to_the_non_streamed_content(client: OpenAI) -> None:
    whole = ask(client, [user(HEADLINE)])
    chunks = streamed(client, [user(HEADLINE)])
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert joined(chunks) == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert [c["text"] for c in last.model_extra["citations"]] == [HEADLINE_SENTENCE]
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)


def test_follow_up_uses_the_message_history(client: OpenAI) -> None:
    first = ask(client, [user(HEADLINE)]).choices[0].message.content
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},  # ignored
        user(HEADLINE),
        {"role": "assistant", "content": first},
        {"role": "user", "content": [{"type": "text", "text": "How did they react?"}]},
    ]
    follow_up = ask(client, messages)
    assert "disappointment" in follow_up.choices[0].message.content
    assert follow_up.model_extra["answered"] is True
    assert "disappointment" in joined(streamed(client, messages))


def test_unanswerable_question_is_a_decline_reply(client: OpenAI) -> None:
    reply = ask(client, [user(UNANSWERABLE)])
    assert "documents don't say" in reply.choices[0].message.content
    assert "[1]" not in reply.choices[0].message.content
    assert reply.model_extra["citations"] == [] and reply.model_extra["answered"] is False


def test_models_lists_the_one_model(client: OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["qa"]


@pytest.mark.parametrize(
    ("messages", "words"),
    [
        ([], "no user message"),
        ([{"role": "system", "content": "Be brief."}], "no user message"),
        ([user("   ")], "empty"),
        ([user("?!?...,,;;")], "no word to search for"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "empty",
        ),
    ],
)
def test_unusable_messages_are_bad_requests(client: OpenAI, messages: Any, words: str) -> None:
    with pytest.raises(openai.BadRequestError, match=words):
        ask(client, messages)
    with pytest.raises(openai.BadRequestError, match=words):
        streamed(client, messages)


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"messages": 3}', b'{"messages": [{"content": "no role"}]}']
)
def test_bad_bodies_get_openai_error_objects(url: str, body: bytes) -> None:
    response = httpx.post(
        f"{url}/v1/chat/completions",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["message"]


def test_auth_takes_the_api_key_or_basic_auth(auth_server_url: str) -> None:
    def client(key: str) -> OpenAI:
        return OpenAI(base_url=f"{auth_server_url}/v1", api_key=key, max_retries=0, timeout=60)

    for key in ("unused", "reader:wrong"):
        with pytest.raises(openai.AuthenticationError):
            ask(client(key), [user(HEADLINE)])
        with pytest.raises(openai.AuthenticationError):
            client(key).models.list()
    assert httpx.get(f"{auth_server_url}/v1/models", timeout=10).status_code == 401
    assert "Macron" in ask(client("reader:s3cret"), [user(HEADLINE)]).choices[0].message.content
    assert "Macron" in joined(streamed(client("reader:s3cret"), [user(HEADLINE)]))
    basic = httpx.get(f"{auth_server_url}/v1/models", auth=("reader", "s3cret"), timeout=10)
    assert basic.status_code == 200 and basic.json()["data"][0]["id"] == "qa"


def test_openapi_schema_describes_both_routes(url: str) -> None:
    schema = httpx.get(f"{url}/openapi.json", timeout=10).json()
    chat = schema["paths"]["/v1/chat/completions"]["post"]
    assert {"200", "400", "503"} <= set(chat["responses"]) and "422" not in chat["responses"]
    assert "get" in schema["paths"]["/v1/models"]
    models = schema["components"]["schemas"]
    assert {"ChatCompletionRequest", "ChatCompletion", "ModelList", "ErrorResponse"} <= set(models)
    assert "citations" in models["ChatCompletion"]["properties"]


# LangChain's ChatOpenAI


def test_langchain_chat_openai_invokes_and_streams_the_same_text(url: str) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=f"{url}/v1", api_key="unused", model="qa", max_retries=0)
    invoked = chat.invoke(HEADLINE).content
    assert isinstance(invoked, str) and "Macron" in invoked and "[1]" in invoked
    assert "".join(str(chunk.content) for chunk in chat.stream(HEADLINE)) == invoked
    follow_up = chat.invoke(
        [("human", HEADLINE), ("ai", invoked), ("human", "How did they react?")]
    )
    assert "disappointment" in str(follow_up.content)


# with an LLM configured: token-by-token deltas, and an answer the verification rewrote


@pytest.fixture
def llm_url(article_assistant: Assistant) -> Iterator[tuple[str, list[str]]]:
    """The app over an assistant whose LLM is a scripted OpenAI-compatible server."""
    replies: list[str] = []
    with fake_openai(replies) as llm:
        llm.replies = replies
        settings = article_assistant.settings.with_(
            llm="openai", llm_base_url=llm.url, llm_model="fake", llm_timeout=10.0
        )
        with ThreadedServer(create_app(settings, build_assistant(settings))) as server:
            yield server.url, replies


def test_llm_answer_streams_token_by_token_and_adds_up(llm_url: tuple[str, list[str]]) -> None:
    url, replies = llm_url
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
    reply = HEADLINE_SENTENCE[:-1] + " [1]."  # passage 1 is this sentence: kept as written
    replies.extend([reply, reply])
    whole = ask(client, [user(HEADLINE)]).choices[0].message.content
    chunks = streamed(client, [user(HEADLINE)])
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) > 10  # word by word, then the footnotes
    assert whole.startswith(reply + "\n\n[1] article.txt") and joined(chunks) == whole
    assert chunks[-1].model_extra["citations"][0]["text"] == HEADLINE_SENTENCE


def test_llm_answer_replaced_after_streaming_ends_with_the_final_content(
    llm_url: tuple[str, list[str]], article_assistant: Assistant
) -> None:
    url, replies = llm_url
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
    draft = "The moon is made of green cheese [1]."  # unsupported: the extractive answer instead
    replies.extend([draft, draft])
    whole = ask(client, [user(HEADLINE)])
    assert whole.choices[0].message.content == content(article_assistant.ask(HEADLINE))
    assert "extractive answer" in whole.model_extra["notes"][-1]
    text = joined(streamed(client, [user(HEADLINE)]))
    assert text == draft + REVISED + whole.choices[0].message.content


# the pure parts


def test_deltas_send_only_extensions_and_revise_when_the_final_text_differs() -> None:
    from qa import Answer, Citation

    cited = Answer("Putin called Macron [1].", (Citation(1, "Putin called.", "a.txt", 0, 13, 1),))
    deltas = Deltas()
    sent = [deltas.partial(t) for t in ["Putin", "Putin called", "Putin called Macron [", "Putin"]]
    assert sent == ["Putin", " called", " Macron", ""]  # a half-made marker waits
    assert "".join(sent + deltas.final(cited)) == content(cited)
    assert content(cited) == cited.text + footnotes(cited.citations)
    revised = Deltas()
    revised.partial("Putin called Biden [2]")
    assert "".join(["Putin called Biden [2]", *revised.final(cited)]) == (
        "Putin called Biden [2]" + REVISED + content(cited)
    )


def test_conversation_pairs_turns_and_drops_our_footnotes() -> None:
    from ui.openai_api import ChatCompletionRequest

    request = ChatCompletionRequest.model_validate(
        {
            "messages": [
                {"role": "system", "content": "ignored"},
                {"role": "user", "content": "Q1"},
                {"role": "assistant", "content": 'A1 [1].\n\n[1] a.txt, chars 0-5: "A one"'},
                {"role": "user", "content": "Q2"},
                {"role": "user", "content": [{"type": "text", "text": "Q3"}]},
            ]
        }
    )
    assert conversation(request.messages) == ("Q3", [("Q1", "A1 [1]."), ("Q2", "")])
