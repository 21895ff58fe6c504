"""Sentences and chunks keep exact offsets into the source text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import MAX_SENTENCE_CHARS, chunk_text, headings, searchable, split_sentences
from qa import bundled_article


def test_article_sentences_are_verbatim_slices_with_tweets_and_quotes_intact() -> None:
    text = bundled_article().read_text(encoding="utf-8")
    spans = split_sentences(text)
    sentences = [text[s:e] for s, e in spans]
    assert (
        "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany "
        "of his decision in phone calls on Monday, the Times reported." in sentences
    )
    assert "He said the matter was “a serious, very big threat to us.”" in sentences
    assert spans[sentences.index(sentences[7])] == (743, 889)
    # "U.S." and "Dr." do not end sentences
    assert any(
        s.startswith("Putin attended") and s.endswith("the Times reported.") for s in sentences
    )
    assert any("Dr. Jennifer Cassidy (@OxfordDiplomat) February 21, 2022" in s for s in sentences)


def test_abbreviations_and_initials_do_not_split() -> None:
    text = "Mr. J. R. Smith met Dr. Lee in the U.S. on Monday. They talked. Then e.g. tea."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mr. J. R. Smith met Dr. Lee in the U.S. on Monday.",
        "They talked.",
        "Then e.g. tea.",
    ]


def test_crlf_text_keeps_offsets() -> None:
    text = "First line here.\r\n\r\nSecond paragraph. Still second.\r\n"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "First line here.",
        "Second paragraph.",
        "Still second.",
    ]


def test_long_text_without_full_stops_is_cut_into_short_pieces() -> None:
    text = " ".join(f"word{i}" for i in range(3000))
    spans = split_sentences(text)
    assert len(spans) > 10
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in spans)
    assert " ".join(text[s:e] for s, e in spans) == text


def test_chunks_hold_whole_sentences_of_one_paragraph() -> None:
    text = bundled_article().read_text(encoding="utf-8")
    for chunk in chunk_text(text):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.sentences[0][0] == chunk.start and chunk.sentences[-1][1] == chunk.end
        assert "\n\n" not in chunk.text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000))
def test_any_text_splits_into_verbatim_ordered_slices(text: str) -> None:
    previous_end = 0
    for start, end in split_sentences(text):
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        previous_end = end
    for chunk in chunk_text(text):
        assert text[chunk.start : chunk.end] == chunk.text


HANDBOOK = (
    "# Harbour handbook\n\n"
    "## Tides\n\n"
    "The high tide reaches the north quay at noon.\n\n"
    "## Ferries ##\n\n"
    "Boats leave from the south pier every hour.\n"
)


def test_markdown_headings_are_their_sections_context_not_passages() -> None:
    chunks = chunk_text(HANDBOOK)
    assert [c.text for c in chunks] == [
        "The high tide reaches the north quay at noon.",
        "Boats leave from the south pier every hour.",
    ]
    assert [c.heading for c in chunks] == ["Harbour handbook\nTides", "Harbour handbook\nFerries"]
    assert all(HANDBOOK[c.start : c.end] == c.text for c in chunks)
    assert searchable(chunks[1]) == "Harbour handbook\nFerries\n\n" + chunks[1].text


def test_heading_forms_fences_and_a_text_of_headings_alone() -> None:
    text = (
        "Guide\n=====\nIt starts here.\n\n"  # setext, with its section on the next line
        "```\n# a comment in code\n```\n\n"
        "Not a heading.\n---\n\n"  # a rule under prose
        "#hashtags are text.\n\n"
        "### Deep\nlower case body.\n\n"
        "# Top\n\nLast words."
    )
    assert [(h.level, h.title) for h in headings(text)] == [(1, "Guide"), (3, "Deep"), (1, "Top")]
    by_text = {c.text: c.heading for c in chunk_text(text)}
    assert by_text["It starts here."] == "Guide"
    assert by_text["```\n# a comment in code\n```"] == "Guide"
    assert by_text["#hashtags are text."] == "Guide"
    assert by_text["lower case body."] == "Guide\nDeep"
    assert by_text["Last words."] == "Top"
    only = "# Title\n\n## Subtitle\n"
    assert [c.text for c in chunk_text(only)] == ["# Title", "## Subtitle"]  # still indexed


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="#=-` \n.aB", max_size=400))
def test_markdown_like_text_chunks_into_exact_slices_without_headings(text: str) -> None:
    marks = headings(text)
    inside = []  # per sentence, whether it lies in a heading
    for chunk in chunk_text(text):
        assert text[chunk.start : chunk.end] == chunk.text
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            inside.append(any(m.start <= start < m.end for m in marks))
    assert not any(inside) or all(inside)  # all: a text of headings alone, chunked as text
