"""The composition root: settings in, an Assistant with every part wired out."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from langchain_core.language_models import BaseChatModel
    from numpy.typing import NDArray

    from index import Embedder
    from qa.assistant import Assistant
    from qa.reading.cross import PairReader

BUNDLED_SOURCE = "article.txt"


def bundled_article() -> Path:
    """The news article shipped with the package (indexed when the store is empty)."""
    return Path(str(resources.files("qa") / "data" / BUNDLED_SOURCE))


def build_assistant(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    read_pairs: PairReader | None = None,
    chat_model: BaseChatModel | None = None,
    **overrides: Any,
) -> Assistant:
    """An Assistant on ``settings`` (default: from ``QA_*`` variables), with ``overrides`` of
    its fields, e.g. ``build_assistant(data_dir="/tmp/qa")``.

    The parts can be passed in: an ``embedder`` to share between assistants, a cross-encoder's
    ``read_pairs``, a LangChain ``chat_model`` to answer with instead of the one ``settings.llm``
    names. Nothing heavy is loaded until the first question.
    """
    from index import Embedder
    from index.library import Library
    from qa.assistant import Assistant
    from qa.pipeline import Pipeline
    from qa.retrieval import HybridSearch
    from qa.support import SupportCheck

    settings = settings or Settings.from_env()
    if overrides:
        settings = settings.with_(**overrides)
    embedder = embedder or Embedder(settings.model_path or None)
    read_pairs = read_pairs or _bundled_cross
    seed = [bundled_article()] if settings.bundled else []
    library = Library(settings.data_dir, embedder, settings.chroma_url, settings.collection, seed)
    search = HybridSearch(library, embedder, settings.top_k)
    pipeline = Pipeline(library, search, embedder, read_pairs)
    support = SupportCheck(embedder.encode, lambda words: embedder.words.vectors(words), read_pairs)
    generative = None
    if settings.llm != "none" or chat_model is not None:
        from qa.extractive import confidence
        from qa.generative import GenerativeAnswerer, Sources
        from qa.llm import chat_model as named_model
        from qa.llm import describe

        sources = Sources(pipeline.rank, library.source_text, support, confidence, pipeline.answer)
        generative = GenerativeAnswerer(
            chat_model or named_model(settings),
            sources,
            describe(settings) if chat_model is None else type(chat_model).__name__,
            settings.llm_timeout,
            settings.llm_judge,
        )
    return Assistant(settings, library, pipeline, support, generative)


def _bundled_cross(pairs: Sequence[tuple[str, str]]) -> NDArray[np.float32]:
    """The bundled cross-encoder's logits, loading it on first use."""
    from qa.reading.cross import load_cross

    return load_cross().scores(pairs)
