"""The `qa` command run as a real subprocess: JSON contract, batch, errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ARTICLE_SENTENCE = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of "
    "his decision in phone calls on Monday, the Times reported."
)


def qa(
    *args: str, data: Path, stdin: str | None = None, **variables: str
) -> subprocess.CompletedProcess[str]:
    """`python -m qa.cli ARGS` over the data folder, with extra environment variables."""
    env = {**os.environ, "QA_DATA_DIR": str(data), **variables}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=300,
    )


@pytest.mark.integration
def test_ask_json_cites_the_article_verbatim(tmp_path: Path) -> None:
    result = qa("ask", "Which leaders did Putin call?", "--json", data=tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["answered"] is True
    assert "Macron" in answer["answer"] and "Scholz" in answer["answer"]
    assert "[1]" in answer["answer"]
    first = answer["citations"][0]
    assert set(first) == {"n", "text", "source", "start", "end", "score"}
    assert first["source"] == "article.txt"
    assert first["text"] == ARTICLE_SENTENCE and (first["start"], first["end"]) == (743, 889)


@pytest.mark.integration
def test_index_sources_remove_and_batch(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "owls.md").write_text(
        "# Owls\n\nThe snowy owl nests on the Arctic tundra and hunts lemmings.", "utf-8"
    )
    (docs / "junk.txt").write_bytes(b"\x00\x01")
    data = tmp_path / "data"
    indexed = qa("index", str(docs), data=data)
    assert indexed.returncode == 0, indexed.stderr
    assert "1 added" in indexed.stdout
    assert "junk.txt: looks like a binary file" in indexed.stderr
    batch_input = "\n".join(
        json.dumps(item)
        for item in [
            {"id": "owl", "question": "Where does the snowy owl nest?", "history": [], "x": 1},
            {"id": "na", "question": "Who is the president of Brazil?", "history": []},
            {
                "id": "fu",
                "question": "How did they react?",
                "history": [["Which leaders did Putin call?", ARTICLE_SENTENCE]],
            },
        ]
    )
    batch = qa("batch", "-", data=data, stdin=batch_input)
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["owl", "na", "fu"]
    for line in lines:
        assert set(line) == {"id", "answer", "answered", "citations", "latency_ms"}
    assert lines[0]["answered"] and "tundra" in lines[0]["answer"]
    assert lines[0]["citations"][0]["source"] == "owls.md"
    assert not lines[1]["answered"] and lines[1]["citations"] == []
    assert "disappointment" in lines[2]["answer"]

    sources = qa("sources", data=data)
    assert [line.split("\t")[0] for line in sources.stdout.splitlines()] == [
        "article.txt",
        "owls.md",
    ]
    assert qa("remove", "owls.md", data=data).returncode == 0
    missing = qa("remove", "owls.md", data=data)
    assert missing.returncode == 1
    assert missing.stderr.startswith("qa: error: No source named 'owls.md'")
    assert len(missing.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "   "), "The question is empty"),
        (("ask", "x" * 5000), "The question is too long"),
        (("index", "/no/such/folder"), "/no/such/folder: no such file or folder"),
        (("batch", "/no/such.jsonl"), "cannot read /no/such.jsonl"),
    ],
)
def test_user_mistakes_give_one_line_and_nonzero_exit(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = qa(*args, data=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_help_loads_no_heavy_modules() -> None:
    code = (
        "import sys, contextlib, io\n"
        "import qa.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        qa.cli.main(['--help'])\n    except SystemExit:\n        pass\n"
        "heavy = {'torch', 'sentence_transformers', 'chromadb', 'gradio', 'slack_bolt'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


# the store's flags, before or after the command


REQUIRED = {"index": ["docs"], "remove": ["x.md"], "ask": ["Who?"], "batch": ["-"], "eval": ["f"]}


def test_every_command_takes_the_store_flags_after_its_name() -> None:
    from qa.cli import build_parser

    parser = build_parser()
    for command in ("index", "sources", "remove", "ask", "batch", "chat", "eval", "serve", "slack"):
        flags = ["--data-dir", "D", "--chroma-url", "http://h:1", "--collection", "c"]
        args = parser.parse_args([command, *REQUIRED.get(command, []), *flags])
        assert (args.data_dir, args.chroma_url, args.collection) == ("D", "http://h:1", "c")
        before = parser.parse_args(["--data-dir", "D", command, *REQUIRED.get(command, [])])
        assert (before.data_dir, before.chroma_url, before.collection) == ("D", None, None)


@pytest.mark.integration
def test_data_dir_after_the_command_is_the_store_used(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "owls.md").write_text("The snowy owl nests on the Arctic tundra.", "utf-8")
    elsewhere, store = tmp_path / "elsewhere", tmp_path / "store"
    indexed = qa("index", str(docs), "--data-dir", str(store), data=elsewhere)
    assert indexed.returncode == 0, indexed.stderr
    listed = qa("sources", "--data-dir", str(store), data=elsewhere)
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == [
        "article.txt",
        "owls.md",
    ]
    other = qa("sources", "--data-dir", str(store), "--collection", "other", data=elsewhere)
    assert [line.split("\t")[0] for line in other.stdout.splitlines()] == ["article.txt"]
    assert not elsewhere.exists()  # QA_DATA_DIR was never opened


@pytest.mark.integration
def test_one_chunk_is_counted_in_the_singular(tmp_path: Path) -> None:
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    (docs / "owls.md").write_text("The snowy owl nests on the Arctic tundra.", "utf-8")
    indexed = qa("index", str(docs), data=data, QA_BUNDLED="false")
    assert indexed.returncode == 0, indexed.stderr
    assert indexed.stdout.strip() == "1 added, 0 updated, 0 unchanged, 0 failed, 1 chunk embedded"
    listed = qa("sources", data=data, QA_BUNDLED="false")
    assert listed.stdout.split("\t")[:2] == ["owls.md", "1 chunk"]
    (docs / "more.md").write_text("Owls hunt at night.\n\nThey eat voles and lemmings.", "utf-8")
    again = qa("index", str(docs), "--force", data=data, QA_BUNDLED="false")
    assert again.stdout.strip().endswith(" chunks embedded"), again.stdout
