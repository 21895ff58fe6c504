"""`qa batch`, `qa eval` and `qa chat` run end to end as the real command on the bundled article."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qa.cli import batch
from qa.errors import QuestionError

ARTICLE_QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "article.jsonl"
PROMPT = "you> "

pytestmark = pytest.mark.integration


def article(*ids: str) -> list[dict[str, Any]]:
    """The lines of tests/eval/article.jsonl with these ids, in this order."""
    lines = ARTICLE_QUESTIONS.read_text(encoding="utf-8").splitlines()
    items = {item["id"]: item for item in map(json.loads, filter(str.strip, lines))}
    return [items[i] for i in ids]


def jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def qa(*args: str, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m qa.cli --data-dir DATA ARGS`, with no QA_* variable from the caller."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("QA_")}
    env["HF_HUB_OFFLINE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store the first command fills with the bundled article; the tests only read it."""
    data = tmp_path_factory.mktemp("cli-paths") / "store"
    listed = qa("sources", data=data)
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["article.txt"]
    return data


# qa batch


def test_batch_answers_every_line_and_exits_1_when_one_failed(store: Path, tmp_path: Path) -> None:
    first, follow_up, unanswerable = article("art-001", "art-060", "art-045")
    questions = jsonl(
        tmp_path / "questions.jsonl",
        [
            first,
            {"id": "empty", "question": "   ", "history": []},
            follow_up,
            {"id": "long", "question": "Putin " * 1000},
            unanswerable,
        ],
    )
    result = qa("batch", str(questions), data=store)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["art-001", "empty", "art-060", "long", "art-045"]
    by_id = {r["id"]: r for r in records}

    for failed, reason in (("empty", "The question is empty"), ("long", "too long")):
        record = by_id[failed]
        assert (record["answer"], record["answered"], record["citations"]) == ("", False, [])
        assert reason in record["error"]

    # the lines after a failed one are still answered
    assert by_id["art-001"]["answered"] and "Times" in by_id["art-001"]["answer"]
    assert by_id["art-060"]["answered"] and "Monday" in by_id["art-060"]["answer"]
    assert by_id["art-060"]["citations"][0]["source"] == "article.txt"
    assert not by_id["art-045"]["answered"] and by_id["art-045"]["citations"] == []
    for answered in ("art-001", "art-060", "art-045"):
        assert "error" not in by_id[answered]


def test_batch_exits_0_when_every_line_is_answered(store: Path, tmp_path: Path) -> None:
    items = article("art-002", "art-010", "art-066", "art-052")
    no_id = {"question": items[0]["question"]}
    questions = tmp_path / "questions.jsonl"
    # a blank line is skipped but counted: the line without an id is named by its number, 3
    lines = [json.dumps(items[0]), "", json.dumps(no_id), *map(json.dumps, items[1:])]
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = qa("batch", str(questions), data=store)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["art-002", 3, "art-010", "art-066", "art-052"]
    assert all("error" not in r for r in records)
    assert records[0]["answer"] == records[1]["answer"]
    for record, item in zip([records[0], *records[2:]], items, strict=True):
        assert record["answered"] is item["answerable"]
        for group in item["must"]:
            assert any(alt.lower() in record["answer"].lower() for alt in group), record


def test_batch_returns_1_only_when_a_question_was_refused(tmp_path: Path) -> None:
    class Refusing:
        def ask(self, question: str, history: Any = ()) -> Any:
            raise QuestionError(f"refused {question}")

    questions = jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": "one"}])
    out = io.StringIO()
    assert batch(Refusing(), str(questions), out) == 1
    assert json.loads(out.getvalue())["error"] == "refused one"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert batch(Refusing(), str(empty), io.StringIO()) == 0  # nothing asked, nothing failed


# qa eval


def eval_set(tmp_path: Path) -> Path:
    """Four answerable questions (one whose expected words the article cannot give) and two
    unanswerable ones of different kinds."""
    wrong = {**article("art-001")[0], "id": "wrong", "must": [["Le Monde"]]}
    outside = {**article("art-055")[0], "kind": "out_of_scope"}
    return jsonl(
        tmp_path / "small.jsonl",
        [*article("art-001", "art-002", "art-060"), wrong, *article("art-045"), outside],
    )


def test_eval_prints_the_figures_of_a_small_question_set(store: Path, tmp_path: Path) -> None:
    questions = eval_set(tmp_path)
    table = qa("eval", str(questions), "--show-failures", data=store)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    misses = [line for line in lines if line.startswith("MISS ")]
    assert len(misses) == 1 and misses[0].startswith("MISS wrong: Which newspaper")
    rows = dict(line.split(None, 1) for line in lines if not line.startswith("MISS "))

    as_json = qa("eval", str(questions), "--json", data=store)
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert list(rows) == list(figures)
    for name in ("questions", "answer_accuracy", "refusal_accuracy", "false_refusals"):
        assert float(rows[name]) == figures[name]

    assert figures["questions"] == 6
    assert figures["answer_accuracy"] == 0.75  # "wrong" is answered, but not with "Le Monde"
    assert figures["citation_accuracy"] == 0.75
    assert figures["false_refusals"] == 0.0
    assert figures["refusal_accuracy"] == 1.0
    assert figures["declined_unanswerable"] == figures["declined_out_of_scope"] == 1.0
    assert figures["mean_citation_chars"] > 0 and figures["mean_answer_chars"] > 0
    assert figures["latency_p95_ms"] >= figures["latency_p50_ms"] > 0


def test_eval_of_a_file_that_is_not_a_question_set_fails_in_one_line(
    store: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "Who?"}\n{"id": "y"}\n', encoding="utf-8")
    result = qa("eval", str(bad), data=store)
    assert result.returncode == 1
    assert result.stderr.startswith(f"qa: error: {bad}, line 2: not a question")
    assert len(result.stderr.strip().splitlines()) == 1


# qa chat


def test_chat_answers_follow_ups_from_the_history_and_stops_at_an_empty_line(
    store: Path,
) -> None:
    turns = [
        "Which leaders did Putin call?",
        "Putin " * 1000,  # refused; the conversation goes on without it
        "How did they react?",
        "",
        "Who is Olga Tokariuk?",  # after the empty line: never asked
    ]
    result = qa("chat", data=store, stdin="\n".join(turns) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Ask about the documents. Empty line or Ctrl-D to quit.\n")
    assert out.count(PROMPT) == 4
    first, refused, follow_up = out.split(PROMPT)[1:4]
    assert "Macron" in first and "Scholz" in first
    assert '[1] article.txt, chars 743-889: "Putin told President Emmanuel Macron' in first
    assert refused.startswith("error: The question is too long")
    # the pronoun is resolved from the earlier turn, not from the refused question
    assert follow_up.startswith(
        "(searched for: How did President Emmanuel Macron of France and Chancellor Olaf Scholz "
        "of Germany react?)"
    )
    assert "disappointment" in follow_up
    assert "Tokariuk" not in out


def test_chat_ends_at_end_of_input(store: Path) -> None:
    result = qa("chat", data=store, stdin="On which day did the Kremlin make its announcement?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(PROMPT) == 2
    assert "Monday" in result.stdout.split(PROMPT)[1]
    assert result.stdout.endswith(PROMPT + "\n")


# qa remove


def test_remove_on_a_new_folder_seeds_it_and_names_what_is_indexed(tmp_path: Path) -> None:
    # the first use indexes the bundled article under the write lock: remove must not wait
    # on its own lock
    removed = qa("remove", "nothing.txt", data=tmp_path / "new")
    assert removed.returncode == 1
    assert removed.stderr.strip().splitlines() == [
        "qa: error: No source named 'nothing.txt' is indexed (indexed: article.txt)"
    ]
