"""Errors the assistant raises on purpose, each with a message a user can act on."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class QAError(Exception):
    """Base class: the CLI prints the message on one line and exits non-zero."""


class QuestionError(QAError):
    """The question itself is unusable (empty, too long)."""


class SourceError(QAError):
    """A document could not be indexed, found or removed."""


class UploadRefused(SourceError):
    """An upload this server does not take: uploads off, too many files, too often."""


class StoreUnavailable(QAError):
    """The Chroma store (folder or server) cannot be opened or reached."""


class LLMUnavailable(QAError):
    """The LLM server failed, timed out or sent something unreadable (the assistant falls back
    to the extractive answer)."""


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Turn the index layer's errors into the assistant's own."""
    from index import DocumentError, IndexingError, StoreError

    try:
        yield
    except DocumentError as exc:
        raise SourceError(str(exc)) from exc
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from exc
    except IndexingError as exc:
        raise QAError(str(exc)) from exc
