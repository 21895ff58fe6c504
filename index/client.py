"""Opening a Chroma client, the names of a store's collections, and one-line store errors."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from index.errors import StoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

DEFAULT_COLLECTION = "documents"
CHROMA_FOLDER = "chroma"


def _disable_telemetry() -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_client(
    data_dir: str | Path | None = None, url: str | None = None, folder_name: str = CHROMA_FOLDER
) -> ClientAPI:
    """A Chroma client: a server when url is given, else the local store in
    ``data_dir/folder_name`` (created if missing)."""
    settings = _disable_telemetry()
    import chromadb

    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise StoreError(f"Bad Chroma URL '{url}': expected http://host:port")
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        except Exception as exc:
            reason = error_line(exc)
            raise StoreError(f"Cannot reach the Chroma server at {url}: {reason}") from None
    if data_dir is None:
        raise StoreError("No data folder given for the local store")
    folder = make_data_folder(Path(data_dir))
    try:
        return chromadb.PersistentClient(path=str(folder / folder_name), settings=settings)
    except Exception as exc:
        raise StoreError(broken_store_message(folder, exc)) from None


def make_data_folder(data_dir: Path) -> Path:
    """The data folder, made if missing, or a StoreError that says how to point elsewhere."""
    folder = data_dir.expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the data folder {folder} ({exc.strerror}): "
            "point --data-dir or QA_DATA_DIR at a writable folder"
        ) from None
    return folder


def broken_store_message(data_dir: Path, exc: BaseException) -> str:
    """What to say when the local Chroma folder is corrupted or from another Chroma version."""
    return (
        f"The store in {data_dir / CHROMA_FOLDER} is damaged or from another Chroma version "
        f"({error_line(exc)}); recreate it from the sources with `qa index --rebuild`"
    )


_COLLECTION_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9._-]{1,493}[a-zA-Z0-9])?")


def check_collection_name(name: str) -> None:
    """Refuse a collection name Chroma would not take (with the suffixes this store adds), or
    one holding "__", which marks the store's own collections."""
    if not _COLLECTION_NAME.fullmatch(name) or len(name) < 3 or "__" in name:
        raise StoreError(
            f"Invalid collection name {name!r}: use 3 to 495 letters, digits, '.', '_' or '-' "
            "(no '__'), starting and ending with a letter or digit"
        )


def collection_names(name: str) -> tuple[str, str]:
    """The Chroma collections a Store of this name uses: its chunks and its manifest."""
    return name, f"{name}__sources"


def collection_gone(exc: BaseException) -> bool:
    """Whether a Chroma call failed because its collection no longer exists (a rebuild
    renamed another in under its name)."""
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


def collection_replaced(client: ClientAPI, held: Sequence[Any]) -> bool:
    """Whether a held collection's name now belongs to another collection, or to none (a
    rebuild in another process renamed its own in, or is between its renames)."""
    try:
        return any(client.get_collection(c.name, embedding_function=None).id != c.id for c in held)
    except Exception as exc:  # gone (between a rebuild's renames), or an unreachable server
        return collection_gone(exc)


def store_failure(exc: BaseException, url: str, folder: Path | None) -> StoreError:
    """The one-line error for a failed call on a store (a server's, or a local folder's)."""
    if url:
        return StoreError(f"The Chroma server at {url} failed or is unreachable: {error_line(exc)}")
    hint = "; if it persists, rebuild it with `qa index --rebuild`" if folder else ""
    return StoreError(f"The Chroma store failed: {error_line(exc)}{hint}")


def error_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none), for one-line errors."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


RENAME_WAIT_S = 2.0  # a rebuild's renames take milliseconds; a name gone longer is gone


def renamed_in(client: ClientAPI, *names: str) -> list[Collection]:
    """The collections of these names, waiting out a rebuild that is between its renames
    (the live names went aside and the new ones are not in yet) rather than failing."""
    deadline = time.monotonic() + RENAME_WAIT_S
    while True:
        try:
            return [client.get_collection(name, embedding_function=None) for name in names]
        except Exception as exc:
            if not collection_gone(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
