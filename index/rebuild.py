"""The local store as a rebuildable cache: where its sources came from, and an atomic rebuild."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from index.store import CHROMA_FOLDER, SourceRecord

SOURCES_FILE = "sources.json"
_NEW = f"{CHROMA_FOLDER}.rebuild"
_OLD = f"{CHROMA_FOLDER}.old"
T = TypeVar("T")


def record_sources(data_dir: Path, records: Sequence[SourceRecord]) -> None:
    """Remember each indexed source's path beside the store, so a broken store can be rebuilt."""
    listing = {record.source: record.path for record in records}
    temporary = data_dir / f".{SOURCES_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(listing, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, data_dir / SOURCES_FILE)


def recorded_sources(data_dir: Path) -> dict[str, str]:
    """Source name -> path, as last recorded (empty when never recorded or unreadable)."""
    try:
        listing = json.loads((data_dir / SOURCES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(listing, dict):
        return {}
    return {str(source): str(path) for source, path in listing.items()}


def recover(data_dir: Path) -> None:
    """Finish or undo a rebuild that stopped between its two renames."""
    live, old = data_dir / CHROMA_FOLDER, data_dir / _OLD
    if old.exists() and not live.exists():
        old.rename(live)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)


def rebuild_folder(data_dir: Path, build: Callable[[Path], T]) -> T:
    """Build a new store with ``build(folder)`` beside the live one, then swap it in.

    Until the swap, readers keep the old store (even a broken one); a build that fails or is
    killed leaves the live store as it was. The caller holds the data folder's write lock.
    """
    recover(data_dir)
    fresh = data_dir / _NEW
    shutil.rmtree(fresh, ignore_errors=True)
    result = build(fresh)
    live = data_dir / CHROMA_FOLDER
    if live.exists():
        live.rename(data_dir / _OLD)
    fresh.rename(live)
    with contextlib.suppress(OSError):
        shutil.rmtree(data_dir / _OLD)
    return result
