"""The assistant as LangChain parts: a BaseRetriever and a Runnable chain.

Imported only when asked for (``Assistant.as_retriever()``, ``Assistant.as_runnable()``):
``langchain_core.runnables`` takes about a second to import, which ``qa ask`` does without.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from qa.answer import Answer
from qa.extractive import extract

if TYPE_CHECKING:
    from qa.ranking import Ranking


class HybridRetriever(BaseRetriever):
    """``qa.retrieval.HybridSearch`` as a LangChain retriever: the best chunks as Documents
    whose metadata holds their source and character offsets."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: Any

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=chunk.text,
                id=chunk.id,
                metadata={
                    "source": chunk.source,
                    "start": chunk.start,
                    "end": chunk.end,
                    "sentences": chunk.sentences,
                    "fused": fused,
                    "similarity": sim,
                },
            )
            for chunk, fused, sim in self.hybrid.search(query)
        ]


def answer_chain(
    rank: Callable[[str, Sequence[tuple[str, str]]], Ranking],
) -> Runnable[dict[str, Any], Answer]:
    """``{"question", "history"} -> Answer``: retrieve and rank the candidate sentences, then
    answer from them or decline; the same steps ``Assistant.ask`` takes."""
    retrieve: Runnable[dict[str, Any], tuple[str, Any]] = RunnableLambda(
        lambda asked: (asked["question"], rank(asked["question"], asked["history"])),
        name="retrieve",
    )
    return (retrieve | RunnableLambda(extract, name="extract")).with_config(run_name="qa")
