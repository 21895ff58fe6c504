"""Errors the assistant raises on purpose, each with a message a user can act on."""


class QAError(Exception):
    """Base class: the CLI prints the message on one line and exits non-zero."""


class QuestionError(QAError):
    """The question itself is unusable (empty, too long)."""


class SourceError(QAError):
    """A document could not be indexed, found or removed."""


class StoreUnavailable(QAError):
    """The Chroma store (folder or server) cannot be opened or reached."""


class LLMUnavailable(QAError):
    """The LLM server failed, timed out or sent something unreadable (the assistant falls back
    to the extractive answer)."""
