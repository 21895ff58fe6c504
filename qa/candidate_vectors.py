"""Candidate sentences' vectors: those stored at indexing, else encoded now and cached."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa import candidates

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from index import Embedder
    from qa.candidates import Candidate

MAX_CACHED = 200_000


class CandidateVectors:
    """The sentence (or window) vectors of candidates; chunks indexed before vectors were
    stored get theirs encoded once per index generation."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int, int, str, str], NDArray[np.float32]] = {}

    def __call__(
        self, found: Sequence[Candidate], window: bool, generation: str
    ) -> NDArray[np.float32]:
        import numpy as np

        rows = [c.window_vector if window else c.vector for c in found]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            kind = "w" if window else "s"
            fresh = self._encoded(
                [
                    (found[i].source, found[i].start, found[i].end, kind, generation)
                    for i in missing
                ],
                [candidates.window(found[i]) if window else found[i].text for i in missing],
            )
            for i, row in zip(missing, fresh, strict=True):
                rows[i] = row
        present = [row for row in rows if row is not None]
        if not present:
            return np.zeros((0, self.embedder.dimension), np.float32)
        return np.stack(present)

    def _encoded(
        self, keys: Sequence[tuple[str, int, int, str, str]], texts: Sequence[str]
    ) -> list[NDArray[np.float32]]:
        with self._lock:
            known = {key: self._cache[key] for key in keys if key in self._cache}
        missing = [i for i, key in enumerate(keys) if key not in known]
        if missing:
            fresh = self.embedder.encode([texts[i] for i in missing])
            known.update((keys[i], row) for i, row in zip(missing, fresh, strict=True))
            with self._lock:
                if len(self._cache) > MAX_CACHED:
                    self._cache.clear()
                self._cache.update(known)
        return [known[key] for key in keys]
