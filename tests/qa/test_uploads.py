"""Uploaded files (Assistant.add_files): one result a file, limits, nothing half-kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import Assistant, build_assistant
from qa.errors import UploadRefused

ZEBRA = b"# Zoo notes\n\nThe zebra named Florian lives in the Oslo harbour aquarium and eats kelp."
ASKED = "What does the zebra Florian eat?"


@pytest.fixture
def uploading(tmp_path: Path, embedder: object) -> Assistant:
    return build_assistant(data_dir=tmp_path / "store", embedder=embedder)


def kept(assistant: Assistant) -> list[str]:
    folder = assistant.settings.data_dir / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_each_file_gets_its_result_and_a_bad_one_fails_alone(uploading: Assistant) -> None:
    results = uploading.add_files(
        [("notes/zebra.md", ZEBRA), ("scan.pdf", b"not a pdf at all"), ("tool.exe", b"MZ")]
    )
    assert [(r.file, r.source, r.status) for r in results] == [
        ("notes/zebra.md", "zebra.md", "added"),
        ("scan.pdf", "", "failed"),
        ("tool.exe", "", "failed"),
    ]
    assert results[0].chunks >= 1 and not results[0].error
    assert "unreadable PDF" in results[1].error and "\n" not in results[1].error
    assert "unsupported file type" in results[2].error
    assert kept(uploading) == ["zebra.md"]  # only what was indexed is kept

    answer = uploading.ask(ASKED)
    assert answer.answered and answer.citations[0].source == "zebra.md"
    cited = answer.citations[0]
    assert uploading.source_text("zebra.md")[cited.start : cited.end] == cited.text


def test_the_same_upload_again_is_unchanged_and_new_text_updates(uploading: Assistant) -> None:
    assert uploading.add_files([("zebra.md", ZEBRA)])[0].status == "added"
    assert uploading.add_files([("zebra.md", ZEBRA)])[0].status == "unchanged"
    changed = ZEBRA.replace(b"kelp", b"seaweed crackers")
    assert uploading.add_files([("zebra.md", changed)])[0].status == "updated"
    assert "seaweed crackers" in uploading.ask(ASKED).text


def test_an_unreadable_file_replaces_no_good_upload_of_its_name(uploading: Assistant) -> None:
    uploading.add_files([("zebra.md", ZEBRA)])
    [result] = uploading.add_files([("zebra.md", b"\x00\x01binary\x00")])
    assert result.status == "failed" and "binary" in result.error
    kept_text = (uploading.settings.data_dir / "uploads" / "zebra.md").read_bytes()
    assert kept_text == ZEBRA and "kelp" in uploading.ask(ASKED).text


def test_removing_an_upload_deletes_the_kept_file(uploading: Assistant) -> None:
    uploading.add_files([("zebra.md", ZEBRA)])
    uploading.remove("zebra.md")
    assert kept(uploading) == []
    assert [r.source for r in uploading.sources()] == ["article.txt"]
    assert not uploading.ask(ASKED).answered


def test_a_rebuild_reads_the_kept_uploads_again(uploading: Assistant) -> None:
    uploading.add_files([("zebra.md", ZEBRA)])
    report = uploading.rebuild()
    assert report.failed == [] and "zebra.md" in report.added
    assert uploading.ask(ASKED).citations[0].source == "zebra.md"


def test_a_name_another_file_holds_is_refused_and_not_kept(
    uploading: Assistant, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "zebra.md").write_bytes(ZEBRA)
    uploading.index([docs / "zebra.md"])
    [result] = uploading.add_files([("zebra.md", b"Another zebra, named Otto, eats hay.")])
    assert result.status == "failed" and "already indexed under this name" in result.error
    assert kept(uploading) == []


def test_limits_and_the_off_switch(tmp_path: Path, embedder: object) -> None:
    small = build_assistant(
        data_dir=tmp_path / "a", embedder=embedder, max_upload_mb=0.001, max_upload_files=2
    )
    big = b"The zebra Florian eats kelp. " * 100
    results = small.add_files([("big.txt", big), ("zebra.md", ZEBRA)])
    assert [r.status for r in results] == ["failed", "added"]
    assert results[0].error == "big.txt: larger than 0.001 MB"
    with pytest.raises(UploadRefused, match="limit is 2"):
        small.add_files([("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")])
    with pytest.raises(UploadRefused, match="No files"):
        small.add_files([])
    off = build_assistant(data_dir=tmp_path / "b", embedder=embedder, uploads=False)
    with pytest.raises(UploadRefused, match="QA_UPLOADS=false"):
        off.add_files([("zebra.md", ZEBRA)])
    assert not (tmp_path / "b" / "uploads").exists()


def test_a_name_given_twice_in_one_upload_keeps_the_first(uploading: Assistant) -> None:
    other = b"The zebra named Otto lives in Bergen and eats hay."
    results = uploading.add_files([("a/zebra.md", ZEBRA), ("b/zebra.md", other)])
    assert [(r.source, r.status) for r in results] == [("zebra.md", "added"), ("", "failed")]
    assert results[1].error == "zebra.md: given twice"
    assert "kelp" in uploading.ask(ASKED).text
