"""Errors raised while loading, indexing and storing documents."""


class IndexingError(Exception):
    """Base class for every error the index layer raises on purpose."""


class DocumentError(IndexingError):
    """A file that cannot be read as text (missing, binary, empty, unsupported)."""


class StoreError(IndexingError):
    """The Chroma store cannot be opened, read or written."""
