"""HTML as plain text: one paragraph per block element, scripts and styles left out."""

from __future__ import annotations

import re

_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "td",
    "th",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "hr",
    "title",
)


def html_text(markup: str | bytes, head: bool = True, headings: bool = False) -> str:
    """The text of an HTML (or XHTML) page, its blocks as paragraphs separated by blank lines
    and the whitespace inside each collapsed. ``head=False`` leaves out the page's <head>
    (an EPUB chapter's title repeats the book's); ``headings=True`` writes <h1>-<h6> as
    Markdown headings ("## Budget"), to be their sections' context (index.chunking)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    unwanted = ["script", "style", "noscript", "template"] + ([] if head else ["head"])
    for tag in soup(unwanted):
        tag.decompose()
    for tag in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]) if headings else []:
        if tag.get_text().strip():
            tag.insert(0, "#" * int(tag.name[1]) + " ")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", soup.get_text()))
    return "\n\n".join(p for p in paragraphs if p)
