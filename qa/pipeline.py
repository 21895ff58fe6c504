"""The answer pipeline: search, candidate sentences, scoring and reading, then the answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.answer import Answer, strip_markers
from qa.candidate_vectors import CandidateVectors
from qa.conversation import referents, search_query
from qa.lexical import stem, terms, words

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from index import Embedder
    from index.library import Library
    from qa.ranking import Ranking
    from qa.reading.cross import PairReader
    from qa.retrieval import HybridSearch


class Pipeline:
    """Ranks the candidate sentences for a question and answers from them (or declines)."""

    def __init__(
        self, library: Library, search: HybridSearch, embedder: Embedder, read_pairs: PairReader
    ) -> None:
        self.library = library
        self.search = search
        self.embedder = embedder
        self.read_pairs = read_pairs
        self.vectors = CandidateVectors(embedder)

    def answer(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """The extractive answer: the best candidate sentences, cited, or a decline."""
        from qa.extractive import extract

        return extract(question, self.rank(question, history))

    def rank(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Ranking:
        """The search query and the candidate sentences, best first, with what scored them."""
        from qa.candidates import candidates
        from qa.ranking import score_candidates

        query = search_query(question, history)
        texts = list(dict.fromkeys([question, query]))
        if not self.library.is_open:  # cold: encode while the store opens, see _open_encoding
            encoded = self._open_encoding(texts)
        else:
            encoded = self.embedder.encode(texts)
        vectors = dict(zip(texts, encoded, strict=True))
        view = self.search.view()
        found = candidates(self.search.search(query, vectors[query], view))
        view.lexicon.learn(question_terms(question))  # what the readers look up, in one read
        ranking = score_candidates(
            question,
            query,
            found,
            vectors[question],
            self.vectors(found, window=False, generation=view.generation),
            self.vectors(found, window=True, generation=view.generation),
            view.lexicon,
            self.embedder.words.vectors,
            [strip_markers(answer) for _q, answer in history],
        )
        pointed = referents(question, history)
        if pointed:
            # "How did they react?": the answer is about whom "they" points at
            ranking = ranking.restricted(lambda c: bool(pointed & set(terms(c.context))))
        return ranking.judged(self.read_pairs)

    def _open_encoding(self, texts: list[str]) -> NDArray[np.float32]:
        """Open the store and encode texts at once: the encoder loads and runs without the
        GIL while chromadb is imported (a second of a cold `qa ask`). Only for the first
        question: a thread costs a warm one 2 ms."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="qa-encode") as pool:
            encoded = pool.submit(self.embedder.encode, texts)
            self.library.store  # noqa: B018 - opens the store meanwhile
            return encoded.result()


def question_terms(question: str) -> list[str]:
    """The terms and words of a question, as the readers look them up in the lexicon."""
    said = words(question)
    return [*terms(question), *said, *(stem(word) for word in said)]
