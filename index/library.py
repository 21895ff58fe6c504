"""The documents of one store: opening it, and indexing, rebuilding and removing under the
data folder's write lock (a Chroma server's writers coordinate through its manifest)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.embedding import Embedder
    from index.indexer import IndexReport, ProgressFactory
    from index.records import SourceRecord
    from index.store import Store


class Library:
    """One collection's documents, in a local data folder or on a Chroma server.

    The store opens on first use; when it holds nothing yet, the ``seed`` files are indexed
    (the bundled article). Locally, every write holds the folder's write lock and records the
    sources' paths beside the store, so a store that no longer opens can be rebuilt.
    """

    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder,
        url: str = "",
        collection: str = "documents",
        seed: Sequence[Path] = (),
    ) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.url = url
        self.collection = collection
        self.seed = tuple(seed)
        self._lock = threading.RLock()
        self._store: Store | None = None

    def __repr__(self) -> str:
        where = self.url or str(self.data_dir)
        return f"Library({where!r}, collection={self.collection!r})"

    @property
    def is_open(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> Store:
        """The open store (opened, and seeded when empty, on first use)."""
        with self._lock:
            if self._store is None:
                from index.opening import open_store

                self._store = store = open_store(self.data_dir, self.url or None, self.collection)
                records = store.sources()
                if self.seed and not records:
                    self._index(self.seed, None, False)
                elif any(record.terms < 0 for record in records):  # indexed by an older qa
                    self._add_missing_postings(store)
            return self._store

    def _add_missing_postings(self, store: Store) -> None:
        from index.locking import write_lock
        from index.scan import add_missing_postings

        held = write_lock(self.data_dir) if not self.url else contextlib.nullcontext()
        with held:
            add_missing_postings(store)

    def close(self) -> None:
        """Release the store; the next call opens it again."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None

    def sources(self) -> list[SourceRecord]:
        return self.store.sources()

    def source_text(self, source: str) -> str:
        """The full text a source's citations point into."""
        return self.store.source_text(source)

    def index(
        self,
        paths: Iterable[str | Path],
        progress: ProgressFactory | None = None,
        force: bool = False,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        """Add or update documents (files or folders); unchanged files are skipped. Another
        process indexing into the same data folder makes this one wait (``on_wait`` first)."""
        from index.loading import find_files

        paths = list(paths)
        list(find_files(paths))  # a missing path fails before anything loads
        with self._lock:
            self.store  # noqa: B018 - opens the store (and indexes the seed files)
            return self._index(paths, progress, force, on_wait)

    def _index(
        self,
        paths: Sequence[str | Path],
        progress: ProgressFactory | None,
        force: bool,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        from index.indexer import index_paths
        from index.locking import write_lock

        store = self._store
        assert store is not None
        if self.url:
            return index_paths(store, self.embedder, paths, progress, force)
        with write_lock(self.data_dir, on_wait):  # the only writer: no grace
            report = index_paths(store, self.embedder, paths, progress, force, 0.0)
            self._record_sources(store)
            return report

    def add(
        self, files: Sequence[tuple[str, bytes]], progress: ProgressFactory | None = None
    ) -> IndexReport:
        """Index uploaded files (name, bytes), kept in the data folder's ``uploads/`` so that a
        rebuild can read them again. A file that cannot be saved or read is reported as failed,
        and not kept; the others still index. An upload under a name already uploaded replaces
        it."""
        from index.errors import DocumentError
        from index.indexer import IndexReport
        from index.uploads import save_upload

        saved: list[Path] = []
        failed: list[tuple[str, str]] = []
        for name, data in files:
            try:
                saved.append(save_upload(self.data_dir, name, data))
            except DocumentError as exc:
                failed.append((name, str(exc)))
        report = self.index(saved, progress) if saved else IndexReport()
        if report.failed:  # e.g. a name that a file indexed from elsewhere holds: not kept
            indexed = {r.source: r.path for r in self.sources()}
            for path in saved:
                if indexed.get(path.name) != str(path.resolve()):
                    path.unlink(missing_ok=True)
        report.failed[:0] = failed
        return report

    def rebuild(
        self,
        paths: Iterable[str | Path] = (),
        progress: ProgressFactory | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> IndexReport:
        """Recreate the index from the sources' files (those indexed before, plus ``paths``).

        The new index is built beside the old one and swapped in when complete: in collections
        beside this collection's (the folder's or server's other collections stay as they are),
        or, for a local folder that does not open (damaged, or from another Chroma version), in
        a new folder. Sources whose file is gone are reported as failed."""
        from index.client import check_collection_name
        from index.loading import find_files
        from index.locking import write_lock

        check_collection_name(self.collection)  # before any folder is touched
        given = list(find_files(paths))  # (file, source name)
        with self._lock:
            known, opens = self._known_sources()
            files = {s: (Path(p), s) for s, p in known.items() if Path(p).is_file()}
            files.update((source, (path, source)) for path, source in given)
            missing = [
                (s, f"{s}: no file at {p} any more") for s, p in known.items() if s not in files
            ]
            if self.url:
                report = self._rebuild_collections(list(files.values()), progress)
            else:
                from index.rebuild import rebuild_folder

                with write_lock(self.data_dir, on_wait):
                    if opens:  # this collection alone: others in the folder stay as they are
                        report = self._rebuild_collections(list(files.values()), progress)
                        self._record_sources(self.store)
                    else:  # a folder that does not open is recreated whole
                        self.close()
                        report = rebuild_folder(
                            self.data_dir,
                            lambda new: self._build(new.name, list(files.values()), progress),
                        )
            report.failed[:0] = missing
            return report

    def remove(self, source: str) -> bool:
        """Drop a source and its chunks; False when no such source is indexed."""
        from index.locking import write_lock
        from index.uploads import is_upload

        store = self.store  # opened (and seeded) before the lock: seeding takes it too
        # locally, a rebuild running meanwhile would bring the source back
        held = write_lock(self.data_dir) if not self.url else contextlib.nullcontext()
        with held:
            path = next((r.path for r in store.sources() if r.source == source), "")
            if not store.remove(source):
                return False
            if not self.url:
                self._record_sources(store)
            if is_upload(self.data_dir, path):  # an uploaded file goes with its source
                Path(path).unlink(missing_ok=True)
            return True

    def _known_sources(self) -> tuple[dict[str, str], bool]:
        """Source -> path of what is indexed: from the store if it opens, else from the record
        kept beside it; and whether it opened."""
        from index.errors import StoreError
        from index.rebuild import recorded_sources

        try:
            return {r.source: r.path for r in self.store.sources()}, True
        except StoreError:
            self.close()
            return recorded_sources(self.data_dir, self.collection), False

    def _record_sources(self, store: Store) -> None:
        from index.rebuild import record_sources

        record_sources(self.data_dir, store.sources(), self.collection)

    def _build(
        self, folder_name: str, files: Sequence[tuple[Path, str]], progress: ProgressFactory | None
    ) -> IndexReport:
        from index.client import open_client
        from index.indexer import index_files
        from index.store import Store

        store = Store(open_client(self.data_dir, folder_name=folder_name), self.collection)
        try:
            report = index_files(store, self.embedder, files, progress, True, 0.0)
            self._record_sources(store)
            return report
        finally:
            store.close()

    def _rebuild_collections(
        self, files: Sequence[tuple[Path, str]], progress: ProgressFactory | None
    ) -> IndexReport:
        """Index every source into new collections beside the live ones, then swap them in."""
        from index.indexer import index_files
        from index.rebuild import rebuild_collections

        store = self.store

        def build(name: str) -> IndexReport:
            aside = store.beside(name)
            try:
                return index_files(aside, self.embedder, files, progress, True, 0.0)
            finally:
                aside.close()

        before = store.generation()
        report = rebuild_collections(
            store.client,
            store.name,
            build,
            lambda: store.generation() == before,
            session=store.exclusive,
        )
        self.close()  # the next call opens the swapped-in collections
        return report
