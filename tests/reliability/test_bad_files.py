"""`qa index` on a folder of awkward files: one clear line per bad file, the good ones indexed.

tests/index/test_loading.py covers each kind of file through `load_document`; this runs the
real command over one folder holding all of them at once, as a person would.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.reliability.conftest import qa_command

pytestmark = pytest.mark.integration

# root reads any file; without these two capabilities it obeys the permission bits like anyone
AS_PLAIN_USER = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")
BIG_BYTES = 50 * 2**20
GOOD = {
    "owls.md": "# Owls\n\nThe snowy owl nests on the Arctic tundra and hunts lemmings.\n",
    "notes/tides.txt": "Spring tides happen twice a month, near the new and the full moon.\n",
}
# the first line of each bad file's message, as `qa index` prints it on stderr
BAD = {
    "binary.txt": "binary.txt: looks like a binary file",
    "empty.txt": "empty.txt: no text in file",
    "folder.txt": "folder.txt: not a readable file",
    "pipe.txt": "pipe.txt: not a readable file",
    "dangling.md": "dangling.md: not a readable file (broken link",
    "locked.txt": "locked.txt: permission denied",
    "memory.txt": "memory.txt: cannot read",
    "garbage.txt": "garbage.txt: not UTF-8 text",
}


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of good and bad files."""
    if not shutil.which(AS_PLAIN_USER[0]):
        pytest.fail("setpriv (util-linux) is missing: apt-get install util-linux")
    root = tmp_path_factory.mktemp("awkward")
    docs = root / "docs"
    (docs / "notes").mkdir(parents=True)
    for name, text in GOOD.items():
        (docs / name).write_text(text, encoding="utf-8")
    (docs / "latin.txt").write_bytes("Le café coûte deux euros à Noël.".encode("cp1252"))
    (docs / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "folder.txt").mkdir()  # a directory named like a file
    os.mkfifo(docs / "pipe.txt")  # opening it would block until a writer comes: never opened
    (docs / "dangling.md").symlink_to(docs / "gone.md")
    (docs / "locked.txt").write_text("Nobody may read this.", encoding="utf-8")
    (docs / "locked.txt").chmod(0)
    (docs / "memory.txt").symlink_to("/proc/self/mem")  # a file even root cannot read (EIO)
    (docs / "garbage.txt").write_bytes(bytes(range(128, 256)) * 40 + b"\x81\x8d\x8f\x90\x9d" * 99)
    with (docs / "big.txt").open("w", encoding="utf-8") as big:
        big.write("The lighthouse at Skerryvore is one hundred and fifty-six feet tall. ")
        big.write(" " * (BIG_BYTES - 200))
        big.write("Its lamp was first lit in 1844.\n")
    return root


@pytest.fixture(scope="module")
def indexed(awkward: Path):  # type: ignore[no-untyped-def]
    """`qa index docs`, unable to read what its permission bits forbid."""
    return qa_command(
        "index",
        str(awkward / "docs"),
        data=awkward / "data",
        env={"QA_BUNDLED": "false"},
        timeout=600,  # a hang on the FIFO would fail here, not block the run
        prefix=AS_PLAIN_USER,
    )


def test_each_bad_file_gets_one_clear_line_and_the_exit_status_is_zero(indexed) -> None:  # type: ignore[no-untyped-def]
    assert indexed.returncode == 0, indexed.stderr
    assert "Traceback" not in indexed.stderr
    skipped = [line for line in indexed.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == len(BAD), indexed.stderr
    for name, message in BAD.items():
        assert [line for line in skipped if line.startswith(f"skipped {message}")], name
    assert "4 added, 0 updated, 0 unchanged, 8 failed" in indexed.stdout


def test_the_good_files_are_indexed_and_answer_questions(awkward: Path, indexed) -> None:  # type: ignore[no-untyped-def]
    assert indexed.returncode == 0
    env = {"QA_BUNDLED": "false"}
    sources = qa_command("sources", data=awkward / "data", env=env)
    names = [line.split("\t")[0] for line in sources.stdout.splitlines()]
    assert names == ["big.txt", "latin.txt", "notes/tides.txt", "owls.md"]
    asked = qa_command(
        "ask", "When was the lamp first lit?", "--json", data=awkward / "data", env=env
    )
    answer = json.loads(asked.stdout)
    assert answer["answered"] and "1844" in answer["answer"]
    [citation] = answer["citations"]
    assert citation["source"] == "big.txt" and citation["start"] > BIG_BYTES - 200


def test_a_folder_of_only_bad_files_exits_non_zero_with_one_line_each(awkward: Path) -> None:
    only_bad = awkward / "only-bad"
    only_bad.mkdir()
    (only_bad / "empty.md").write_bytes(b"")
    (only_bad / "zero.txt").write_bytes(b"\x00" * 10)
    result = qa_command("index", str(only_bad), data=awkward / "data-root")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("skipped")] == [
        "skipped empty.md: no text in file",
        "skipped zero.txt: looks like a binary file, not text",
    ]


def test_a_fifo_given_by_name_is_refused_without_waiting_for_a_writer(awkward: Path) -> None:
    result = qa_command("index", str(awkward / "docs" / "pipe.txt"), data=awkward / "data-fifo")
    assert result.returncode == 1
    assert "pipe.txt: not a readable file" in result.stderr
    assert "Traceback" not in result.stderr
