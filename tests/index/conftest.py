"""A real `chroma run` server on 127.0.0.1, and a store fixture over both back ends.

Tests that take ``backend`` (or ``store_client``) run twice: against a Chroma folder in
``tmp_path`` and against a Chroma server started once per session by ``chroma_server``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from index import Embedder
from tests.conftest import free_port
from tests.servers import launch, stop

STARTUP_SECONDS = 60
_names = itertools.count()


def chroma_binary() -> str:
    """The `chroma` CLI installed beside this interpreter (the same chromadb package)."""
    beside = Path(sys.executable).with_name("chroma")
    found = str(beside) if beside.is_file() else shutil.which("chroma")
    if not found:
        raise RuntimeError("No `chroma` command: pip install chromadb (it ships `chroma run`)")
    return found


def start_chroma(path: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`chroma run` on a loopback port (a free one unless given), persisting into path; start
    it again with the same path and port to bring the same server back."""
    port = port or free_port()
    path.mkdir(parents=True, exist_ok=True)
    command = [chroma_binary(), "run", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    proc = launch(
        [*command, "--path", str(path / "db")],
        f"{url}/api/v2/heartbeat",
        path / f"chroma-{time.time_ns()}.log",
        {**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        STARTUP_SECONDS,
    )
    return proc, url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real Chroma server for the whole session, stopped at the end."""
    proc, url = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield url
    finally:
        stop(proc)


def unique_collection(prefix: str = "test") -> str:
    """A fresh collection name, so tests sharing the session's server never meet."""
    return f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture(params=["local", pytest.param("server", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Where a store lives: settings for an Assistant (data_dir, chroma_url, collection)."""
    if request.param == "server":
        url: str = request.getfixturevalue("chroma_server")
        return {"data_dir": tmp_path / "data", "chroma_url": url, "collection": unique_collection()}
    return {"data_dir": tmp_path / "data", "chroma_url": "", "collection": "documents"}


@pytest.fixture
def store_client(backend: dict[str, Any]) -> Callable[[], Any]:
    """Opens a Chroma client on the backend; each call is a new client (a new process would)."""
    from index import open_client

    def connect() -> Any:
        return open_client(backend["data_dir"], backend["chroma_url"] or None)

    return connect


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XDG cache folder into which the bundled model was exported (by a child process)."""
    home = tmp_path_factory.mktemp("cache-home")
    embedder = Embedder(engine="onnx", cache_dir=home / "qa" / "onnx")
    embedder.encode(["export me"])
    return home
