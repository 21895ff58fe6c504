"""Real servers for the UI tests: `qa serve` in a subprocess, or the app in a thread."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.servers import launch, stop, wait_until_ready

HEADLINE = "Which leaders did Putin call?"
HEADLINE_SENTENCE = (
    "Putin told President Emmanuel Macron of France and Chancellor Olaf Scholz of Germany of "
    "his decision in phone calls on Monday, the Times reported."
)
UNANSWERABLE = "What is the capital of Peru?"
MAX_QUESTION_CHARS = 300
STARTUP_SECONDS = 180


def start_qa_serve(data_dir: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """`qa serve` on a free loopback port, over its own store in data_dir."""
    port = free_port()
    environment = {
        **os.environ,
        "QA_DATA_DIR": str(data_dir),
        "QA_MAX_QUESTION_CHARS": str(MAX_QUESTION_CHARS),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        **env,
    }
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = launch(command, f"{url}/healthz", data_dir / "server.log", environment, STARTUP_SECONDS)
    return proc, url


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `qa serve` for the whole session (chat page and HTTP API on the same port)."""
    proc, url = start_qa_serve(tmp_path_factory.mktemp("served-store"))
    yield url
    stop(proc)


class ThreadedServer:
    """The real ASGI app under uvicorn in a background thread, sharing this process's model."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        wait_until_ready(f"{self.url}/healthz", STARTUP_SECONDS)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="session")
def auth_server_url(article_assistant: Any) -> Iterator[str]:
    """The app with QA_AUTH=reader:s3cret, over the shared article assistant."""
    from ui.server import create_app

    settings = article_assistant.settings.with_(auth="reader:s3cret")
    with ThreadedServer(create_app(settings, article_assistant)) as server:
        yield server.url


@pytest.fixture(scope="module")
def fake() -> Iterator[Any]:
    """The local fake of Slack's Web API (Slack's servers cannot exist offline), one a module."""
    from tests.ui.fake_slack import FakeSlack

    with pytest.MonkeyPatch.context() as patch:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            patch.delenv(name, raising=False)  # slack_sdk would send 127.0.0.1 calls through it
        server = FakeSlack().start()
        yield server
        server.stop()
