"""Load .txt, .md, .html, .pdf and office documents (or whole folders) as plain text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import DocumentError
from index.markup import html_text
from index.office import OFFICE_SUFFIXES, office_text

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", *OFFICE_SUFFIXES)
# the types as people are told them, in messages and on the page
READABLE_TYPES = ".txt, .md, .html, .pdf, .docx, .pptx, .odt, .epub or .rtf"
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class SourceDocument:
    """The text of one source file, under the name it is indexed and cited by."""

    source: str
    path: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()


def find_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """Yield (file, source name) for each file, and each supported file under each folder.

    A file given directly is named by its file name; a file found in a folder by its path
    relative to that folder (``notes/a.md``). Missing paths raise DocumentError.
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix.lower() in SUPPORTED_SUFFIXES and not _hidden(found, path):
                    yield found, found.relative_to(path).as_posix()
        elif path.exists() or path.is_symlink():
            yield path, path.name
        else:
            raise DocumentError(f"{raw}: no such file or folder")


def _hidden(path: Path, root: Path) -> bool:
    """A dot file or folder, or the lock file an office program keeps beside an open
    document (``~$report.docx``)."""
    parts = path.relative_to(root).parts
    return any(part.startswith(".") for part in parts) or path.name.startswith("~$")


def load_document(path: Path, source: str | None = None) -> SourceDocument:
    """Read one file as text; raise DocumentError with a one-line reason if that is impossible."""
    name = source or path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise DocumentError(f"{name}: unsupported file type '{suffix}' (supported: {supported})")
    try:
        if not path.is_file():
            raise DocumentError(f"{name}: not a readable file (broken link or special file)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DocumentError(f"{name}: larger than {MAX_FILE_BYTES // 2**20} MB, not indexed")
        data = path.read_bytes()
    except PermissionError:
        raise DocumentError(f"{name}: permission denied") from None
    except OSError as exc:
        raise DocumentError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if suffix == ".pdf":
        text = _pdf_text(data, name)
    elif suffix in OFFICE_SUFFIXES:
        text = office_text(suffix, data, name)
    else:
        text = _decode(data, name)
        if suffix in (".html", ".htm"):
            text = html_text(text)
    if not text.strip():
        raise DocumentError(f"{name}: no text in file")
    return SourceDocument(source=name, path=str(path.resolve()), text=text)


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:65536]:
        raise DocumentError(f"{name}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
        if controls > len(text) // 100 or text.count("\ufffd") > len(text) // 100:
            raise DocumentError(
                f"{name}: not UTF-8 text and not readable as Windows-1252"
            ) from None
    return text


def _pdf_text(data: bytes, name: str) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{name}: unreadable PDF ({exc})") from None
    return "\n\n".join(page for page in pages if page)
