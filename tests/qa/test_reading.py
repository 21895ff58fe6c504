"""The reading model on held-out questions and claims that fitting never read.

benchmarks/fit_reading.py fits on the SQuAD pool's fit articles and on the article's development
questions (ids up to 40 of article-oos, 25 of article-paraphrase); these tests ask the held
halves: other Wikipedia articles (tests/data/squad, tests/eval/squad-held.jsonl, made by
benchmarks/reading_sets.py) and the article's held questions and claims. The floors sit a few
points under what the fitted model measured (figures in qa/data/reading.json).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Assistant, build_assistant
from qa.evaluation import contains, read_questions
from tests.conftest import DATA, EVAL
from tests.qa.fake_openai import fake_openai

pytestmark = pytest.mark.slow


def held(path: Path, first_held: int) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if int(str(r["id"]).rsplit("-", 1)[1]) >= first_held]


@pytest.fixture(scope="module")
def squad_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    assistant = build_assistant(data_dir=tmp_path_factory.mktemp("squad-held"), bundled=False)
    assistant.index([DATA / "squad"])
    return assistant


@pytest.fixture(scope="module")
def squad_outcomes(squad_assistant: Assistant) -> dict[str, list[bool]]:
    """Per kind: whether each held question was answered (with the answer, if answerable)."""
    out: dict[str, list[bool]] = {}
    for q in read_questions(EVAL / "squad-held.jsonl"):
        answer = squad_assistant.ask(q.question)
        if q.answerable:
            out.setdefault("declined", []).append(not answer.answered)
            out.setdefault("held", []).append(answer.answered and contains(answer.text, q.must))
        else:
            out.setdefault(q.kind, []).append(not answer.answered)
    return out


def share(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def test_questions_about_articles_that_are_not_indexed_are_declined(
    squad_outcomes: dict[str, list[bool]],
) -> None:
    assert share(squad_outcomes["out_of_scope"]) >= 0.88  # measured 0.925


def test_questions_about_a_missing_fact_on_the_same_topic_are_declined(
    squad_outcomes: dict[str, list[bool]],
) -> None:
    assert share(squad_outcomes["missing"]) >= 0.30  # measured 0.375


def test_near_miss_questions_are_declined_more_often_than_by_chance(
    squad_outcomes: dict[str, list[bool]],
) -> None:
    assert share(squad_outcomes["adversarial"]) >= 0.15  # measured 0.208


def test_answerable_questions_are_answered_with_the_answer(
    squad_outcomes: dict[str, list[bool]],
) -> None:
    assert share(squad_outcomes["declined"]) <= 0.07  # measured 0.044
    assert share(squad_outcomes["held"]) >= 0.80  # measured 0.856


def test_the_articles_held_out_of_scope_questions_are_declined(
    article_assistant: Assistant,
) -> None:
    questions = held(EVAL / "article-oos.jsonl", 41)
    declined = [not article_assistant.ask(str(q["question"])).answered for q in questions]
    assert share(declined) >= 0.3  # measured 0.35


def test_the_articles_held_paraphrases_are_answered(article_assistant: Assistant) -> None:
    questions = held(EVAL / "article-paraphrase.jsonl", 26)
    hits = []
    for q in questions:
        answer = article_assistant.ask(str(q["question"]))
        hits.append(answer.answered and contains(answer.text, q["must"]))  # type: ignore[arg-type]
    assert share(hits) >= 0.84  # measured 0.92


# claims: an LLM's answer sentence, through the real LLM path (a local OpenAI-compatible server)


@pytest.fixture(scope="module")
def claim_assistants(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Assistant], list[str]]]:
    replies: list[str] = []
    with fake_openai(replies) as server:
        server.replies = replies
        settings = dict(llm="openai", llm_base_url=server.url, llm_model="fake", llm_timeout=5.0)
        article = build_assistant(data_dir=tmp_path_factory.mktemp("claims-article"), **settings)
        wiki = build_assistant(
            data_dir=tmp_path_factory.mktemp("claims-wiki"), bundled=False, **settings
        )
        wiki.index([DATA / "wiki"])
        yield {"article.txt": article, "wiki": wiki}, replies


def test_claims_are_flagged_or_withheld_and_faithful_ones_kept(
    claim_assistants: tuple[dict[str, Assistant], list[str]],
) -> None:
    assistants, replies = claim_assistants
    kept: dict[str, list[bool]] = {}
    for claim in held(EVAL / "claims.jsonl", 61):
        replies[:] = [str(claim["claim"])]  # unasked when no passage answers the question
        assistant = assistants["article.txt" if claim["source"] == "article.txt" else "wiki"]
        answer = assistant.ask(str(claim["question"]))
        shown = answer.backend != "extractive" and bool(answer.citations)
        kept.setdefault(str(claim["kind"]), []).append(shown and not answer.unsupported)
    assert share(kept.pop("faithful")) >= 0.8  # measured 0.85
    flagged = {kind: 1 - share(flags) for kind, flags in kept.items()}
    assert len(flagged) == 8 and all(rate > 0 for rate in flagged.values()), flagged
    assert share([not k for flags in kept.values() for k in flags]) >= 0.65  # measured 0.725
