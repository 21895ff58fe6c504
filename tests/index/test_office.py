"""Office documents (.docx, .pptx, .odt, .epub, .rtf): real files read as plain text, indexed,
and answered from with citations that are exact slices of the extracted text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from index import DocumentError, chunk_text, find_files, load_document
from index.loading import SUPPORTED_SUFFIXES
from tests.office_files import MAKERS, docx_bytes, pptx_bytes

FILLER = "The office kettle was descaled on the first Monday of the quarter."

# per format: (title, the sentence that answers, the question); each fact is found in one file
FACTS = {
    ".docx": (
        "Zephyr project",
        "The Zephyr project is led by Ada Quillfeather from the Oslo office.",
        "Who leads the Zephyr project?",
    ),
    ".pptx": (
        "Marlow bakery",
        "The Marlow bakery sells its rye loaves for four euros each.",
        "How much does the Marlow bakery charge for rye loaves?",
    ),
    ".odt": (
        "Skerra lighthouse",
        "The lighthouse on Skerra island was built in 1874 by Tomas Vell.",
        "When was the lighthouse on Skerra island built?",
    ),
    ".epub": (
        "The voyage",
        "Captain Ilse Brandt sailed the schooner Petrel to Reykjavík in a storm.",
        "Which schooner did Captain Ilse Brandt sail to Reykjavík?",
    ),
    ".rtf": (
        "Garnet choir",
        "The Garnet choir rehearses in the café Zoë every Wednesday evening.",
        "When does the Garnet choir rehearse?",
    ),
}


def office_file(folder: Path, suffix: str) -> Path:
    """A real file of the format: its title as a heading, filler, then the answering sentence
    (in an EPUB, in its second chapter)."""
    title, sentence, _question = FACTS[suffix]
    path = folder / f"notes{suffix}"
    path.write_bytes(MAKERS[suffix](title, [FILLER, sentence]))
    return path


@pytest.mark.parametrize("suffix", list(MAKERS))
def test_each_format_reads_as_its_paragraphs(tmp_path: Path, suffix: str) -> None:
    title, sentence, _question = FACTS[suffix]
    text = load_document(office_file(tmp_path, suffix)).text
    styled = suffix != ".rtf"  # RTF's title is only bold: the others mark it a heading
    assert text.startswith(f"# {title}\n\n" if styled else f"{title}\n\n")
    passages = [(chunk.text, chunk.heading) for chunk in chunk_text(text)]
    if styled:  # the heading is its section's context, not a passage
        assert [heading for _passage, heading in passages] == [title] * len(passages)
        assert all(not passage.startswith("#") for passage, _heading in passages)
    assert FILLER in text and sentence in text
    assert text.index(FILLER) < text.index(sentence)  # in reading order (an EPUB's spine)
    assert "<" not in text and "\\" not in text  # no markup, no RTF control words


def test_the_new_suffixes_are_found_in_folders(tmp_path: Path) -> None:
    for suffix in MAKERS:
        office_file(tmp_path, suffix)
    (tmp_path / "program.exe").write_bytes(b"MZ")
    (tmp_path / "~$notes.docx").write_bytes(b"owner")  # Word's lock file beside an open document
    found = sorted(name for _path, name in find_files([tmp_path]))
    assert found == sorted(f"notes{suffix}" for suffix in MAKERS)
    assert set(MAKERS) <= set(SUPPORTED_SUFFIXES)


def test_tables_speaker_notes_and_bullets_are_read() -> None:
    from index.office import office_text

    table = [["Name", "Role"], ["Ada Quillfeather", "Project lead"]]
    docx = office_text(".docx", docx_bytes("Team", ["Who is who."], table), "team.docx")
    assert docx.endswith("Name | Role\n\nAda Quillfeather | Project lead")
    slides = pptx_bytes("Plan", ["First bullet", "Second bullet"], notes="Say it slowly.")
    pptx = office_text(".pptx", slides, "plan.pptx")
    assert pptx == "# Plan\n\nFirst bullet\nSecond bullet\n\nSay it slowly."


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("plain.docx", b"just some text, not a zip", "not a .docx file"),
        ("cut.docx", docx_bytes("T", ["Some text."])[:700], "not a .docx file"),
        ("other.docx", _zip({"a.txt": "hello"}), "unreadable .docx file"),
        ("plain.pptx", b"\x00\x01", "not a .pptx file"),
        ("other.pptx", _zip({"a.txt": "hello"}), "unreadable .pptx file"),
        ("plain.odt", b"text", "not a .odt file"),
        ("other.odt", _zip({"a.txt": "hello"}), "unreadable .odt file"),
        ("plain.epub", b"text", "not a .epub file"),
        ("empty.epub", _zip({"mimetype": "application/epub+zip"}), "no text"),
        ("plain.rtf", b"Just text pretending.", "not an .rtf file"),
        ("empty.rtf", b"{\\rtf1\\ansi }", "no text"),
    ],
)
def test_unreadable_office_files_give_one_line_reasons(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and reason in message and "\n" not in message


def test_a_zip_that_unpacks_too_large_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from index.office import MAX_UNZIPPED_BYTES

    path = tmp_path / "bomb.docx"
    block = b"\0" * 2**20
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(MAX_UNZIPPED_BYTES // len(block) + 1):
            member.write(block)
    assert path.stat().st_size < 2**20 * 2
    with pytest.raises(DocumentError, match=r"^bomb\.docx: unpacks to more than 512 MB"):
        load_document(path)


def test_each_format_is_answered_from_with_exact_citations(
    tmp_path: Path, empty_assistant: Any
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for suffix in MAKERS:
        office_file(folder, suffix)
    report = empty_assistant.index([folder])
    assert sorted(report.added) == sorted(f"notes{suffix}" for suffix in MAKERS)
    assert report.failed == []
    for suffix, (_title, sentence, question) in FACTS.items():
        answer = empty_assistant.ask(question)
        assert answer.answered, (suffix, answer.text)
        first = answer.citations[0]
        assert (first.source, first.text) == (f"notes{suffix}", sentence)
        text = empty_assistant.source_text(first.source)
        assert text[first.start : first.end] == first.text
        assert first.start == text.index(sentence)


@pytest.mark.integration
def test_qa_index_and_ask_read_a_word_document(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    office_file(folder, ".docx")
    office_file(folder, ".rtf")
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "data")}

    def qa(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "qa.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)

    indexed = qa("index", str(folder))
    assert indexed.returncode == 0, indexed.stderr
    assert "2 added" in indexed.stdout
    _title, sentence, question = FACTS[".docx"]
    asked = qa("ask", question, "--json")
    assert asked.returncode == 0, asked.stderr
    first = json.loads(asked.stdout)["citations"][0]
    assert (first["source"], first["text"]) == ("notes.docx", sentence)
    text = load_document(folder / "notes.docx").text
    assert text[first["start"] : first["end"]] == sentence
