"""Single words: how texts split into them, and their vectors, kept on disk per model."""

from __future__ import annotations

import functools
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from index.shared_sqlite import open_shared, transaction

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)
WORDS_FILE = "words.sqlite3"
MEMORY_WORDS = 20_000  # words kept in memory once looked up or encoded (about 20 MB)
_BATCH = 20_000  # words a lookup asks for at once

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
    an SQLite file in ``folder`` (several processes may write at once). Answering looks up
    the words it needs there, so no process holds the vectors of a whole corpus's words.
    Words are the same function of the model whatever the corpus, so one folder per model
    serves every store. Words met only when answering are encoded then; up to MEMORY_WORDS
    words are kept in memory. Vectors are kept as float16. A folder that cannot be written
    costs encoding only.
    """

    def __init__(self, folder: Path, encode: Callable[[list[str]], NDArray[np.float32]]) -> None:
        self.folder = folder
        self.encode = encode
        self._rows: dict[str, NDArray[np.float16]] = {}  # looked up or encoded, kept
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            db = open_shared(folder / WORDS_FILE)
            db.execute(
                "CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, vector BLOB NOT NULL) "
                "WITHOUT ROWID"
            )
            self._db = db
            self._import_segments()
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot keep word vectors in %s: %s", folder, exc)

    def vectors(self, asked: list[str]) -> NDArray[np.float32]:
        """One unit vector per word (a row each, in order)."""
        import numpy as np

        if not asked:
            return self.encode([])
        with self._lock:
            found = {word: self._rows[word] for word in asked if word in self._rows}
        unread = [word for word in dict.fromkeys(asked) if word not in found]
        if unread:
            found.update(self._saved(unread))
        missing = [word for word in unread if word not in found]
        if missing:
            found.update(zip(missing, self.encode(missing).astype(np.float16), strict=True))
        with self._lock:
            self._keep((word, found[word]) for word in unread)
        return np.stack([found[word] for word in asked]).astype(np.float32)

    def unknown(self, texts: Iterable[str]) -> list[str]:
        """The words of texts that learn would encode: neither saved nor met before."""
        asked = vocabulary(texts)
        with self._lock:
            asked -= self._rows.keys()
        return sorted(asked - self._saved(sorted(asked)).keys())

    def learn(
        self, texts: Iterable[str], encoded: Mapping[str, NDArray[np.float32]] | None = None
    ) -> int:
        """Encode and save the words of texts not saved yet; returns how many were new.
        ``encoded`` holds vectors the caller has already computed (see ``unknown``)."""
        import numpy as np

        asked = sorted(vocabulary(texts))
        saved = self._saved(asked, vectors=False)
        new = [word for word in asked if word not in saved]
        if not new:
            return 0
        given = encoded or {}
        with self._lock:
            known = {word: self._rows[word] for word in new if word in self._rows}
        known.update((word, given[word].astype(np.float16)) for word in new if word in given)
        todo = [word for word in new if word not in known]
        if todo:
            known.update(zip(todo, self.encode(todo).astype(np.float16), strict=True))
        rows = [(word, known[word].astype("<f2").tobytes()) for word in new]
        with self._lock:
            try:
                if self._db is not None:
                    self._insert(rows)
                    return len(new)
            except sqlite3.Error as exc:
                log.warning("cannot save word vectors in %s: %s", self.folder, exc)
            self._keep((word, known[word]) for word in new)  # unsaved: kept while there is room
        return len(new)

    def _insert(self, rows: list[tuple[str, bytes]]) -> None:
        """Save (word, float16 bytes) rows in one transaction (under the lock)."""
        assert self._db is not None
        with transaction(self._db) as db:
            db.executemany("INSERT OR IGNORE INTO words VALUES (?, ?)", rows)

    def _keep(self, pairs: Iterable[tuple[str, NDArray[np.float16]]]) -> None:
        """Keep these words' vectors in memory, up to MEMORY_WORDS words (under the lock)."""
        for word, row in pairs:
            if len(self._rows) >= MEMORY_WORDS:
                break
            self._rows[word] = row

    def _saved(self, asked: list[str], vectors: bool = True) -> dict[str, NDArray[np.float16]]:
        """The saved vectors of these words (those saved); with ``vectors`` False, the words
        alone, each mapped to an empty row."""
        import numpy as np

        column = "vector" if vectors else "x''"
        found = []
        with self._lock:
            if self._db is None:
                return {}
            for at in range(0, len(asked), _BATCH):
                found += self._db.execute(
                    f"SELECT word, {column} FROM words "
                    "WHERE word IN (SELECT value FROM json_each(?))",
                    (json.dumps(asked[at : at + _BATCH]),),
                ).fetchall()
        return {str(word): np.frombuffer(blob, dtype="<f2") for word, blob in found}

    def _import_segments(self) -> None:
        """Move the segment files an older qa wrote (``*.npz``) into the word file."""
        import numpy as np

        assert self._db is not None
        for path in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(path) as data:
                    listed = bytes(data["words"]).decode("utf-8").split("\n")
                    vectors = np.asarray(data["vectors"], dtype="<f2")
            except (OSError, ValueError, KeyError) as exc:  # imported meanwhile, or damaged
                log.debug("skipped word vectors %s: %s", path, exc)
                continue
            rows = [(w, row.tobytes()) for w, row in zip(listed, vectors, strict=False)]
            self._insert(rows)
            path.unlink(missing_ok=True)
