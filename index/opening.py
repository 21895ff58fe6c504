"""Opening a Store by where it lives, after finishing or undoing an interrupted rebuild."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from index.client import CHROMA_FOLDER, DEFAULT_COLLECTION, check_collection_name, open_client
from index.embedded import shared_client
from index.rebuild import recover, recover_collections
from index.store import Store

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


def open_store(
    data_dir: str | Path | None = None,
    url: str | None = None,
    name: str = DEFAULT_COLLECTION,
) -> Store:
    """A Store on a Chroma server (url) or in a local data folder.

    A local store shares this process's client of the folder, reopened whenever another
    process has written to it, since Chroma's embedded client keeps answering queries from
    the vectors it loaded (see ``index.embedded``).
    """
    check_collection_name(name)
    if url:
        client = open_client(url=url)
        with contextlib.suppress(Exception):  # an unreachable server: Store says so below
            recover_collections(client, name)
        return Store(client, name, url=url)

    folder = Path(str(data_dir)).expanduser()

    def reopen() -> ClientAPI:  # after a rebuild's renames, never into the gap between them
        with contextlib.suppress(OSError):
            recover(folder)
        return open_client(folder)

    return Store(None, name, folder, shared=shared_client(folder / CHROMA_FOLDER, reopen))
