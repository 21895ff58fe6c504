"""Markdown headings answer no question themselves, yet lead questions to their sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.index.test_chunking import HANDBOOK

SOUTH = "Boats leave from the south pier every hour."
EAST = "Boats leave from the east slip before dawn."
# the two sections differ only in their headings' topic
SECTIONS = (
    "# Harbour handbook\n\n## Tides\n\nThe water reaches the north quay at noon.\n\n"
    f"## Ferries\n\n{SOUTH}\n\n## Fishing fleet\n\n{EAST}\n"
)


def indexed(folder: Path, assistant: Any, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    assistant.index([path])
    return str(assistant.source_text(name))


def test_two_sentences_under_headings_are_two_passages_and_no_heading_answers(
    tmp_path: Path, empty_assistant: Any
) -> None:
    text = indexed(tmp_path, empty_assistant, "handbook.md", HANDBOOK)
    [record] = empty_assistant.sources()
    assert record.chunks == 2  # the headings made five passages of two sentences
    for question in ("Harbour handbook", "What are the tides?", "Ferries", "Tell me about tides"):
        for citation in empty_assistant.ask(question).citations:
            assert "#" not in citation.text and "handbook" not in citation.text.lower()
            assert text[citation.start : citation.end] == citation.text


def test_a_question_naming_a_headings_topic_finds_its_section(
    tmp_path: Path, empty_assistant: Any
) -> None:
    text = indexed(tmp_path, empty_assistant, "sections.md", SECTIONS)
    retriever = empty_assistant.as_retriever(k=1)
    for question, sentence, heading in [
        ("ferries", SOUTH, "Harbour handbook\nFerries"),
        ("Where do ferries leave from?", SOUTH, "Harbour handbook\nFerries"),
        ("fishing fleet", EAST, "Harbour handbook\nFishing fleet"),
        ("When does the fishing fleet leave?", EAST, "Harbour handbook\nFishing fleet"),
    ]:
        [found] = retriever.invoke(question)
        assert (found.page_content, found.metadata["heading"]) == (sentence, heading), question
    answer = empty_assistant.ask("When do the ferries leave?")
    assert answer.answered and [c.text for c in answer.citations] == [SOUTH]
    assert text[answer.citations[0].start : answer.citations[0].end] == SOUTH
