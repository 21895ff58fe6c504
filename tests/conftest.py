"""Shared fixtures: hermetic runs, the real bundled model, real Chroma stores in temp folders."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
DATA = ROOT / "tests" / "data"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: object) -> bool:
    """Whether a host (name or address) is this machine's loopback."""
    if host in (None, "", b"") or str(host).lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(connect: Any) -> Any:
    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise PermissionError(f"tests may not reach the network: {address!r} is not loopback")
        return connect(sock, address)

    return guarded


def _guarded_lookup(lookup: Any) -> Any:
    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host.decode() if isinstance(host, bytes) else host):
            raise PermissionError(f"tests may not reach the network: no lookup of {host!r}")
        return lookup(host, *args, **kwargs)

    return guarded


@pytest.fixture(scope="session", autouse=True)
def hermetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every run alike, whatever the machine holds: no QA_* settings, caches in a temp folder
    (the ONNX exports are made there first, as `make install` makes them), and no sockets
    beyond loopback in this process."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("QA_")]:
            patch.delenv(name)
        patch.setenv("XDG_CACHE_HOME", str(cache))
        patch.setenv("HF_HOME", str(cache / "huggingface"))
        patch.setenv("GRADIO_TEMP_DIR", str(cache / "gradio"))
        for module in ("index.onnx_encoder", "qa.reading.cross"):
            made = subprocess.run([sys.executable, "-m", module], cwd=ROOT, capture_output=True)
            if made.returncode:
                pytest.exit(f"python -m {module} failed: {made.stderr.decode()[-2000:]}", 1)
        patch.setattr(socket.socket, "connect", _guarded_connect(socket.socket.connect))
        patch.setattr(socket.socket, "connect_ex", _guarded_connect(socket.socket.connect_ex))
        patch.setattr(socket, "getaddrinfo", _guarded_lookup(socket.getaddrinfo))
        yield cache


@pytest.fixture(autouse=True)
def no_qa_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that sets a QA_* variable sets it for itself alone."""
    for name in [name for name in os.environ if name.startswith("QA_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once for the whole run."""
    from index import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def article_assistant(tmp_path_factory: pytest.TempPathFactory, embedder):  # type: ignore[no-untyped-def]
    """One assistant over the bundled article, shared by read-only tests."""
    from qa import build_assistant

    assistant = build_assistant(
        data_dir=tmp_path_factory.mktemp("article-store"), embedder=embedder
    )
    assistant.sources()  # indexes the bundled article
    return assistant


@pytest.fixture
def assistant(tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    """A fresh assistant over the bundled article in its own temp store."""
    from qa import build_assistant

    return build_assistant(data_dir=tmp_path / "store", embedder=embedder)


@pytest.fixture
def empty_assistant(tmp_path: Path, embedder):  # type: ignore[no-untyped-def]
    """A fresh assistant with an empty store (the bundled article is not indexed)."""
    from qa import build_assistant

    return build_assistant(data_dir=tmp_path / "store", bundled=False, embedder=embedder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port() -> Iterator[int]:
    yield free_port()
