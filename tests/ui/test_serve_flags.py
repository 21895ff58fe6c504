"""`qa serve` takes the store's flags after its name, as every other command does."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.servers import launch, stop
from tests.ui.conftest import STARTUP_SECONDS

pytestmark = pytest.mark.integration


def test_serve_uses_the_data_dir_given_after_the_command(tmp_path: Path) -> None:
    store, elsewhere = tmp_path / "store", tmp_path / "elsewhere"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "QA_DATA_DIR": str(elsewhere), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "qa.cli", "serve", "--data-dir", str(store)]
    command += ["--collection", "flagged", "--port", str(port)]
    proc = launch(command, f"{url}/healthz", tmp_path / "server.log", env, STARTUP_SECONDS)
    try:
        sources = httpx.get(f"{url}/api/sources", timeout=60).json()
        assert [s["source"] for s in sources] == ["article.txt"]
        assert store.is_dir() and not elsewhere.exists()
    finally:
        stop(proc)
