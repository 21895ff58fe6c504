"""Office documents as plain text: .docx, .pptx, .odt, .epub and .rtf, each read by a library
made for it (EPUB as the zipped XHTML it is), one paragraph per block, blank lines between.
Headings are written as Markdown's ("## Budget"), so that they become their sections' context
(index.chunking), never passages of their own.

The text is what qa indexes and cites: citations are offsets into it, as they are into the
text of an HTML page or a PDF. Bad files raise DocumentError with a one-line reason.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote

from index.errors import DocumentError
from index.markup import html_text

OFFICE_SUFFIXES = (".docx", ".pptx", ".odt", ".epub", ".rtf")
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # what a zipped document may unpack to
_HTML_TYPES = ("application/xhtml+xml", "text/html")


def office_text(suffix: str, data: bytes, name: str) -> str:
    """The plain text of a document of one of OFFICE_SUFFIXES, given as its bytes."""
    if suffix == ".rtf":
        return _rtf_text(data, name)
    archive = open_zip(data, name, suffix)
    readers: dict[str, Callable[[bytes], Iterable[str]]] = {
        ".docx": _docx_blocks,
        ".pptx": _pptx_blocks,
        ".odt": _odt_blocks,
    }
    try:
        if suffix == ".epub":
            return _epub_text(archive)
        return paragraphs(readers[suffix](data))
    except DocumentError:
        raise
    except Exception as exc:  # a damaged file makes its parser fail in many ways
        raise DocumentError(f"{name}: unreadable {suffix} file ({_one_line(exc)})") from None


def paragraphs(blocks: Iterable[str]) -> str:
    """Blocks joined as paragraphs: the lines of each with their whitespace collapsed, empty
    lines and empty blocks left out."""
    out = []
    for block in blocks:
        lines = (" ".join(line.split()) for line in block.splitlines())
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(text)
    return "\n\n".join(out)


def open_zip(data: bytes, name: str, suffix: str) -> zipfile.ZipFile:
    """The document's zip archive; DocumentError when it is none, or unpacks too large."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise DocumentError(f"{name}: not a {suffix} file (it is not a zip archive)") from None
    if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
        limit = MAX_UNZIPPED_BYTES // 2**20
        raise DocumentError(f"{name}: unpacks to more than {limit} MB, not indexed")
    return archive


def heading(level: int, title: str) -> str:
    """A heading as a Markdown line (levels past 6 as 6)."""
    return f"{'#' * min(max(level, 1), 6)} {' '.join(title.split())}" if title.strip() else ""


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _row(cells: Iterable[str]) -> str:
    """A table row as one line, its cells' texts joined by " | " (a merged cell once)."""
    texts = [" ".join(cell.split()) for cell in cells]
    return " | ".join(t for i, t in enumerate(texts) if t and t not in texts[:i])


def _docx_blocks(data: bytes) -> Iterator[str]:
    from docx import Document
    from docx.table import Table

    def blocks(container: Any) -> Iterator[str]:
        for item in container.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    yield _row(cell.text for cell in row.cells)
                continue
            style = (item.style.name or "").lower() if item.style is not None else ""
            if style == "title" or style.startswith("heading"):
                digits = "".join(ch for ch in style if ch.isdigit())
                yield heading(int(digits) if digits else 1, item.text)
            else:
                yield item.text

    yield from blocks(Document(io.BytesIO(data)))


def _pptx_blocks(data: bytes) -> Iterator[str]:
    from pptx import Presentation

    def shapes(group: Any) -> Iterator[Any]:
        for shape in group:
            if hasattr(shape, "shapes"):  # a group of shapes
                yield from shapes(shape.shapes)
            else:
                yield shape

    for slide in Presentation(io.BytesIO(data)).slides:
        title = slide.shapes.title
        for shape in shapes(slide.shapes):
            if title is not None and shape.shape_id == title.shape_id:
                yield heading(1, shape.text_frame.text)  # the slide's title heads its bullets
            elif shape.has_text_frame:  # a slide's bullets: one line each, one block a shape
                yield "\n".join(p.text for p in shape.text_frame.paragraphs)
            elif getattr(shape, "has_table", False):
                for row in shape.table.rows:
                    yield _row(cell.text for cell in row.cells)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            yield slide.notes_slide.notes_text_frame.text


def _odt_blocks(data: bytes) -> Iterator[str]:
    from odfdo import Document

    def blocks(element: Any) -> Iterator[str]:
        for child in element.children:
            if child.tag == "text:h":
                level = child.get_attribute_integer("text:outline-level")
                yield heading(level or 1, str(child))
            elif child.tag == "text:p":
                yield str(child)
            elif child.tag == "table:table-row":
                yield _row(str(cell) for cell in child.children)
            elif child.tag not in ("office:forms", "text:sequence-decls", "office:annotation"):
                yield from blocks(child)

    yield from blocks(Document(io.BytesIO(data)).body)


def _epub_text(archive: zipfile.ZipFile) -> str:
    """The chapters in reading order (the package's spine), each read by the HTML loader."""
    chapters = [
        html_text(archive.read(path), head=False, headings=True) for path in _epub_spine(archive)
    ]
    return "\n\n".join(chapter for chapter in chapters if chapter)


def _epub_spine(archive: zipfile.ZipFile) -> list[str]:
    """The paths of an EPUB's XHTML documents in reading order: from its package file's spine,
    or, without one, every XHTML file in the archive in name order."""
    import xml.etree.ElementTree as ET

    names = set(archive.namelist())
    try:
        container = ET.fromstring(archive.read("META-INF/container.xml"))
        rootfile = container.find(".//{*}rootfile")
        package = str(rootfile.get("full-path", "")) if rootfile is not None else ""
        opf = ET.fromstring(archive.read(package))
    except (KeyError, ET.ParseError):
        return sorted(n for n in names if n.lower().endswith((".xhtml", ".html", ".htm")))
    folder = posixpath.dirname(package)
    items = {
        item.get("id"): (item.get("href", ""), item.get("media-type", ""))
        for item in opf.iterfind(".//{*}manifest/{*}item")
    }
    spine = []
    for ref in opf.iterfind(".//{*}spine/{*}itemref"):
        href, media = items.get(ref.get("idref"), ("", ""))
        path = posixpath.normpath(posixpath.join(folder, unquote(href.split("#")[0])))
        if media in _HTML_TYPES and path in names and path not in spine:
            spine.append(path)
    return spine


def _rtf_text(data: bytes, name: str) -> str:
    from striprtf import striprtf

    rtf_to_text: Callable[..., str] = striprtf.rtf_to_text  # the library has no annotations
    text = data.decode("latin-1")  # RTF is 7-bit; other code pages come as \'hh escapes
    if not text.lstrip("\ufeff\r\n\t ").startswith("{\\rtf"):
        raise DocumentError(f"{name}: not an .rtf file (it does not begin with {{\\rtf)")
    try:
        plain = rtf_to_text(text, errors="replace")
    except Exception as exc:
        raise DocumentError(f"{name}: unreadable .rtf file ({_one_line(exc)})") from None
    return paragraphs(plain.splitlines())
