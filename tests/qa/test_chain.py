"""The assistant's LangChain parts: a Runnable answerer, a BaseRetriever and Embeddings."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from index import Embedder
from qa import Answer, Assistant, build_assistant
from qa.generative import passages

QUESTION = "Which leaders did Putin call?"


def test_the_answerer_runs_as_a_langchain_chain(article_assistant) -> None:  # type: ignore[no-untyped-def]
    chain = article_assistant.as_runnable()
    assert isinstance(chain, Runnable)
    asked = [QUESTION, "Who is the president of Brazil?"]
    answers = chain.batch([{"question": q, "history": []} for q in asked])
    assert answers == [article_assistant.ask(q) for q in asked]
    assert answers[0].answered and not answers[1].answered

    as_text = RunnableLambda(lambda q: {"question": q, "history": []}) | chain
    answer: Answer = as_text.invoke(QUESTION)
    assert "Macron" in answer.text and answer.citations


def test_the_runnable_invokes_batches_and_streams_what_ask_gives(
    article_assistant: Assistant,
) -> None:
    chain = article_assistant.as_runnable()
    history = [(QUESTION, article_assistant.ask(QUESTION).text)]
    asked = {"question": "How did they react?", "history": history}
    expected = article_assistant.ask(asked["question"], history)
    assert chain.invoke(asked) == expected
    assert list(chain.stream(asked)) == [expected]  # extractive: one answer, at once
    assert chain.batch([asked, {"question": QUESTION}]) == [
        expected,
        article_assistant.ask(QUESTION),
    ]

    async def run_async() -> tuple[list[Answer], Answer, list[Answer]]:
        streamed = [answer async for answer in chain.astream(asked)]
        return streamed, await chain.ainvoke(asked), await chain.abatch([asked, asked])

    streamed, invoked, batched = asyncio.run(run_async())
    assert streamed == [expected] and invoked == expected and batched == [expected, expected]


def test_the_runnable_streams_an_llm_answer_as_it_grows(
    tmp_path: Path, embedder: Embedder, article_assistant: Assistant
) -> None:
    shown = passages(article_assistant.rank(QUESTION), article_assistant.source_text)
    n = next(p.n for p in shown if "Macron" in p.text)
    reply = f"Putin told Emmanuel Macron and Olaf Scholz of his decision [{n}]."
    model = GenericFakeChatModel(messages=itertools.repeat(reply))
    assistant = build_assistant(data_dir=tmp_path / "store", embedder=embedder, chat_model=model)
    chain = assistant.as_runnable()
    direct = list(assistant.stream(QUESTION))
    streamed = list(chain.stream({"question": QUESTION, "history": []}))
    assert len(streamed) > 3 and streamed == direct
    assert streamed[-1] == assistant.ask(QUESTION) == chain.invoke({"question": QUESTION})
    assert streamed[-1].backend == "GenericFakeChatModel" and streamed[-1].citations
    assert not streamed[0].citations and streamed[0].text != streamed[-1].text

    async def run_async() -> list[Answer]:
        return [answer async for answer in chain.astream({"question": QUESTION})]

    assert asyncio.run(run_async()) == direct


def test_the_runnable_refuses_what_is_not_a_question(article_assistant: Assistant) -> None:
    from qa import QuestionError

    chain = article_assistant.as_runnable()
    with pytest.raises(TypeError, match="question"):
        chain.invoke(QUESTION)  # type: ignore[arg-type]
    with pytest.raises(QuestionError):
        chain.invoke({"question": "   ", "history": []})


def test_the_hybrid_search_is_a_langchain_retriever(article_assistant) -> None:  # type: ignore[no-untyped-def]
    retriever = article_assistant.as_retriever()
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke(QUESTION)
    assert len(documents) == article_assistant.settings.top_k
    text = article_assistant.source_text("article.txt")
    for document in documents:
        meta = document.metadata
        assert meta["source"] == "article.txt"
        assert text[meta["start"] : meta["end"]] == document.page_content
    assert any("Macron" in d.page_content for d in documents[:2])


def test_the_retriever_takes_k_when_made_and_per_call(article_assistant: Assistant) -> None:
    retriever = article_assistant.as_retriever(k=2)
    two = retriever.invoke(QUESTION)
    assert len(two) == 2
    three = retriever.invoke(QUESTION, k=3)
    assert len(three) == 3 and len(retriever.invoke(QUESTION)) == 2  # a call's k is its own
    assert [d.id for d in three[:2]] == [d.id for d in two]
    assert len(asyncio.run(retriever.ainvoke(QUESTION, k=1))) == 1
    chunks = article_assistant.pipeline.search.view().lexicon.n
    assert len(retriever.invoke(QUESTION, k=chunks + 5)) == chunks  # every chunk, no more
    for wrong in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k must be"):
            retriever.invoke(QUESTION, k=wrong)
    with pytest.raises(ValueError, match="k must be"):
        article_assistant.as_retriever(k=0)


def test_a_calls_k_leaves_the_default_search_as_it_was(article_assistant: Assistant) -> None:
    search = article_assistant.pipeline.search
    default = search.search(QUESTION)
    assert search.k == article_assistant.settings.top_k
    assert search.search(QUESTION, k=search.k) == default
    assert [c.id for c, *_ in search.search(QUESTION, k=2)] == [c.id for c, *_ in default[:2]]


def test_the_embedder_is_langchain_embeddings_async_too(article_assistant: Assistant) -> None:
    embedder = article_assistant.embedder
    assert isinstance(embedder, Embeddings) and issubclass(Embedder, Embeddings)
    texts = ["Macron is the president of France.", "The Rhine flows to the sea."]

    async def run_async() -> tuple[list[float], list[list[float]]]:
        return await embedder.aembed_query(texts[0]), await embedder.aembed_documents(texts)

    query, documents = asyncio.run(run_async())
    assert query == embedder.embed_query(texts[0])
    assert documents == embedder.embed_documents(texts)
    assert len(query) == embedder.dimension and all(isinstance(x, float) for x in query)


def test_the_embedder_plugs_into_a_langchain_vector_store(article_assistant) -> None:  # type: ignore[no-untyped-def]
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore(embedding=article_assistant.embedder)
    store.add_texts(["Macron is the president of France.", "The Rhine flows to the sea."])
    best = store.similarity_search("Which river reaches the North Sea?", k=1)
    assert best[0].page_content == "The Rhine flows to the sea."


def test_import_qa_stays_free_of_langchain_and_embedders_register_themselves() -> None:
    import subprocess
    import sys

    code = (
        "import sys, index, qa\n"
        "assert not [m for m in sys.modules if m.startswith('langchain')], 'langchain loaded'\n"
        "from langchain_core.embeddings import Embeddings\n"
        "print(isinstance(index.Embedder(), Embeddings))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "True", result.stderr
