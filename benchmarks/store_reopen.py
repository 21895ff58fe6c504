"""What keeping a local store fresh costs: reading the folder's clock, and reopening Chroma's
embedded client after another process wrote (at 500, 10,000 and 50,000 vectors of 384 dims).

Usage: python benchmarks/store_reopen.py
"""

import sys
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from index.embedded import SharedClient

S = Settings(anonymized_telemetry=False)

for n in (500, 10_000, 50_000):
    path = tempfile.mkdtemp()
    client = chromadb.PersistentClient(path=path, settings=S)
    col = client.get_or_create_collection(
        "chunks", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    shared = SharedClient(Path(path), lambda client=client: client)
    rng = np.random.default_rng(0)
    for at in range(0, n, 5000):
        m = min(5000, n - at)
        col.add(
            ids=[f"id{at + i}" for i in range(m)],
            embeddings=rng.normal(size=(m, 384)).astype(np.float32),
            metadatas=[{"source": "s", "digest": "d"}] * m,
            documents=["text"] * m,
        )
    q = rng.normal(size=(1, 384)).astype(np.float32)
    col.query(query_embeddings=q, n_results=48)
    t = time.perf_counter()
    [shared.clock() for _ in range(200)]
    check = (time.perf_counter() - t) / 200 * 1000
    t = time.perf_counter()
    [
        col.query(query_embeddings=q, n_results=48, include=["metadatas", "documents", "distances"])
        for _ in range(20)
    ]
    steady = (time.perf_counter() - t) / 20 * 1000
    t = time.perf_counter()
    client.close()
    client = chromadb.PersistentClient(path=path, settings=S)
    col = client.get_collection("chunks")
    col.query(query_embeddings=q, n_results=48, include=["metadatas", "documents", "distances"])
    reopen = (time.perf_counter() - t) * 1000
    print(
        f"{n} vectors: clock check {check:.3f} ms, steady query {steady:.1f} ms, "
        f"reopen + first query {reopen:.0f} ms"
    )
    client.close()
