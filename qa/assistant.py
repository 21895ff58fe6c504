"""The Assistant: the public entry point that wires store, retriever and answerer together."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answer import Answer, strip_markers
from qa.conversation import (
    normalise_history,
    referents,
    search_query,
)
from qa.errors import QAError, QuestionError, SourceError, StoreUnavailable
from qa.lexical import terms
from qa.settings import Settings

if TYPE_CHECKING:
    import numpy as np
    from langchain_core.runnables import Runnable
    from numpy.typing import NDArray

    from index import Embedder, IndexReport, SourceRecord, Store
    from index.indexer import ProgressFactory
    from qa.candidates import Candidate
    from qa.chain import HybridRetriever
    from qa.ranking import Ranking
    from qa.reading.cross import CrossEncoder
    from qa.retrieval import HybridSearch
    from qa.support import SupportCheck

BUNDLED_SOURCE = "article.txt"
_CONTROL = {c: " " for c in range(32) if chr(c) not in "\t\n"}
# terminal escape sequences (colours, window titles) pasted with a question
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def _valid_text(text: str) -> str:
    """Text that can be encoded: a lone surrogate (JSON allows them) becomes "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def bundled_article() -> Path:
    """The news article shipped with the package (indexed when the store is empty)."""
    return Path(str(resources.files("qa") / "data" / BUNDLED_SOURCE))


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Turn the index layer's errors into the assistant's own."""
    from index import DocumentError, IndexingError, StoreError

    try:
        yield
    except DocumentError as exc:
        raise SourceError(str(exc)) from exc
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from exc
    except IndexingError as exc:
        raise QAError(str(exc)) from exc


class Assistant:
    """Answers questions from the indexed documents, citing verbatim passages.

    ``Assistant()`` reads settings from ``QA_*`` variables; keyword arguments override them,
    e.g. ``Assistant(data_dir="/tmp/qa")``. Nothing heavy is loaded until the first call.
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings or Settings.from_env()
        self.settings = base.with_(**overrides) if overrides else base
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._embedder: Embedder | None = None
        self._retriever: HybridSearch | None = None
        self._vectors: dict[tuple[str, int, int, str, str], NDArray[np.float32]] = {}
        self._chain: Any = None
        self._runnable: Runnable[dict[str, Any], Answer] | None = None

    def __repr__(self) -> str:
        return f"Assistant({self.settings!r})"

    # wiring

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from index import Embedder

            self._embedder = Embedder(self.settings.model_path or None)
        return self._embedder

    @property
    def cross(self) -> CrossEncoder:
        """The cross-encoder that reads a question (or claim) with a passage."""
        from qa.reading.cross import load_cross

        return load_cross()

    @property
    def support(self) -> SupportCheck:
        """The check of an answer's sentences against the passages they cite."""
        from qa.support import SupportCheck

        embedder = self.embedder
        return SupportCheck(embedder.encode, embedder.words.vectors, self.cross.scores)

    def supported(self, question: str, claim: str) -> bool:
        """Whether a passage retrieved for the question supports the claim, as an LLM's answer
        sentence is checked (``qa eval`` on a claims file)."""
        from qa.generative import passages

        with _translated():
            shown = passages(self.rank(self.check_question(question)), self.source_text)
        return any(item.markers for item in self.support.check(claim, shown))

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                from index import open_store

                with _translated():
                    self._store = open_store(
                        self.settings.data_dir,
                        self.settings.chroma_url or None,
                        self.settings.collection,
                    )
                    if self.settings.bundled and not self._store.sources():
                        self._index([bundled_article()], None, False)
            return self._store

    @property
    def retriever(self) -> HybridSearch:
        with self._lock:
            if self._retriever is None:
                from qa.retrieval import HybridSearch

                self._retriever = HybridSearch(self.store, self.embedder, self.settings.top_k)
            return self._retriever

    def as_retriever(self) -> HybridRetriever:
        """The hybrid search as a LangChain retriever (chunks as Documents)."""
        from qa.chain import HybridRetriever

        return HybridRetriever(hybrid=self.retriever)

    # documents

    def index(
        self,
        paths: Iterable[str | Path],
        progress: ProgressFactory | None = None,
        force: bool = False,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        """Add or update documents (files or folders); unchanged files are skipped.

        Another process indexing into the same data folder makes this one wait for it
        (``on_wait`` is called first)."""
        from index import find_files

        paths = list(paths)
        with _translated():
            list(find_files(paths))  # a missing path fails before anything loads
        with self._lock:
            self.store  # noqa: B018 - opens the store (and indexes the bundled article)
            return self._index(paths, progress, force, on_wait)

    def _index(
        self,
        paths: Sequence[str | Path],
        progress: ProgressFactory | None,
        force: bool,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        from index import index_paths, write_lock

        assert self._store is not None
        with _translated():
            if self.settings.chroma_url:
                return index_paths(self._store, self.embedder, paths, progress, force)
            with write_lock(self.settings.data_dir, on_wait):  # the only writer: no grace
                report = index_paths(self._store, self.embedder, paths, progress, force, 0.0)
                self._record_sources(self._store)
                return report

    def rebuild(
        self,
        paths: Iterable[str | Path] = (),
        progress: ProgressFactory | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        """Recreate the index from the sources' files (those indexed before, plus ``paths``).

        The new index is built beside the old one and swapped in when complete: in collections
        beside this collection's (the folder's or server's other collections stay as they are),
        or, for a local folder that does not open (damaged, or from another Chroma version), in
        a new folder. Sources whose file is gone are reported as failed."""
        from index import check_collection_name, find_files

        with _translated():
            check_collection_name(self.settings.collection)  # before any folder is touched
            given = list(find_files(paths))  # (file, source name)
        with self._lock, _translated():
            known, opens = self._known_sources()
            files = {s: (Path(p), s) for s, p in known.items() if Path(p).is_file()}
            files.update((source, (path, source)) for path, source in given)
            missing = [
                (s, f"{s}: no file at {p} any more") for s, p in known.items() if s not in files
            ]
            if self.settings.chroma_url:
                report = self._rebuild_collections(list(files.values()), progress)
            else:
                from index import rebuild_folder, write_lock

                folder = self.settings.data_dir
                with write_lock(folder, on_wait):
                    if opens:  # this collection alone: others in the folder stay as they are
                        report = self._rebuild_collections(list(files.values()), progress)
                        self._record_sources(self.store)
                    else:  # a folder that does not open is recreated whole
                        self.close()
                        report = rebuild_folder(
                            folder,
                            lambda new: self._build(new.name, list(files.values()), progress),
                        )
            report.failed[:0] = missing
            return report

    def _known_sources(self) -> tuple[dict[str, str], bool]:
        """Source -> path of what is indexed: from the store if it opens, else from the record
        kept beside it; and whether it opened."""
        from index import recorded_sources

        try:
            return {r.source: r.path for r in self.store.sources()}, True
        except StoreUnavailable:
            self.close()
            return recorded_sources(self.settings.data_dir, self.settings.collection), False

    def _record_sources(self, store: Store) -> None:
        from index import record_sources

        record_sources(self.settings.data_dir, store.sources(), self.settings.collection)

    def _build(
        self, folder_name: str, files: Sequence[tuple[Path, str]], progress: ProgressFactory | None
    ) -> IndexReport:
        from index import Store, index_files, open_client

        client = open_client(self.settings.data_dir, folder_name=folder_name)
        store = Store(client, self.settings.collection)
        try:
            report = index_files(store, self.embedder, files, progress, True, 0.0)
            self._record_sources(store)
            return report
        finally:
            store.close()

    def _rebuild_collections(
        self, files: Sequence[tuple[Path, str]], progress: ProgressFactory | None
    ) -> IndexReport:
        """Index every source into new collections beside the live ones, then swap them in."""
        from index import Store, index_files, rebuild_collections

        store = self.store

        def build(name: str) -> IndexReport:
            aside = Store(store.client, name, url=store.url)
            return index_files(aside, self.embedder, files, progress, True, 0.0)

        before = store.generation()
        report = rebuild_collections(
            store.client, store.name, build, lambda: store.generation() == before
        )
        self.close()  # the next call opens the swapped-in collections
        return report

    def close(self) -> None:
        """Release the store; the next call opens it again."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None
            self._retriever = None

    def sources(self) -> list[SourceRecord]:
        with _translated():
            return self.store.sources()

    def source_text(self, source: str) -> str:
        """The full text a source's citations point into."""
        with _translated():
            return self.store.source_text(source)

    def remove(self, source: str) -> None:
        """Drop a source and its chunks from the index."""
        from index import write_lock

        local = not self.settings.chroma_url
        # locally, a rebuild running meanwhile would bring the source back
        held = write_lock(self.settings.data_dir) if local else contextlib.nullcontext()
        with _translated(), held:
            if not self.store.remove(source):
                known = ", ".join(r.source for r in self.store.sources()) or "none"
                raise SourceError(f"No source named '{source}' is indexed (indexed: {known})")
            if local:
                self._record_sources(self.store)

    # questions

    def check_question(self, question: object) -> str:
        """The question, cleaned of terminal escapes and control characters; QuestionError
        when unusable."""
        if not isinstance(question, str):
            raise QuestionError("The question must be text")
        cleaned = _ESCAPES.sub(" ", _valid_text(question)).translate(_CONTROL).strip()
        if not cleaned:
            raise QuestionError("The question is empty: type a question about the documents")
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            raise QuestionError(
                f"The question is too long ({len(cleaned)} characters; the limit is {limit})"
            )
        return cleaned

    def _prepare(
        self, question: str, history: Sequence[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]]]:
        """The checked question and history; QuestionError when either is unusable."""
        cleaned = self.check_question(question)
        try:
            turns = normalise_history(history)
            return cleaned, [(_valid_text(q), _valid_text(a)) for q, a in turns]
        except TypeError as exc:
            raise QuestionError(str(exc)) from None

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer one question; ``history`` holds the earlier (question, answer) pairs."""
        cleaned, turns = self._prepare(question, history)
        if self.settings.llm != "none":
            *_partial, answer = self._generate(cleaned, turns)
            return answer
        with _translated():
            return self._answer(cleaned, turns)

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[Answer]:
        """Yield the answer as it grows, word by word (token by token from an LLM); the last
        item is the complete Answer."""
        if self.settings.llm != "none":
            yield from self._generate(*self._prepare(question, history))
            return
        answer = self.ask(question, history)
        words = answer.text.split(" ")
        for i in range(1, len(words)):
            yield Answer(
                text=" ".join(words[:i]),
                answered=answer.answered,
                question=answer.question,
                search_query=answer.search_query,
                backend=answer.backend,
            )
        yield answer

    def _generate(self, question: str, history: list[tuple[str, str]]) -> Iterator[Answer]:
        """The LLM's answer as it streams, verified at the end (qa.generative)."""
        from qa.generative import GenerativeAnswerer, Sources
        from qa.llm import chat_model, describe

        with self._lock:
            if self._chain is None:
                from qa.extractive import confidence

                sources = Sources(
                    self.rank,
                    self.source_text,
                    self.support,
                    confidence,
                    lambda q, h: self._answer(q, list(h)),
                )
                self._chain = GenerativeAnswerer(
                    chat_model(self.settings),
                    sources,
                    describe(self.settings),
                    self.settings.llm_timeout,
                    self.settings.llm_judge,
                )
            answerer: GenerativeAnswerer = self._chain
        with _translated():
            yield from answerer.stream(question, history)

    def _answer(self, question: str, history: list[tuple[str, str]]) -> Answer:
        from qa.extractive import extract

        return extract((question, self.rank(question, history)))

    def as_runnable(self) -> Runnable[dict[str, Any], Answer]:
        """The extractive answerer as a LangChain chain, ``{"question", "history"} -> Answer``."""
        with self._lock:
            if self._runnable is None:
                from qa.chain import answer_chain

                self._runnable = answer_chain(self)
            return self._runnable

    def rank(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Ranking:
        """The search query and the candidate sentences, best first, with what scored them."""
        from qa.candidates import candidates
        from qa.ranking import score_candidates

        query = search_query(question, history)
        texts = list(dict.fromkeys([question, query]))
        if self._retriever is None:  # cold: encode while the store opens, see _open_encoding
            retriever, encoded = self._open_encoding(texts)
        else:
            retriever, encoded = self._retriever, self.embedder.encode(texts)
        vectors = dict(zip(texts, encoded, strict=True))
        corpus = retriever.corpus()
        hits = retriever.search(query, vectors[query], corpus)
        found = candidates(hits)
        sentence_vectors = self._candidate_vectors(
            found, window=False, generation=corpus.generation
        )
        window_vectors = self._candidate_vectors(found, window=True, generation=corpus.generation)
        previous = [strip_markers(answer) for _q, answer in history]

        def score(asked: str) -> Ranking:
            return score_candidates(
                asked,
                query,
                found,
                vectors[asked],
                sentence_vectors,
                window_vectors,
                corpus.bm25,
                self.embedder.words.vectors,
                previous,
            )

        ranking = score(question)
        pointed = referents(question, history)
        if pointed:
            # "How did they react?": the answer is about whom "they" points at
            ranking = ranking.restricted(lambda c: bool(pointed & set(terms(c.context))))
        return ranking.judged(self.cross.scores)

    def _open_encoding(self, texts: list[str]) -> tuple[HybridSearch, NDArray[np.float32]]:
        """Open the store and encode texts at once: the encoder loads and runs without the
        GIL while chromadb is imported (a second of a cold `qa ask`). Only for the first
        question: a thread costs a warm one 2 ms."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="qa-encode") as pool:
            encoded = pool.submit(self.embedder.encode, texts)
            retriever = self.retriever
            return retriever, encoded.result()

    def _candidate_vectors(
        self, found: Sequence[Candidate], window: bool, generation: str
    ) -> NDArray[np.float32]:
        """The candidates' sentence (or window) vectors: those stored at indexing, and for
        chunks indexed before vectors were stored, encoded now (cached)."""
        import numpy as np

        from qa import candidates

        rows = [c.window_vector if window else c.vector for c in found]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            kind = "w" if window else "s"
            fresh = self._text_vectors(
                [(found[i].source, found[i].start, found[i].end, kind) for i in missing],
                [candidates.window(found[i]) if window else found[i].text for i in missing],
                generation,
            )
            for i, row in zip(missing, fresh, strict=True):
                rows[i] = row
        present = [row for row in rows if row is not None]
        if not present:
            return np.zeros((0, self.embedder.dimension), np.float32)
        return np.stack(present)

    def _text_vectors(
        self, keys: Sequence[tuple[str, int, int, str]], texts: Sequence[str], generation: str
    ) -> NDArray[np.float32]:
        """Embeddings of candidate sentences, cached per index generation."""
        import numpy as np

        full = [(*key, generation) for key in keys]
        with self._lock:
            known = {key: self._vectors[key] for key in full if key in self._vectors}
        missing = [i for i, key in enumerate(full) if key not in known]
        if missing:
            fresh = self.embedder.encode([texts[i] for i in missing])
            known.update((full[i], row) for i, row in zip(missing, fresh, strict=True))
            with self._lock:
                if len(self._vectors) > 200_000:
                    self._vectors.clear()
                self._vectors.update(known)
        if not full:
            return np.zeros((0, self.embedder.dimension), np.float32)
        return np.stack([known[key] for key in full])
