"""The Assistant: the public facade over the parts ``qa.build_assistant`` wires together."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.answer import Answer
from qa.errors import SourceError, translated
from qa.questions import check_question, check_turn
from qa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable

    from index import Embedder, IndexReport, SourceRecord, Store
    from index.indexer import ProgressFactory
    from index.library import Library
    from qa.chain import HybridRetriever
    from qa.generative import GenerativeAnswerer
    from qa.pipeline import Pipeline
    from qa.ranking import Ranking
    from qa.support import SupportCheck
    from qa.uploads import UploadResult


class Assistant:
    """Answers questions from the indexed documents, citing verbatim passages.

    Made by ``qa.build_assistant()``, which reads the settings and builds the parts; the
    assistant itself reads no environment. Nothing heavy is loaded until the first call.
    """

    def __init__(
        self,
        settings: Settings,
        library: Library,
        pipeline: Pipeline,
        support: SupportCheck,
        generative: GenerativeAnswerer | None = None,
    ) -> None:
        self.settings = settings
        self.library = library
        self.pipeline = pipeline
        self.support = support
        self.generative = generative
        self._runnable: Runnable[dict[str, Any], Answer] | None = None

    def __repr__(self) -> str:
        return f"Assistant({self.settings!r})"

    @property
    def embedder(self) -> Embedder:
        """The embedding model the store and search use; also a LangChain ``Embeddings``
        (``isinstance`` holds once this is read)."""
        from index.embedding import register_with_langchain

        register_with_langchain()
        return self.pipeline.embedder

    @property
    def store(self) -> Store:
        with translated():
            return self.library.store

    def as_retriever(self, k: int | None = None) -> HybridRetriever:
        """The hybrid search as a LangChain retriever: the best ``k`` chunks as Documents
        (default ``settings.top_k``; ``invoke(query, k=...)`` overrides it per call)."""
        from qa.chain import HybridRetriever, checked_k

        k = self.settings.top_k if k is None else checked_k(k)
        return HybridRetriever(hybrid=self.pipeline.search, k=k)

    def as_runnable(self) -> Runnable[dict[str, Any], Answer]:
        """The answerer as a LangChain Runnable, ``{"question", "history"} -> Answer``:
        ``invoke`` and ``batch`` give what ``ask`` gives, ``stream`` and ``astream`` the
        answers ``stream`` yields (an LLM's growing answer, then the verified one)."""
        if self._runnable is None:
            from qa.chain import AnswerRunnable

            self._runnable = AnswerRunnable(self.stream)
        return self._runnable

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
        with translated():
            return self.library.index(paths, progress, force, on_wait)

    def add_files(self, files: Sequence[tuple[str, bytes]]) -> list[UploadResult]:
        """Index uploaded files, given as (file name, bytes): one result per file, in order.
        A file that cannot be read fails alone; UploadRefused when uploads are off or the
        upload holds more files than ``settings.max_upload_files``."""
        from qa.uploads import check_uploads, results

        refused = check_uploads(self.settings, files)
        kept = [file for at, file in enumerate(files) if at not in refused]
        with translated():
            report = self.library.add(kept)
            chunks = {r.source: r.chunks for r in self.library.sources()}
        return results(files, refused, report, chunks)

    def rebuild(
        self,
        paths: Iterable[str | Path] = (),
        progress: ProgressFactory | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        """Recreate the index from the sources' files (those indexed before, plus ``paths``),
        swapping it in only once complete (see ``index.library.Library.rebuild``)."""
        with translated():
            return self.library.rebuild(paths, progress, on_wait)

    def close(self) -> None:
        """Release the store; the next call opens it again."""
        self.library.close()

    def sources(self) -> list[SourceRecord]:
        with translated():
            return self.library.sources()

    def source_text(self, source: str) -> str:
        """The full text a source's citations point into."""
        with translated():
            return self.library.source_text(source)

    def remove(self, source: str) -> None:
        """Drop a source and its chunks from the index."""
        with translated():
            if not self.library.remove(source):
                known = ", ".join(r.source for r in self.library.sources()) or "none"
                raise SourceError(f"No source named '{source}' is indexed (indexed: {known})")

    # questions

    def check_question(self, question: object) -> str:
        """The question, cleaned of terminal escapes and control characters; QuestionError
        when unusable."""
        return check_question(question, self.settings.max_question_chars)

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer one question; ``history`` holds the earlier (question, answer) pairs."""
        *_partial, answer = self.stream(question, history)
        return answer

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[Answer]:
        """Yield the answer as it arrives: an LLM's answer token by token, then verified; the
        extractive answer at once. The last item is the complete Answer."""
        cleaned, turns = check_turn(question, history, self.settings.max_question_chars)
        with translated():
            if self.generative is not None:
                yield from self.generative.stream(cleaned, turns)
            else:
                yield self.pipeline.answer(cleaned, turns)

    def warm(self) -> None:
        """Open the store and load the models and the lexical index, without asking an LLM:
        a server does this before its first visitor. What is loaded by then lives as long as
        the process: it is left out of the garbage collector's later passes, which would
        otherwise walk it all again every few questions."""
        with translated():
            self.pipeline.answer("warm up")
        gc.freeze()

    def rank(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Ranking:
        """The search query and the candidate sentences, best first, with what scored them."""
        with translated():
            return self.pipeline.rank(question, history)

    def supported(self, question: str, claim: str) -> bool:
        """Whether a passage retrieved for the question supports the claim, as an LLM's answer
        sentence is checked (``qa eval`` on a claims file)."""
        from qa.generative import passages

        with translated():
            shown = passages(self.rank(self.check_question(question)), self.library.source_text)
        return any(item.markers for item in self.support.check(claim, shown))
