"""Split text into sentences and sentence-aligned chunks that keep their offsets in the source.

A Markdown heading is no sentence: it is the context of its section's chunks (their
``heading``, embedded and searched with them), never a chunk or an answer of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

MAX_SENTENCE_CHARS = 340
CHUNK_CHARS = 600

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st sr jr gen col lt sgt capt cmdr adm gov sen rep pres rev hon mt ft
    vs etc inc ltd co corp dept univ est approx ca cf no nos vol pp fig al jan feb mar apr jun
    jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    """.split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’»)\]]*(?=\s)""")
_NEXT_START = re.compile(r"""\s+["'“‘«(\[]*[\w¿¡@#$€£]""")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n|\r\r")
_LINE = re.compile(r"\r?\n|\r")
# Markdown headings: "## Title ##" (ATX), or a paragraph's first line underlined (setext)
_ATX = re.compile(r"[ \t]{0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*")
_UNDERLINE = re.compile(r"[ \t]{0,3}(={2,}|-{2,})[ \t]*")
_FENCE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one source, with its place in the source text."""

    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    heading: str = ""  # the titles of the sections it is in, outermost first, one a line


class Headed(Protocol):
    """A chunk as written (Chunk) or read back (index.records.StoredChunk)."""

    @property
    def text(self) -> str: ...
    @property
    def heading(self) -> str: ...


def searchable(chunk: Headed) -> str:
    """What a chunk is embedded and searched as: its section's headings, then its text."""
    return f"{chunk.heading}\n\n{chunk.text}" if chunk.heading else chunk.text


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: its span in the text (marks and underline included), its level
    and its title."""

    start: int
    end: int
    level: int
    title: str


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences in text[start:end], whitespace trimmed.

    Every span is a slice of the original text: nothing is normalised, so offsets stay exact
    whatever the text holds (quotes, tweets, CRLF line ends, no full stops at all).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para_start, para_end in _blocks(text, start, end, _PARAGRAPH):
        for line_start, line_end in _lines(text, para_start, para_end):
            spans.extend(_split_block(text, line_start, line_end))
    return spans


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the blank-line separated paragraphs, whitespace trimmed."""
    return [
        span
        for span in (_trim(text, s, e) for s, e in _blocks(text, 0, len(text), _PARAGRAPH))
        if span[0] < span[1]
    ]


def chunk_text(text: str, max_chars: int = CHUNK_CHARS) -> list[Chunk]:
    """Group consecutive sentences of a paragraph into chunks of at most about max_chars.

    Markdown headings are left out of the chunks and given to their section's chunks as
    their ``heading``; a text of headings alone is chunked as text.
    """
    marks = headings(text)
    chunks = _chunks(text, max_chars, marks)
    return chunks if chunks or not marks else _chunks(text, max_chars, [])


def _chunks(text: str, max_chars: int, marks: list[Heading]) -> list[Chunk]:
    chunks: list[Chunk] = []
    path: list[Heading] = []  # the headings the text is under, outermost first
    at = 0
    for para_start, para_end in paragraph_spans(text):
        position = para_start
        while at < len(marks) and marks[at].start < para_end:
            mark = marks[at]
            chunks.extend(_group(text, position, mark.start, max_chars, _context(path)))
            path = [h for h in path if h.level < mark.level] + [mark]
            position = max(position, mark.end)
            at += 1
        chunks.extend(_group(text, position, para_end, max_chars, _context(path)))
    return chunks


def _context(path: list[Heading]) -> str:
    return "\n".join(h.title for h in path if h.title)


def _group(text: str, start: int, end: int, max_chars: int, heading: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    group: list[tuple[int, int]] = []
    for span in split_sentences(text, start, end) if start < end else []:
        if group and span[1] - group[0][0] > max_chars:
            chunks.append(_chunk(text, group, heading))
            group = []
        group.append(span)
    if group:
        chunks.append(_chunk(text, group, heading))
    return chunks


def headings(text: str) -> list[Heading]:
    """The Markdown headings of a text, in order: "# Title" lines, and a paragraph's first
    line underlined with "===" or "---" (one that ends with a full stop is taken for prose
    over a rule). Lines in fenced code blocks are not headings."""
    found: list[Heading] = []
    fence = ""
    previous: tuple[int, int] | None = None  # the line before, when it began a paragraph
    blank = True  # whether the line before was blank
    for line_start, line_end in _blocks(text, 0, len(text), _LINE):
        line = text[line_start:line_end]
        opening = _FENCE.match(line)
        if fence or opening:
            if not fence and opening:
                fence = opening.group(1)[0] * 3
            elif line.strip().startswith(fence):
                fence = ""
            previous, blank = None, False
            continue
        atx = _ATX.fullmatch(line)
        underline = _UNDERLINE.fullmatch(line)
        if atx:
            title = " ".join((atx.group(2) or "").split())
            found.append(Heading(line_start, line_end, len(atx.group(1)), title))
        elif underline and previous is not None:
            title = " ".join(text[previous[0] : previous[1]].split())
            if not title.endswith(".") and title[:1] not in "-*+>|":
                level = 1 if underline.group(1)[0] == "=" else 2
                found.append(Heading(previous[0], line_end, level, title))
        is_blank = not line.strip()
        previous = (line_start, line_end) if blank and not is_blank and not atx else None
        blank = is_blank
    return found


def _chunk(text: str, group: list[tuple[int, int]], heading: str = "") -> Chunk:
    start, end = group[0][0], group[-1][1]
    return Chunk(text[start:end], start, end, tuple(group), heading)


def _blocks(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    blocks = []
    position = start
    for match in separator.finditer(text, start, end):
        blocks.append((position, match.start()))
        position = match.end()
    blocks.append((position, end))
    return blocks


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Lines of a paragraph, joined back where a line break only wraps a sentence."""
    lines = _blocks(text, start, end, _LINE)
    if len(lines) == 1:
        return lines
    merged = [lines[0]]
    for line_start, line_end in lines[1:]:
        previous = text[merged[-1][0] : merged[-1][1]].rstrip()
        current = text[line_start:line_end].lstrip()
        if _wraps(previous, current):
            merged[-1] = (merged[-1][0], line_end)
        else:
            merged.append((line_start, line_end))
    return merged


def _wraps(previous: str, current: str) -> bool:
    """True when a line break sits inside a sentence (hard-wrapped prose)."""
    if not previous or not current:
        return False
    if previous[-1] in '.!?:;…"”' or current[0] in "-*•#>|+0123456789":
        return False
    return current[0].islower() or previous[-1] in ",(" or len(previous) > 60


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    start, end = _trim(text, start, end)
    if start >= end:
        return []
    spans = []
    position = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if not _NEXT_START.match(text, cut, end) or _is_abbreviation(text, start, match.start()):
            continue
        following = text[cut:end].lstrip()
        if following[:1].islower():
            continue
        spans.append(_trim(text, position, cut))
        position = cut
    spans.append(_trim(text, position, end))
    return [piece for span in spans if span[0] < span[1] for piece in _limit(text, *span)]


def _is_abbreviation(text: str, block_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > block_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("\"'“‘([")
    if not word:
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # an initial: "J. Smith"
    if "." in word and all(len(part) <= 2 for part in word.split(".")):
        return True  # "U.S", "e.g", "a.m"
    return word.lower() in _ABBREVIATIONS


def _limit(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at clause breaks, then at spaces, so citations stay short."""
    if end - start <= MAX_SENTENCE_CHARS:
        return [(start, end)]
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text[start : start + MAX_SENTENCE_CHARS]
        cut = -1
        for marks in ("; ", ": ", ", ", " — ", " "):
            found = window.rfind(marks, MAX_SENTENCE_CHARS // 3)
            if found > 0:
                cut = start + found + len(marks.rstrip())
                break
        if cut <= start:
            cut = start + MAX_SENTENCE_CHARS
        piece = _trim(text, start, cut)
        if piece[0] < piece[1]:
            pieces.append(piece)
        start = _trim(text, cut, end)[0]
    if start < end:
        pieces.append((start, end))
    return pieces


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
