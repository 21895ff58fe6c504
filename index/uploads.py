"""Uploaded files, kept in the data folder's ``uploads/`` under safe names and written whole."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from index.errors import DocumentError
from index.loading import SUPPORTED_SUFFIXES

UPLOADS_FOLDER = "uploads"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def upload_name(raw: str) -> str:
    """The name an upload is kept and cited by: its base name (a browser or client may send a
    path); DocumentError when nothing usable is left or its type is not one qa reads."""
    name = _UNSAFE.sub("", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name or name.startswith("."):
        raise DocumentError(f"{raw!r}: not a usable file name")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise DocumentError(f"{name}: unsupported file type '{suffix}' (supported: {supported})")
    return name


def uploads_folder(data_dir: Path) -> Path:
    return data_dir / UPLOADS_FOLDER


def save_upload(data_dir: Path, name: str, data: bytes) -> Path:
    """Write an upload to ``uploads/name`` once it is known to be readable, in one step: an
    unreadable file replaces nothing, and a killed writer leaves only a hidden part file."""
    from index.loading import load_document

    folder = uploads_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / upload_name(name)
    part = folder / f".{os.getpid()}.{threading.get_ident()}.{target.name}"  # keeps its suffix
    try:
        part.write_bytes(data)
        load_document(part, target.name)  # DocumentError with its reason when unreadable
        os.replace(part, target)
    except OSError as exc:
        raise DocumentError(f"{target.name}: cannot be saved ({exc.strerror or exc})") from None
    finally:
        part.unlink(missing_ok=True)
    return target


def is_upload(data_dir: Path, path: str) -> bool:
    """Whether a source's recorded path is a file kept in the uploads folder."""
    try:
        return Path(path).resolve().parent == uploads_folder(data_dir).resolve()
    except OSError:
        return False
