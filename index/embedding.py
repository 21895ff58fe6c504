"""Sentence vectors from the bundled all-MiniLM-L6-v2: ONNX Runtime, else sentence-transformers."""

from __future__ import annotations

import functools
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from index.errors import IndexingError
from index.model_files import bundled_model_path, load_model

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from index.onnx_encoder import ModelSpec, OnnxEncoder
    from index.words import WordVectors

Engine = Literal["auto", "onnx", "torch"]
log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_LANGCHAIN_EMBEDDINGS = "langchain_core.embeddings.embeddings"
_registered = False


@functools.lru_cache(maxsize=4)
def _spec(model_path: str) -> ModelSpec | None:
    from index.onnx_encoder import model_spec

    return model_spec(Path(model_path))


def load_onnx(model_path: str, cache_dir: Path | None, export: bool = True) -> OnnxEncoder | None:
    """The ONNX encoder of a model folder, exported first if need be; None when unavailable."""
    from index import onnx_encoder

    model_dir = Path(model_path)
    spec = _spec(model_path)
    if spec is None:
        return None
    try:
        target = onnx_encoder.onnx_file(model_dir, cache_dir)
        made = target.is_file() or (export and onnx_encoder.export_in_child(model_dir, target))
        if not made:
            return None
        return onnx_encoder.OnnxEncoder(target, model_dir, spec)
    except Exception as exc:  # a broken export or runtime: sentence-transformers still answers
        log.warning("ONNX encoder unavailable for %s: %s", model_dir, exc)
        return None


class Embedder:
    """Unit-length vectors from a local sentence-transformers model, and a LangChain
    ``Embeddings`` (``embed_documents``, ``embed_query`` and their async forms) that LangChain
    vector stores take as it is.

    It is registered as a virtual subclass of ``Embeddings`` (``isinstance`` holds) rather than
    inheriting from it: importing ``langchain_core.embeddings.Embeddings`` pulls in
    ``langchain_core.runnables``, which would triple the time ``import qa`` takes and slow
    ``qa ask``. The registration happens once LangChain's class is loaded (see
    ``register_with_langchain``).

    ``engine="auto"`` runs the model through ONNX Runtime, exporting it once into
    ``cache_dir`` (a child process with torch does it), and falls back to
    sentence-transformers when that is impossible; "onnx" requires ONNX Runtime and "torch"
    always uses sentence-transformers. Either way the vectors agree to 1e-5.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        engine: Engine = "auto",
        cache_dir: str | Path | None = None,
    ) -> None:
        if engine not in ("auto", "onnx", "torch"):
            raise IndexingError(f"Unknown embedding engine {engine!r}: use auto, onnx or torch")
        self.model_path = str(model_path or bundled_model_path())
        self.batch_size = batch_size
        self.engine: Engine = engine
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._onnx: OnnxEncoder | None = None
        self._resolved = engine == "torch"
        self._words: WordVectors | None = None
        if _LANGCHAIN_EMBEDDINGS in sys.modules:  # already paid for: register at no cost
            register_with_langchain()

    @property
    def model(self) -> Any:
        """The sentence-transformers model (imports torch)."""
        with _LOCK:
            return load_model(self.model_path)

    @property
    def onnx(self) -> OnnxEncoder | None:
        """The ONNX Runtime encoder in use, or None when sentence-transformers is."""
        if not self._resolved:
            with _LOCK:
                if not self._resolved:
                    self._onnx = load_onnx(self.model_path, self.cache_dir)
                    self._resolved = True
            if self._onnx is None and self.engine == "onnx":
                raise IndexingError(
                    f"No ONNX export of {self.model_path}: "
                    "run `python -m index.onnx_encoder` where torch is installed"
                )
        return self._onnx

    @property
    def words(self) -> WordVectors:
        """Single-word vectors, saved beside the model's ONNX export in the cache folder."""
        if self._words is None:
            encoder = self._onnx  # when loaded, its path is onnx_file's: no second fingerprint
            with _LOCK:
                if self._words is None:
                    from index.onnx_encoder import onnx_file
                    from index.words import WordVectors

                    export = (
                        encoder.path
                        if encoder is not None
                        else onnx_file(Path(self.model_path), self.cache_dir)
                    )
                    self._words = WordVectors(export.parent / "words", self.encode)
        return self._words

    @property
    def backend(self) -> str:
        """Which engine computes the vectors: "onnx" or "sentence-transformers"."""
        return "onnx" if self.onnx is not None else "sentence-transformers"

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """Embed texts as a (len(texts), dim) array of unit vectors."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encoder = self.onnx
        if encoder is not None:
            return encoder.encode(list(texts), self.batch_size)
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
        spec = _spec(self.model_path)
        if spec is not None:
            return spec.dimension
        return int(self.model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self.encode(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """``embed_documents`` in a worker thread (the context copied, as LangChain does)."""
        import asyncio

        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        import asyncio

        return await asyncio.to_thread(self.embed_query, text)


def register_with_langchain() -> None:
    """Make ``Embedder`` a virtual subclass of LangChain's ``Embeddings``, importing it: the
    LangChain parts (``qa.chain``, ``Assistant.embedder``) call this; an Embedder made after
    LangChain's class is loaded calls it itself."""
    global _registered
    if not _registered:
        from langchain_core.embeddings import Embeddings

        Embeddings.register(Embedder)
        _registered = True
