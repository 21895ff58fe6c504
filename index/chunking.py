"""Split text into sentences and sentence-aligned chunks that keep their offsets in the source."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one source, with its place in the source text."""

    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]


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
    """Group consecutive sentences of a paragraph into chunks of at most about max_chars."""
    chunks: list[Chunk] = []
    for para_start, para_end in paragraph_spans(text):
        group: list[tuple[int, int]] = []
        for span in split_sentences(text, para_start, para_end):
            if group and span[1] - group[0][0] > max_chars:
                chunks.append(_chunk(text, group))
                group = []
            group.append(span)
        if group:
            chunks.append(_chunk(text, group))
    return chunks


def _chunk(text: str, group: list[tuple[int, int]]) -> Chunk:
    start, end = group[0][0], group[-1][1]
    return Chunk(text=text[start:end], start=start, end=end, sentences=tuple(group))


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
