"""A store as a rebuildable cache: where its sources came from, and a rebuild that swaps the new
index in only once it is complete (a folder on disk, collections on a Chroma server)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from index.client import CHROMA_FOLDER, DEFAULT_COLLECTION, collection_names, error_line
from index.errors import StoreError
from index.records import SourceRecord

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

SOURCES_FILE = "sources.json"
_NEW = f"{CHROMA_FOLDER}.rebuild"
_OLD = f"{CHROMA_FOLDER}.old"
T = TypeVar("T")


def sources_file(data_dir: Path, collection: str = DEFAULT_COLLECTION) -> Path:
    """Where a collection's source paths are recorded (one file per collection)."""
    name = SOURCES_FILE if collection == DEFAULT_COLLECTION else f"sources.{collection}.json"
    return data_dir / name


def record_sources(
    data_dir: Path, records: Sequence[SourceRecord], collection: str = DEFAULT_COLLECTION
) -> None:
    """Remember each indexed source's path beside the store, so a broken store can be rebuilt."""
    listing = {record.source: record.path for record in records}
    target = sources_file(data_dir, collection)
    temporary = data_dir / f".{target.name}.{os.getpid()}"
    temporary.write_text(json.dumps(listing, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)


def recorded_sources(data_dir: Path, collection: str = DEFAULT_COLLECTION) -> dict[str, str]:
    """Source name -> path, as last recorded (empty when never recorded or unreadable)."""
    try:
        listing = json.loads(sources_file(data_dir, collection).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(listing, dict):
        return {}
    return {str(source): str(path) for source, path in listing.items()}


def recover(data_dir: Path) -> None:
    """Finish or undo a rebuild that stopped between its two renames (readers call it before
    they open the folder, so none creates an empty store in its place)."""
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
    try:
        if live.exists():
            live.rename(data_dir / _OLD)
        fresh.rename(live)
    except OSError as exc:  # a reader put the old folder back in between (see recover)
        reason = f"The rebuilt store could not be swapped in ({exc}); run the rebuild again"
        raise StoreError(reason) from None
    with contextlib.suppress(OSError):
        shutil.rmtree(data_dir / _OLD)
    return result


# one collection (on a Chroma server, or in a folder that opens): renamed instead of folders


def _aside(name: str, kind: str) -> tuple[str, ...]:
    return collection_names(f"{name}__{kind}")


def _existing(client: ClientAPI) -> set[str]:
    return {collection.name for collection in client.list_collections()}


def recover_collections(client: ClientAPI, name: str) -> None:
    """Finish or undo a rebuild that stopped between its renames: a collection that went
    aside as old comes back if nothing took its name, else it goes."""
    found = _existing(client)
    for live, old in zip(collection_names(name), _aside(name, "old"), strict=True):
        if old in found and live not in found:
            client.get_collection(old, embedding_function=None).modify(name=live)
        elif old in found:
            client.delete_collection(old)


def rebuild_collections(
    client: ClientAPI,
    name: str,
    build: Callable[[str], T],
    unchanged: Callable[[], bool] = lambda: True,
    session: Callable[[], AbstractContextManager[ClientAPI]] | None = None,
) -> T:
    """Build a new index with ``build(store_name)`` in collections beside the live ones, then
    rename them in; the old ones go last.

    Readers keep the old index until the renames (a few requests' time); a build that fails
    or is killed leaves it as it was, and the next rebuild starts its collections anew. When
    ``unchanged()`` says the live index was written meanwhile (another writer on a server),
    nothing is swapped in: that writer's work would be lost. ``session`` gives the client
    for each step that renames or deletes (a local store's, with no other process writing).
    """
    opened = session or (lambda: contextlib.nullcontext(client))
    try:
        with opened() as client:
            _clear_aside(client, name)
    except Exception as exc:
        reason = error_line(exc)
        raise StoreError(f"Cannot start the rebuild: {reason}") from exc
    result = build(f"{name}__rebuild")
    with opened() as client:
        _swap(client, name, unchanged)
    return result


def _clear_aside(client: ClientAPI, name: str) -> None:
    recover_collections(client, name)
    found = _existing(client)
    for stale in _aside(name, "rebuild"):
        if stale in found:
            client.delete_collection(stale)


def _swap(client: ClientAPI, name: str, unchanged: Callable[[], bool]) -> None:
    if not unchanged():
        for new in _aside(name, "rebuild"):
            with contextlib.suppress(Exception):
                client.delete_collection(new)
        raise StoreError(
            "The index changed while it was rebuilt (another process wrote to it): "
            "nothing was swapped in; run the rebuild again"
        )
    try:
        found = _existing(client)
        for live, old in zip(collection_names(name), _aside(name, "old"), strict=True):
            if live in found:
                client.get_collection(live, embedding_function=None).modify(name=old)
        for new, live in zip(_aside(name, "rebuild"), collection_names(name), strict=True):
            client.get_collection(new, embedding_function=None).modify(name=live)
    except Exception as exc:
        raise StoreError(
            f"The rebuilt index could not be swapped in ({error_line(exc)}); run the rebuild again"
        ) from exc
    for old in _aside(name, "old"):
        with contextlib.suppress(Exception):
            client.delete_collection(old)
