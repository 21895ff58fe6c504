"""LangChain's own standard suites (langchain-tests) against the retriever and the embedder,
over a real store of the bundled article in a temp folder and the real bundled model."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import (
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
)

from index import Embedder
from qa import Assistant
from qa.chain import HybridRetriever

# the suites' async tests run under anyio's pytest plugin (sync tests are left alone by it)
pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """asyncio only, whatever else is installed: the retriever and embedder use threads."""
    return "asyncio"


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    assistant: Assistant

    @pytest.fixture(autouse=True)
    def _store(self, request: pytest.FixtureRequest, article_assistant: Assistant) -> None:
        """The suite builds its retrievers from properties: they read this shared store."""
        request.cls.assistant = article_assistant

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"hybrid": self.assistant.pipeline.search}

    @property
    def retriever_query_example(self) -> str:
        return "Which leaders did Putin call?"


class TestEmbedderStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embedder]:
        return Embedder  # the bundled all-MiniLM-L6-v2, from the run's temp cache

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {}
