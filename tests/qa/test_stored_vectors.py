"""The answerer reads the sentence vectors stored at indexing, and still answers from an index
written before they were stored (it encodes the sentences when asked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from index import Store, chunk_text, load_document, open_client
from qa import build_assistant, bundled_article

HEADLINE = "Which leaders did Putin call?"
CITED = ("article.txt", 743, 889)


def test_a_fresh_index_ranks_every_candidate_by_its_stored_vectors(article_assistant: Any) -> None:
    ranking = article_assistant.rank(HEADLINE)
    assert ranking.ranked
    question = article_assistant.embedder.encode([HEADLINE])[0]
    for candidate in ranking.ranked:
        assert candidate.vector is not None and candidate.window_vector is not None
        assert abs(candidate.feature("dense") - float(candidate.vector @ question)) < 1e-5
        fresh = article_assistant.embedder.encode([candidate.text])[0]
        assert float(fresh @ candidate.vector) > 0.999


def test_an_index_written_before_sentence_vectors_still_answers(
    tmp_path: Path, embedder: Any
) -> None:
    data = tmp_path / "old"
    document = load_document(bundled_article(), "article.txt")
    chunks = chunk_text(document.text)
    store = Store(open_client(data))
    store.write(document, chunks, embedder.embed_documents([c.text for c in chunks]), False)
    store.close()  # as the indexer did before: chunk vectors only
    assistant = build_assistant(data_dir=data, bundled=False)
    ranking = assistant.rank(HEADLINE)
    assert ranking.ranked and all(c.vector is None for c in ranking.ranked)
    answer = assistant.ask(HEADLINE)
    assert answer.answered
    assert (answer.citations[0].source, answer.citations[0].start, answer.citations[0].end) == CITED
    fresh = build_assistant(data_dir=tmp_path / "new").ask(HEADLINE)
    assert answer.text == fresh.text


def test_stored_windows_stand_close_to_the_encoded_windows(article_assistant: Any) -> None:
    from qa.candidates import window

    ranking = article_assistant.rank(HEADLINE)
    joined = [c for c in ranking.ranked if c.previous][:5]
    assert joined
    encoded = article_assistant.embedder.encode([window(c) for c in joined])
    stored = np.stack([c.window_vector for c in joined])
    assert (np.sum(encoded * stored, axis=1) > 0.8).all()
