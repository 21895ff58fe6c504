"""The assistant's LangChain parts: a Runnable answerer and a BaseRetriever."""

from __future__ import annotations

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from qa import Answer


def test_the_answerer_runs_as_a_langchain_chain(article_assistant) -> None:  # type: ignore[no-untyped-def]
    chain = article_assistant.as_runnable()
    assert isinstance(chain, Runnable)
    asked = ["Which leaders did Putin call?", "Who is the president of Brazil?"]
    answers = chain.batch([{"question": q, "history": []} for q in asked])
    assert answers == [article_assistant.ask(q) for q in asked]
    assert answers[0].answered and not answers[1].answered

    as_text = RunnableLambda(lambda q: {"question": q, "history": []}) | chain
    answer: Answer = as_text.invoke("Which leaders did Putin call?")
    assert "Macron" in answer.text and answer.citations


def test_the_hybrid_search_is_a_langchain_retriever(article_assistant) -> None:  # type: ignore[no-untyped-def]
    retriever = article_assistant.as_retriever()
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("Which leaders did Putin call?")
    assert 0 < len(documents) <= article_assistant.settings.top_k
    text = article_assistant.source_text("article.txt")
    for document in documents:
        meta = document.metadata
        assert meta["source"] == "article.txt"
        assert text[meta["start"] : meta["end"]] == document.page_content
    assert any("Macron" in d.page_content for d in documents[:2])


def test_the_embedder_plugs_into_a_langchain_vector_store(article_assistant) -> None:  # type: ignore[no-untyped-def]
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore(embedding=article_assistant.embedder)
    store.add_texts(["Macron is the president of France.", "The Rhine flows to the sea."])
    best = store.similarity_search("Which river reaches the North Sea?", k=1)
    assert best[0].page_content == "The Rhine flows to the sea."
