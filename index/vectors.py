"""Sentence vectors kept with their chunk: float16 rows packed as base64 for Chroma metadata."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

METADATA_KEY = "sentence_vectors"


def pack(rows: NDArray[np.float32]) -> str:
    """A (sentences, dim) matrix as base64 of its float16 values (1,024 characters a row at
    384 dimensions)."""
    import numpy as np

    return base64.b64encode(np.ascontiguousarray(rows, dtype="<f2").tobytes()).decode("ascii")


def unpack(packed: bytes | str, rows: int) -> NDArray[np.float32] | None:
    """The (rows, dim) float32 matrix of pack's output (or of its decoded bytes); None when
    there is none or it does not split into ``rows`` rows."""
    import numpy as np

    raw = base64.b64decode(packed) if isinstance(packed, str) else packed
    if not raw or rows <= 0 or len(raw) % (2 * rows):
        return None
    return np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(rows, -1)


def unit(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    import numpy as np

    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def windows(sentences: NDArray[np.float32]) -> NDArray[np.float32]:
    """Each sentence read with the one before it (the first alone): the normalised sum of the
    two vectors, standing in for the vector of the two sentences' joined text."""
    summed = sentences.copy()
    summed[1:] += sentences[:-1]
    return unit(summed)


def split_rows(rows: NDArray[np.float32], sizes: Sequence[int]) -> list[NDArray[np.float32]]:
    """rows cut into consecutive blocks of the given sizes."""
    out, at = [], 0
    for size in sizes:
        out.append(rows[at : at + size])
        at += size
    return out
