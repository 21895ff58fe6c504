"""Small real office documents for tests, written by the libraries that write them (python-docx,
python-pptx, odfdo) or by hand where the format is a zip of XHTML (EPUB) or text (RTF)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from html import escape


def docx_bytes(title: str, paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> bytes:
    """A Word document: a heading, paragraphs, then a table of the given rows."""
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes(title: str, paragraphs: Sequence[str], notes: str = "") -> bytes:
    """A presentation: one title-and-content slide holding the paragraphs as bullets."""
    from pptx import Presentation

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = title
    body = slide.placeholders[1].text_frame
    body.text = paragraphs[0]
    for paragraph in paragraphs[1:]:
        body.add_paragraph().text = paragraph
    if notes:
        slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def odt_bytes(title: str, paragraphs: Sequence[str]) -> bytes:
    """An OpenDocument text: a heading, then the paragraphs."""
    from odfdo import Document, Header, Paragraph

    document = Document("text")
    document.body.clear()
    document.body.append(Header(1, title))
    for paragraph in paragraphs:
        document.body.append(Paragraph(paragraph))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def epub_bytes(title: str, paragraphs: Sequence[str]) -> bytes:
    """An EPUB 3: a package file whose spine lists two chapters, the paragraphs split
    between them (the second chapter first in the zip, to show the spine's order is kept)."""
    half = max(1, len(paragraphs) // 2)
    chapters = [paragraphs[:half], paragraphs[half:]]

    def chapter(n: int, body: Sequence[str]) -> str:
        text = "".join(f"<p>{escape(p)}</p>" for p in body)
        heading = f"<h1>{escape(title)}</h1>" if n == 1 else ""
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{escape(title)}</title></head><body>{heading}{text}</body></html>"
        )

    package = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{escape(title)}'
        "</dc:title></metadata><manifest>"
        '<item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2" href="text/two.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="css" href="style.css" media-type="text/css"/>'
        '</manifest><spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>'
    )
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/book.opf", package)
        archive.writestr("OEBPS/text/two.xhtml", chapter(2, chapters[1]))
        archive.writestr("OEBPS/text/one.xhtml", chapter(1, chapters[0]))
        archive.writestr("OEBPS/style.css", "p { margin: 0 }")
    return out.getvalue()


def rtf_bytes(title: str, paragraphs: Sequence[str]) -> bytes:
    """An RTF document: a bold title, then the paragraphs, non-ASCII letters as escapes."""

    def escaped(text: str) -> str:
        out = []
        for ch in text:
            if ch in "\\{}":
                out.append("\\" + ch)
            elif ord(ch) < 128:
                out.append(ch)
            elif ord(ch) < 256:
                out.append(f"\\'{ord(ch):02x}")
            else:
                out.append(f"\\u{ord(ch)}?")
        return "".join(out)

    body = "".join(f"{escaped(p)}\\par\n" for p in paragraphs)
    return (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
        f"{{\\b {escaped(title)}}}\\par\n{body}}}"
    ).encode("ascii")


MAKERS: dict[str, Callable[[str, Sequence[str]], bytes]] = {
    ".docx": docx_bytes,
    ".pptx": pptx_bytes,
    ".odt": odt_bytes,
    ".epub": epub_bytes,
    ".rtf": rtf_bytes,
}
