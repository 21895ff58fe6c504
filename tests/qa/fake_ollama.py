"""A local server speaking Ollama's REST API (``POST /api/chat``), scripted per test.

The wire format follows Ollama's docs/api.md and server (routes.go): a streamed chat is
``application/x-ndjson`` sent with chunked transfer encoding, one JSON object per line
(``{"model", "created_at", "message": {"role": "assistant", "content"}, "done": false}``), then a
last line with ``"done": true``, ``done_reason`` and the eval counts; ``"stream": false`` gets one
JSON object. Errors before any content are an HTTP status with ``{"error": "..."}``; errors after
content has been sent are a ``{"error": "..."}`` line. A model that was never pulled gets 404.
Unknown paths get gin's plain ``404 page not found``.

Each chat request takes the next behaviour from ``replies``: a string (answered as that text, one
line per word when streaming), or a failure mode: ``"!404"`` (the model was removed), ``"!500"``,
``"!stall"`` (no response until the server stops or ``stall_seconds`` pass, then the connection
closes), ``"!stall-mid"`` (two words, then the same silence), ``"!cut"`` (two words, then the
connection closes mid-body), ``"!malformed"`` (two words, then a line that is not JSON) and
``"!error-line"`` (two words, then an error line, as when the model runner dies). Every request is
recorded: ``calls`` holds ``(method, path)``, ``requests`` the parsed JSON bodies of chat requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers import FakeServer, serving

CREATED_AT = "2024-07-04T03:37:50.182604Z"
RUNNER_FAILED = "an error was encountered while running the model"


class FakeOllama(FakeServer):
    def __init__(self, replies: list[str], models: tuple[str, ...] = ("llama3.2",)) -> None:
        super().__init__(replies, _handler)
        self.models = {_tagged(name) for name in models}
        self.calls: list[tuple[str, str]] = []
        self.authorizations: list[str | None] = []  # each request's Authorization header
        self.stall_seconds = 60.0

    def reset(self) -> None:
        """Forget the script and the record, for the next test on the same server."""
        self.replies.clear()
        self.calls.clear()
        self.authorizations.clear()
        self.requests.clear()
        self.stall_seconds = 60.0


def _tagged(name: str) -> str:
    """Ollama's model names: the tag defaults to latest."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _line(model: str, content: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": CREATED_AT,
        "message": {"role": "assistant", "content": content},
        "done": False,
    }


def _last(model: str, content: str = "", words: int = 0) -> dict[str, Any]:
    return {
        **_line(model, content),
        "done": True,
        "done_reason": "stop",
        "total_duration": 4883583458,
        "load_duration": 1334875,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 342546000,
        "eval_count": max(words, 1),
        "eval_duration": 4535599000,
    }


def _handler(fake: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ollama-fake"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            fake.calls.append(("GET", self.path))
            self._send(404, b"404 page not found", "text/plain")

        def do_POST(self) -> None:
            fake.calls.append(("POST", self.path))
            fake.authorizations.append(self.headers.get("Authorization"))
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if self.path != "/api/chat":
                self._send(404, b"404 page not found", "text/plain")
                return
            request = json.loads(body or b"{}")
            fake.requests.append(request)
            model = str(request.get("model", ""))
            if _tagged(model) not in fake.models:
                self._error(404, f"model '{model}' not found")
                return
            reply = fake.next_reply()
            if reply == "!404":
                self._error(404, f"model '{model}' not found")
                return
            if reply == "!500":
                self._error(500, "llama runner process has terminated: signal: killed")
                return
            if reply == "!stall":
                self._stall()
                return
            if request.get("stream", True) is False:
                self._send(200, json.dumps(_last(model, reply)).encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            words = ["Putin", "called"] if reply.startswith("!") else reply.split(" ")
            for i, word in enumerate(words):
                self._chunk(json.dumps(_line(model, word if i == 0 else f" {word}")) + "\n")
            if reply == "!stall-mid":
                self._stall()
                return
            if reply == "!cut":  # half a line, then the socket closes without the last chunk
                self._chunk('{"model": "' + model + '", "message": {"role": "assis')
                self.close_connection = True
                return
            if reply == "!malformed":
                self._chunk("{this is not json\n")
            elif reply == "!error-line":
                self._chunk(json.dumps({"error": RUNNER_FAILED}) + "\n")
            else:
                self._chunk(json.dumps(_last(model, "", len(words))) + "\n")
            self.wfile.write(b"0\r\n\r\n")

        def _chunk(self, text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _stall(self) -> None:
            fake.stopping.wait(fake.stall_seconds)
            self.close_connection = True

        def _error(self, status: int, message: str) -> None:
            self._send(status, json.dumps({"error": message}).encode())

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def fake_ollama(
    replies: list[str], models: tuple[str, ...] = ("llama3.2",)
) -> Iterator[FakeOllama]:
    with serving(FakeOllama(replies, models)) as fake:
        yield fake
