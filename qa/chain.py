"""The assistant as LangChain parts: a BaseRetriever and a streaming Runnable answerer.

Imported only when asked for (``Assistant.as_retriever()``, ``Assistant.as_runnable()``):
``langchain_core.runnables`` takes about a second to import, which ``qa ask`` does without.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import suppress
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict, Field

from index.embedding import register_with_langchain
from qa.answer import Answer

register_with_langchain()  # whoever uses the LangChain parts sees the Embedder as Embeddings

Streamer = Callable[[str, Sequence[tuple[str, str]]], Iterator[Answer]]


def checked_k(k: object) -> int:
    """A number of results: a whole number, 1 or more; ValueError otherwise."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number, 1 or more, not {k!r}")
    return k


class HybridRetriever(BaseRetriever):
    """``qa.retrieval.HybridSearch`` as a LangChain retriever: the best ``k`` chunks as
    Documents whose metadata holds their source and character offsets.

    ``k`` (default: the search's own, ``settings.top_k``) can be set here or per call, as in
    ``retriever.invoke(query, k=3)``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: Any
    k: int | None = Field(default=None, ge=1)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        k = self.k if k is None else checked_k(k)
        found = self.hybrid.search(query) if k is None else self.hybrid.search(query, k=k)
        return [
            Document(
                page_content=chunk.text,
                id=chunk.id,
                metadata={
                    "source": chunk.source,
                    "start": chunk.start,
                    "end": chunk.end,
                    "sentences": chunk.sentences,
                    "heading": chunk.heading,
                    "fused": fused,
                    "similarity": sim,
                },
            )
            for chunk, fused, sim in found
        ]

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
    ) -> list[Document]:
        # BaseRetriever's default runs the sync search in a thread but drops the call's k
        return await run_in_executor(
            None, self._get_relevant_documents, query, run_manager=run_manager.get_sync(), k=k
        )


def _turn(asked: dict[str, Any]) -> tuple[Any, Any]:
    """The question and history of a ``{"question", "history"}`` input (history optional)."""
    if not isinstance(asked, dict) or "question" not in asked:
        raise TypeError(f'expected {{"question", "history"}}, got {type(asked).__name__}')
    return asked["question"], asked.get("history") or ()


def _step(answers: Iterator[Answer]) -> Answer | None:
    """The next answer, None when there are no more (StopIteration cannot cross a thread)."""
    return next(answers, None)


class AnswerRunnable(Runnable[dict[str, Any], Answer]):
    """``{"question", "history"} -> Answer`` as ``Assistant.stream`` gives it.

    ``stream`` and ``astream`` yield the answers as they come: the extractive answer once, an
    LLM's answer growing token by token and then verified. ``invoke``, ``batch`` and their
    async forms return the last one, the Answer ``Assistant.ask`` returns."""

    def __init__(self, stream: Streamer, name: str = "qa") -> None:
        self._stream = stream
        self.name = name

    def _answers(self, asked: dict[str, Any]) -> Iterator[Answer]:
        question, history = _turn(asked)
        return self._stream(question, history)

    def _final(self, asked: dict[str, Any]) -> Answer:
        answer = None
        for answer in self._answers(asked):  # noqa: B007 - the last one is the answer
            pass
        if answer is None:
            raise RuntimeError("the assistant gave no answer")
        return answer

    def _transform(self, inputs: Iterator[dict[str, Any]]) -> Iterator[Answer]:
        for asked in inputs:
            yield from self._answers(asked)

    async def _atransform(self, inputs: AsyncIterator[dict[str, Any]]) -> AsyncIterator[Answer]:
        async for asked in inputs:
            answers = self._answers(asked)
            try:
                while (answer := await run_in_executor(None, _step, answers)) is not None:
                    yield answer
            finally:
                close = getattr(answers, "close", None)
                # cancelled while a thread still steps it: it is closed when collected
                with suppress(ValueError):
                    if close is not None:
                        close()

    def invoke(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        return self._call_with_config(self._final, input, config)

    def stream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any | None
    ) -> Iterator[Answer]:
        yield from self._transform_stream_with_config(iter([input]), self._transform, config)

    async def astream(
        self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any | None
    ) -> AsyncIterator[Answer]:
        async def inputs() -> AsyncIterator[dict[str, Any]]:
            yield input

        async for answer in self._atransform_stream_with_config(inputs(), self._atransform, config):
            yield answer
