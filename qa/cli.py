"""The `qa` command: index documents, ask questions, chat, batch and evaluate."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TextIO

from qa.answer import Answer
from qa.errors import QAError
from qa.settings import LLM_BACKENDS, Settings


def _progress(total: int, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit=f" {unit}", file=sys.stderr, leave=False, dynamic_ncols=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa",
        description="Ask questions of your documents; answers quote them verbatim, with citations.",
    )
    _store_flags(parser, default=None)
    parser.add_argument("--llm", choices=LLM_BACKENDS, help="answer with an LLM (env QA_LLM)")
    parser.add_argument("--llm-model", help="the LLM's model name (env QA_LLM_MODEL)")
    parser.add_argument(
        "--llm-base-url", help="OpenAI-compatible or Ollama server URL (env QA_LLM_BASE_URL)"
    )
    parser.add_argument(
        "--llm-timeout",
        type=float,
        help="seconds before the extractive fallback (env QA_LLM_TIMEOUT)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "index",
        help="add or update files and folders (.txt .md .html .pdf .docx .pptx .odt .epub .rtf)",
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--force", action="store_true", help="re-embed even unchanged files")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="recreate the store from the sources' files (and PATHs); repairs a damaged store",
    )

    sub.add_parser("sources", help="list the indexed sources")

    p = sub.add_parser("remove", help="drop a source from the index")
    p.add_argument("source")

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")

    p = sub.add_parser("batch", help="answer a JSONL file of questions, one JSON line each")
    p.add_argument("file", help='JSONL with {"id", "question", "history"}; "-" for stdin')

    sub.add_parser("chat", help="a conversation in the terminal (follow-ups use the history)")

    for plugged in entry_points(group="qa.commands"):
        plugged.load()(sub)  # `qa serve`, `qa slack` from the ui package

    p = sub.add_parser(
        "eval", help="score the assistant on a JSONL question set (or a set of claims)"
    )
    p.add_argument("file")
    p.add_argument("--show-failures", action="store_true", help="list the questions it missed")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    for command in sub.choices.values():  # `qa serve --data-dir D` as `qa --data-dir D serve`
        _store_flags(command, default=argparse.SUPPRESS)
    return parser


def _store_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """The flags that say which store to use, taken before or after the command; after it,
    their default is argparse.SUPPRESS, so an absent flag leaves the one given before."""
    parser.add_argument(
        "--data-dir", default=default, help="where the index lives (env QA_DATA_DIR)"
    )
    parser.add_argument(
        "--chroma-url", default=default, help="use a Chroma server, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument(
        "--collection",
        default=default,
        help="collection name inside the store (default documents)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        data_dir=args.data_dir,
        chroma_url=args.chroma_url,
        collection=args.collection,
        llm=args.llm,
        llm_model=args.llm_model,
        llm_base_url=args.llm_base_url,
        llm_timeout=args.llm_timeout,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run(args: argparse.Namespace) -> int:
    from qa import build_assistant

    settings = settings_from(args)
    command = args.command
    if hasattr(args, "run"):
        return int(args.run(settings, args))
    assistant = build_assistant(settings)
    if command == "index":
        if not args.paths and not args.rebuild:
            raise QAError("qa index needs at least one PATH (or --rebuild)")

        def waiting() -> None:
            print(
                f"qa: another qa index is writing to {settings.data_dir}; waiting", file=sys.stderr
            )

        if args.rebuild:
            report = assistant.rebuild(args.paths, progress=_progress, on_wait=waiting)
        else:
            report = assistant.index(args.paths, _progress, args.force, waiting)
        for _source, reason in report.failed:
            print(f"skipped {reason}", file=sys.stderr)
        print(report.summary())
        return (
            1 if report.failed and not (report.added or report.updated or report.unchanged) else 0
        )
    if command == "sources":
        for record in assistant.sources():
            chunks = f"{record.chunks} chunk{'' if record.chunks == 1 else 's'}"
            print(f"{record.source}\t{chunks}\t{record.path}")
        return 0
    if command == "remove":
        assistant.remove(args.source)
        print(f"removed {args.source}")
        return 0
    if command == "ask":
        answer = assistant.ask(args.question)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            print(render(answer))
        return 0
    if command == "batch":
        return batch(assistant, args.file, sys.stdout)
    if command == "chat":
        return chat(assistant)
    if command == "eval":
        from qa.evaluation import (
            evaluate,
            evaluate_claims,
            is_claims_file,
            read_claims,
            read_questions,
        )

        if is_claims_file(Path(args.file)):  # LLM answer sentences: is each one supported?
            figures = evaluate_claims(assistant, read_claims(Path(args.file)))
            print(
                json.dumps(figures)
                if args.json
                else "\n".join(f"{k}  {v}" for k, v in figures.items())
            )
            return 0
        scored = evaluate(assistant, read_questions(Path(args.file)))
        print(json.dumps(scored.figures()) if args.json else scored.table())
        if args.show_failures:
            for line in scored.failures():
                print(line)
        return 0
    raise QAError(f"unknown command {command}")


def render(answer: Answer) -> str:
    """An answer and its citations as terminal text."""
    lines = []
    if answer.search_query and answer.search_query != answer.question:
        lines.append(f"(searched for: {answer.search_query})")
    lines.append(answer.text)
    for start, end in answer.unsupported:
        lines.append(f'unsupported by the passages: "{answer.text[start:end]}"')
    lines.extend(c.footnote() for c in answer.citations)
    lines.extend(f"note: {note}" for note in answer.notes)
    return "\n".join(lines)


def batch(assistant: Any, file: str, out: TextIO) -> int:
    from qa.errors import QuestionError

    handle = sys.stdin if file == "-" else _open(file)
    failures = 0
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or "question" not in item:
                    raise ValueError('expected an object with a "question"')
            except ValueError as exc:
                raise QAError(f"{file}, line {number}: not a question ({exc})") from None
            started = time.perf_counter()
            record: dict[str, Any] = {"id": item.get("id", number)}
            try:
                answer = assistant.ask(item["question"], item.get("history") or ())
                record.update(
                    answer=answer.text,
                    answered=answer.answered,
                    citations=[c.to_dict() for c in answer.citations],
                )
            except QuestionError as exc:
                failures += 1
                record.update(answer="", answered=False, citations=[], error=str(exc))
            record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    return 1 if failures else 0


def _open(file: str) -> TextIO:
    try:
        return open(file, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot read {file}: {exc.strerror}") from None


def chat(assistant: Any) -> int:
    history: list[tuple[str, str]] = []
    print("Ask about the documents. Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        try:
            answer = assistant.ask(question, history)
        except QAError as exc:
            print(f"error: {exc}")
            continue
        print(render(answer))
        history.append((question, answer.text))


if __name__ == "__main__":
    sys.exit(main())
