"""Loading, chunking, embedding and storing documents for qa."""

from index.chunking import Chunk, chunk_text, paragraph_spans, split_sentences
from index.client import check_collection_name, open_client
from index.embedding import Embedder
from index.errors import DocumentError, IndexingError, StoreError
from index.indexer import IndexReport, index_document, index_files, index_paths
from index.loading import SourceDocument, find_files, load_document
from index.locking import write_lock
from index.model_files import bundled_model_path
from index.opening import open_store
from index.rebuild import (
    rebuild_collections,
    rebuild_folder,
    record_sources,
    recorded_sources,
)
from index.records import SourceRecord, StoredChunk
from index.store import Store

__all__ = [
    "Chunk",
    "DocumentError",
    "Embedder",
    "IndexReport",
    "IndexingError",
    "SourceDocument",
    "SourceRecord",
    "Store",
    "StoreError",
    "StoredChunk",
    "bundled_model_path",
    "check_collection_name",
    "chunk_text",
    "find_files",
    "index_document",
    "index_files",
    "index_paths",
    "load_document",
    "open_client",
    "open_store",
    "paragraph_spans",
    "rebuild_collections",
    "rebuild_folder",
    "record_sources",
    "recorded_sources",
    "split_sentences",
    "write_lock",
]
