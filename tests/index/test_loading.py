"""Loading files: supported formats in, unreadable ones out with a one-line reason."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from index import DocumentError, find_files, load_document


def test_txt_md_html_and_pdf_load_as_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Plain text here.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\n\nSome *markdown*.", encoding="utf-8")
    (tmp_path / "c.html").write_text(
        "<html><head><title>T</title><script>var x=1;</script></head>"
        "<body><p>First <b>bold</b> para.</p><p>Second para.</p></body></html>",
        encoding="utf-8",
    )
    assert load_document(tmp_path / "a.txt").text == "Plain text here."
    assert "Some *markdown*." in load_document(tmp_path / "b.md").text
    html = load_document(tmp_path / "c.html").text
    assert "First bold para.\n\nSecond para." in html and "var x" not in html


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(_tiny_pdf("Hello from a PDF file."))
    assert "Hello from a PDF file." in load_document(pdf).text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "no text"),
        ("blank.md", b"   \n\n  ", "no text"),
        ("binary.txt", b"\x00\x01\x02PNG\x00", "binary"),
        ("image.png", b"\x89PNG", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
    ],
)
def test_unreadable_files_give_one_line_reasons(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    message = str(caught.value)
    assert reason in message and name in message and "\n" not in message


def test_windows_1252_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\xe9 au lait co\xfbte deux euros.".encode("cp1252"))
    assert load_document(path).text == "Café au lait coûte deux euros."


def test_unreadable_permissions() -> None:
    folder = Path(tempfile.mkdtemp(prefix="qa-perm-"))
    folder.chmod(0o755)
    path = folder / "secret.txt"
    path.write_text("x", encoding="utf-8")
    path.chmod(0)
    # root reads every file, so the load runs in a child that gives up root first
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        message = "loaded"
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            load_document(path)
        except DocumentError as exc:
            message = str(exc)
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(child, 0)
    assert message == "secret.txt: permission denied"


def test_folders_are_walked_and_missing_paths_reported(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "y.txt").write_text("y", encoding="utf-8")
    (tmp_path / "z.bin").write_bytes(b"z")
    assert [name for _path, name in find_files([tmp_path])] == ["sub/x.txt"]
    with pytest.raises(DocumentError, match="no such file"):
        list(find_files([tmp_path / "nope"]))
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    with pytest.raises(DocumentError, match="broken link"):
        load_document(tmp_path / "dangling.txt")


def _tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF holding text, written by hand (no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
