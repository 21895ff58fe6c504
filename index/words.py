"""Single words: how texts split into them, and their vectors, kept on disk per model."""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)
MERGE_AT = 16  # segment files: more than this and they are merged into one
MAX_WORDS = 2_000_000  # in memory; past it, words met at question time are not kept

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom whose why will with would you your yours yourself yourselves also may might must
    shall upon yet whether per via among amongst within without onto toward towards s t d ll m re
    ve y much many one ones get got say said
    kind type sort according article text mentioned mention describe described
    """.split()
)
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophes kept inside words."""
    return list(_cached(text))


def _split(text: str) -> tuple[str, ...]:
    return tuple(w.replace("’", "'") for w in _WORD.findall(text.lower()))


# the same passages come back question after question
_cached = functools.lru_cache(maxsize=1 << 15)(_split)


def vocabulary(texts: Iterable[str]) -> set[str]:
    """The distinct content words of texts (stopwords left out). Indexing calls it on every
    chunk once: it splits them without filling the cache that answering uses."""
    return {word for text in texts for word in _split(text) if word not in STOPWORDS}


class WordVectors:
    """Vectors of single words for the answerer's soft word matching, so that a question only
    looks up the words of its passages instead of encoding them.

    Indexing calls ``learn`` with the chunk texts: their new words are encoded and written to
    ``folder`` as one more segment file (atomically; several processes may write at once),
    and many segments are merged into one. Words are the same function of the model whatever
    the corpus, so one folder per model serves every store. Words met only when answering are
    encoded then and kept in memory. Vectors are kept as float16.
    """

    def __init__(self, folder: Path, encode: Callable[[list[str]], NDArray[np.float32]]) -> None:
        self.folder = folder
        self.encode = encode
        self._rows: dict[str, NDArray[np.float16]] = {}
        self._saved: set[str] = set()  # words in segment files
        self._loaded: set[str] = set()  # segment files read
        self._stamp: int | None = None  # the folder's mtime when last listed
        self._lock = threading.Lock()

    def vectors(self, asked: list[str]) -> NDArray[np.float32]:
        """One unit vector per word (a row each, in order)."""
        import numpy as np

        if not asked:
            return self.encode([])
        with self._lock:
            if any(word not in self._rows for word in asked):
                self._read_new_segments()
            found = {word: self._rows[word] for word in asked if word in self._rows}
        missing = [word for word in dict.fromkeys(asked) if word not in found]
        if missing:
            fresh = dict(zip(missing, self.encode(missing).astype(np.float16), strict=True))
            found.update(fresh)
            with self._lock:
                if len(self._rows) < MAX_WORDS:
                    self._rows.update(fresh)
        return np.stack([found[word] for word in asked]).astype(np.float32)

    def unknown(self, texts: Iterable[str]) -> list[str]:
        """The words of texts that learn would encode: neither saved nor met before."""
        with self._lock:
            self._read_new_segments()
            return sorted(vocabulary(texts) - self._saved - self._rows.keys())

    def learn(
        self, texts: Iterable[str], encoded: Mapping[str, NDArray[np.float32]] | None = None
    ) -> int:
        """Encode and save the words of texts not saved yet; returns how many were new.
        ``encoded`` holds vectors the caller has already computed (see ``unknown``)."""
        import numpy as np

        with self._lock:
            self._read_new_segments()
            new = sorted(vocabulary(texts) - self._saved)
            known = {word: self._rows[word] for word in new if word in self._rows}
        if not new:
            return 0
        given = encoded or {}
        known.update((word, given[word].astype(np.float16)) for word in new if word in given)
        todo = [word for word in new if word not in known]
        if todo:
            known.update(zip(todo, self.encode(todo).astype(np.float16), strict=True))
        vectors = np.stack([known[word] for word in new])
        with self._lock:
            self._rows.update(zip(new, vectors, strict=True))
        try:
            self._write(new, vectors)
            self._merge()
        except OSError as exc:  # a read-only cache: answering encodes these words instead
            log.warning("cannot save word vectors in %s: %s", self.folder, exc)
        return len(new)

    def _segments(self) -> list[Path]:
        return sorted(self.folder.glob("*.npz"))

    def _read_new_segments(self) -> None:
        """Read the segment files written since the last look (cheap when none were)."""
        import numpy as np

        try:
            stamp = self.folder.stat().st_mtime_ns
        except OSError:
            return
        if stamp == self._stamp:
            return
        self._stamp = stamp
        for path in self._segments():
            if path.name in self._loaded:
                continue
            try:
                with np.load(path) as data:
                    listed = bytes(data["words"]).decode("utf-8").split("\n")
                    vectors = data["vectors"]
            except (OSError, ValueError, KeyError) as exc:  # merged away meanwhile, or damaged
                log.debug("skipped word vectors %s: %s", path, exc)
                continue
            self._loaded.add(path.name)
            self._saved.update(listed)
            for word, row in zip(listed, vectors, strict=False):
                self._rows.setdefault(word, row)

    def _write(self, listed: list[str], vectors: NDArray[np.float16]) -> None:
        import numpy as np

        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.npz"
        temp = self.folder / f".{name}.tmp"
        try:
            with temp.open("wb") as handle:
                packed = np.frombuffer("\n".join(listed).encode("utf-8"), dtype=np.uint8)
                np.savez(handle, words=packed, vectors=vectors)
            os.replace(temp, self.folder / name)
        finally:
            temp.unlink(missing_ok=True)
        with self._lock:
            self._loaded.add(name)
            self._saved.update(listed)

    def _merge(self) -> None:
        """Past MERGE_AT segments: write every known word as one segment, then drop the
        segments it replaces (a reader that misses one finds the merged file)."""
        import numpy as np

        with self._lock:
            self._read_new_segments()
            merged = [path for path in self._segments() if path.name in self._loaded]
            if len(merged) <= MERGE_AT:
                return
            listed = list(self._rows)
            vectors = np.stack([self._rows[word] for word in listed])
        self._write(listed, vectors)
        for path in merged:
            path.unlink(missing_ok=True)
