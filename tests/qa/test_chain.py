"""The extractive answerer is a LangChain Runnable that composes with other chains."""

from __future__ import annotations

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
