"""The composition root: settings and parts in, one wired Assistant out."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from qa import Assistant, Settings, build_assistant
from qa.reading.cross import load_cross
from tests.qa.fake_openai import fake_openai

HEADLINE = "Which leaders did Putin call?"


def test_settings_come_from_qa_variables_and_overrides_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_TOP_K", "3")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "from-env"))
    assistant = build_assistant(collection="notes")
    assert assistant.settings.top_k == 3 and assistant.pipeline.search.k == 3
    assert assistant.library.data_dir == tmp_path / "from-env"
    assert assistant.library.collection == "notes"


def test_the_assistant_reads_no_environment_once_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: object
) -> None:
    assistant = build_assistant(Settings(data_dir=tmp_path / "store"), embedder=embedder)
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("QA_MAX_QUESTION_CHARS", "5")
    assert assistant.ask(HEADLINE).answered
    assert not (tmp_path / "elsewhere").exists()


def test_parts_passed_in_are_the_parts_used(tmp_path: Path, embedder: object) -> None:
    read: list[int] = []

    def read_pairs(pairs):  # type: ignore[no-untyped-def]
        read.append(len(pairs))
        return load_cross().scores(pairs)

    assistant = build_assistant(
        data_dir=tmp_path / "store", embedder=embedder, read_pairs=read_pairs
    )
    assert isinstance(assistant, Assistant) and assistant.embedder is embedder
    assert assistant.ask(HEADLINE).answered
    assert read and sum(read) > 0


def test_a_langchain_chat_model_passed_in_answers(tmp_path: Path, embedder: object) -> None:
    from langchain_openai import ChatOpenAI

    with fake_openai(["Putin called Macron and Scholz [1]."]) as server:
        model = ChatOpenAI(base_url=server.url, api_key="sk-local", model="fake", max_retries=0)
        assistant = build_assistant(
            data_dir=tmp_path / "store", embedder=embedder, chat_model=model
        )
        answer = assistant.ask(HEADLINE)
    assert answer.backend == "ChatOpenAI" and len(server.requests) == 1
    assert "Macron" in answer.text and answer.citations


def test_warming_up_leaves_what_it_loaded_out_of_later_collections(
    article_assistant: Assistant,
) -> None:
    """A server warms up once: the models and indexes it loaded are not walked again by every
    later full garbage collection."""
    try:
        article_assistant.warm()
        assert gc.get_freeze_count() > 0
        tracked = gc.get_objects()
        assert not any(item is article_assistant.pipeline for item in tracked)
        assert article_assistant.ask(HEADLINE).citations
    finally:
        gc.unfreeze()  # the other tests' objects go back to the collector
