"""The answer pipeline: search, candidate sentences, scoring and reading, then the answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qa.answer import Answer, strip_markers
from qa.candidate_vectors import CandidateVectors
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
        """The extractive answer: the best candidate sentences, cited, or a decline; with a
        history, the turn is read with the conversation first (see qa.turns)."""
        from qa.extractive import extract

        if history:
            from qa.turns import answer_turn

            return answer_turn(self, question, history)
        return extract(question, self.rank(question))

    def rank(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Ranking:
        """The search query and the candidate sentences, best first, with what scored them:
        with a history, of the reading the conversation step keeps (see qa.turns)."""
        if history:
            from qa.turns import read

            return read(self, question, history).ranking
        return self.rank_readings([question])[0]

    def rank_readings(
        self,
        readings: Sequence[str],
        previous_answers: Sequence[str] = (),
        drop_repeated: bool = True,
        searched: str = "",
    ) -> list[Ranking]:
        """Each reading of a question searched and ranked as a question of its own, encoded
        together. ``previous_answers`` mark the sentences already given; ``searched``, when
        given, is what the search looks for instead of each reading."""
        from qa.candidates import candidates
        from qa.ranking import score_candidates

        texts = list(dict.fromkeys([*readings, *([searched] if searched else [])]))
        if not self.library.is_open:  # cold: encode while the store opens, see _open_encoding
            encoded = self._open_encoding(texts)
        else:
            encoded = self.embedder.encode(texts)
        vectors = dict(zip(texts, encoded, strict=True))
        view = self.search.view()
        view.lexicon.learn([t for text in texts for t in question_terms(text)])  # in one read
        out = {}
        for text in dict.fromkeys(readings):
            query = searched or text
            found = candidates(self.search.search(query, vectors[query], view))
            ranking = score_candidates(
                text,
                query,
                found,
                vectors[text],
                self.vectors(found, window=False, generation=view.generation),
                self.vectors(found, window=True, generation=view.generation),
                view.lexicon,
                self.embedder.words.vectors,
                [strip_markers(answer) for answer in previous_answers],
                drop_repeated=drop_repeated,
            )
            out[text] = ranking.judged(self.read_pairs)
        return [out[text] for text in readings]

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
