"""Every test runs hermetically: no QA_* settings, caches in a temp folder, loopback only."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.conftest import is_loopback


def test_no_qa_settings_reach_a_test() -> None:
    assert [name for name in os.environ if name.startswith("QA_")] == []


def test_caches_are_a_temp_folder_with_the_exports_made(hermetic: Path) -> None:
    assert os.environ["XDG_CACHE_HOME"] == str(hermetic)
    assert Path(os.environ["HF_HOME"]).is_relative_to(hermetic)
    from index.onnx_encoder import default_cache_dir

    assert default_cache_dir().is_relative_to(hermetic)
    assert list(default_cache_dir().rglob("*.onnx"))  # both exports, made before the tests


@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("2001:db8::1", 443, 0, 0)])
def test_sockets_beyond_loopback_are_refused(address: tuple[object, ...]) -> None:
    family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    with socket.socket(family) as sock, pytest.raises(PermissionError, match="not loopback"):
        sock.connect(address)
    with pytest.raises(PermissionError, match="no lookup"):
        socket.getaddrinfo("example.com", 443)


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("10.0.0.1")
