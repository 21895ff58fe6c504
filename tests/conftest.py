"""Shared fixtures: the real bundled model, real Chroma stores in temp folders."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once for the whole run."""
    from index import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def article_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One assistant over the bundled article, shared by read-only tests."""
    from qa import Assistant

    assistant = Assistant(data_dir=tmp_path_factory.mktemp("article-store"))
    assistant.sources()  # indexes the bundled article
    return assistant


@pytest.fixture
def assistant(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh assistant over the bundled article in its own temp store."""
    from qa import Assistant

    return Assistant(data_dir=tmp_path / "store")


@pytest.fixture
def empty_assistant(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh assistant with an empty store (the bundled article is not indexed)."""
    from qa import Assistant

    return Assistant(data_dir=tmp_path / "store", bundled=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port() -> Iterator[int]:
    yield free_port()
